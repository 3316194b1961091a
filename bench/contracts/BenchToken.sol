// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title BenchToken: a plain ERC-20 with benchmark loops.
/// @notice Deployed as runtime code only (no constructor runs), so every piece of state
///         starts empty: each loop creates what it needs. One call does N operations,
///         N taken from calldata. Every operation writes storage and emits its event,
///         as a real token does.
contract BenchToken {
    string public constant name = "Bench";
    string public constant symbol = "BNCH";
    uint8 public constant decimals = 18;

    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    error InsufficientBalance(address from, uint256 balance, uint256 needed);
    error InsufficientAllowance(address spender, uint256 allowance, uint256 needed);

    function transfer(address to, uint256 value) public returns (bool) {
        _transfer(msg.sender, to, value);
        return true;
    }

    function approve(address spender, uint256 value) public returns (bool) {
        _approve(msg.sender, spender, value);
        return true;
    }

    function transferFrom(address from, address to, uint256 value) public returns (bool) {
        uint256 a = allowance[from][msg.sender];
        if (a != type(uint256).max) {
            if (a < value) revert InsufficientAllowance(msg.sender, a, value);
            unchecked {
                allowance[from][msg.sender] = a - value;
            }
        }
        _transfer(from, to, value);
        return true;
    }

    /// @notice Mints n tokens to the caller, then makes n transfers of 1 token from the
    ///         caller to n distinct fresh addresses. Returns the caller's final balance (0).
    function benchTransfer(uint256 n) external returns (uint256) {
        _mint(msg.sender, n);
        for (uint256 i = 0; i < n; i++) {
            _transfer(msg.sender, _recipient(i), 1);
        }
        return balanceOf[msg.sender];
    }

    /// @notice n mints of i+1 tokens to n distinct fresh addresses. Returns totalSupply.
    function benchMint(uint256 n) external returns (uint256) {
        for (uint256 i = 0; i < n; i++) {
            _mint(_recipient(i), i + 1);
        }
        return totalSupply;
    }

    /// @notice n approvals by the caller to n distinct spenders. Returns the sum of the
    ///         allowances read back.
    function benchApprove(uint256 n) external returns (uint256 sum) {
        for (uint256 i = 0; i < n; i++) {
            _approve(msg.sender, _recipient(i), i + 1);
        }
        for (uint256 i = 0; i < n; i++) {
            sum += allowance[msg.sender][_recipient(i)];
        }
    }

    function _recipient(uint256 i) private pure returns (address) {
        return address(uint160(0x10000 + i));
    }

    function _transfer(address from, address to, uint256 value) private {
        uint256 b = balanceOf[from];
        if (b < value) revert InsufficientBalance(from, b, value);
        unchecked {
            balanceOf[from] = b - value;
        }
        balanceOf[to] += value;
        emit Transfer(from, to, value);
    }

    function _mint(address to, uint256 value) private {
        totalSupply += value;
        balanceOf[to] += value;
        emit Transfer(address(0), to, value);
    }

    function _approve(address owner, address spender, uint256 value) private {
        allowance[owner][spender] = value;
        emit Approval(owner, spender, value);
    }
}
