// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title BenchHash: keccak256 loops, N from calldata. No storage: pure computation.
contract BenchHash {
    /// @notice n chained hashes: h = keccak256(h, i), starting from h = 0.
    function hashChain(uint256 n) external pure returns (bytes32 h) {
        for (uint256 i = 0; i < n; i++) {
            h = keccak256(abi.encodePacked(h, i));
        }
    }

    /// @notice Hashes a growing buffer: round i appends the last hash to a buffer of
    ///         i words and hashes the whole buffer (32·n·(n+1)/2 bytes hashed in all).
    ///         The buffer is allocated once, so memory grows linearly.
    function hashGrow(uint256 n) external pure returns (bytes32 h) {
        bytes memory buf = new bytes(n * 32);
        for (uint256 i = 0; i < n; i++) {
            assembly {
                let p := add(add(buf, 32), mul(i, 32))
                mstore(p, h)
                h := keccak256(add(buf, 32), mul(add(i, 1), 32))
            }
        }
    }
}
