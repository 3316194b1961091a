// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

// Differential-test contracts: each function exercises one kind of EVM behaviour
// (calls of every kind, creation, reverts, logs, storage, value, self-destruct,
// out-of-gas in a sub-call) so that tracers can be compared between engines.

error Denied(address who, uint256 code);

/// Deployed by Probe with CREATE / CREATE2; its constructor takes value and writes storage.
contract Child {
    uint256 public seed;
    event Born(address indexed parent, uint256 seed);

    constructor(uint256 s) payable {
        seed = s;
        emit Born(msg.sender, s);
    }

    function ping(uint256 x) external view returns (uint256) {
        return x + seed;
    }

    function boom() external pure {
        revert Denied(address(0xdead), 7);
    }

    function kill(address payable to) external {
        selfdestruct(to);
    }

    receive() external payable {}
}

/// A child whose constructor always reverts (failed CREATE inside a call).
contract BadChild {
    constructor() {
        revert("no birth");
    }
}

/// Code run through DELEGATECALL: writes into the caller's storage and logs.
contract Logic {
    uint256 public slot0;
    event Delegated(address indexed sender, uint256 value);

    function write(uint256 v) external returns (uint256) {
        slot0 = v;
        emit Delegated(msg.sender, v);
        return v * 2;
    }

    function fail() external pure {
        revert("logic failed");
    }
}

/// Burns all the gas it is given.
contract Burner {
    uint256 public counter;

    fallback() external payable {
        while (true) {
            counter += 1;
        }
    }
}

contract Probe {
    uint256 public a; // slot 0
    uint256 public b; // slot 1
    mapping(uint256 => uint256) public m; // slot 2
    address public lastChild; // slot 3

    event Stored(uint256 indexed key, uint256 value);
    event Note(string text);
    event Anon(uint256 x) anonymous;

    error Custom(uint256 code, string why);

    constructor() payable {
        a = 1;
        b = 2;
    }

    // ---- storage ----
    function setMany(uint256 n, uint256 v) external {
        for (uint256 i = 0; i < n; i++) {
            m[i] = v + i;
            emit Stored(i, v + i);
        }
        a = v;
    }

    function clear(uint256 n) external {
        for (uint256 i = 0; i < n; i++) delete m[i];
        delete a;
        delete b;
    }

    function readSum(uint256 n) external view returns (uint256 s) {
        for (uint256 i = 0; i < n; i++) s += m[i];
        s += a + b;
    }

    // ---- logs ----
    function logAll(bytes calldata data) external {
        bytes memory d = data;
        assembly {
            let p := add(d, 32)
            let l := mload(d)
            log0(p, l)
            log1(p, l, 0x11)
            log2(p, l, 0x11, 0x22)
            log3(p, 0, 0x11, 0x22, 0x33)
            log4(p, l, 0x11, 0x22, 0x33, 0x44)
        }
        emit Note("logged");
        emit Anon(42);
    }

    // ---- reverts ----
    function failWith(uint256 kind) external payable returns (uint256) {
        a = a + 1; // a state change that the revert undoes
        emit Note("before failure");
        if (kind == 0) revert("plain reason");
        if (kind == 1) revert Custom(kind, "custom error");
        if (kind == 2) {
            uint256 z = b - b;
            return 10 / z; // panic 0x12
        }
        if (kind == 3) {
            uint256[] memory arr = new uint256[](1);
            return arr[kind]; // panic 0x32
        }
        if (kind == 4) assert(false); // panic 0x01
        if (kind == 5) require(false);
        if (kind == 6) {
            assembly {
                invalid()
            }
        }
        if (kind == 7) {
            uint256 x = type(uint256).max - kind + 7;
            return x + kind; // panic 0x11
        }
        if (kind == 8) revert Denied(msg.sender, 8);
        return kind;
    }

    // ---- calls ----
    function callPing(address target, uint256 x) external returns (uint256) {
        (bool ok, bytes memory out) = target.call(abi.encodeWithSignature("ping(uint256)", x));
        require(ok, "ping failed");
        return abi.decode(out, (uint256));
    }

    function staticPing(address target, uint256 x) external view returns (uint256) {
        (bool ok, bytes memory out) = target.staticcall(abi.encodeWithSignature("ping(uint256)", x));
        require(ok, "static ping failed");
        return abi.decode(out, (uint256));
    }

    /// A STATICCALL into a function that writes: the inner frame fails with write protection.
    function staticWrite(address logic) external returns (bool ok) {
        (ok, ) = logic.staticcall(abi.encodeWithSignature("write(uint256)", 5));
        b = ok ? 100 : 200;
    }

    function delegateWrite(address logic, uint256 v) external returns (uint256) {
        (bool ok, bytes memory out) = logic.delegatecall(abi.encodeWithSignature("write(uint256)", v));
        require(ok, "delegate failed");
        return abi.decode(out, (uint256));
    }

    function delegateFail(address logic) external returns (bool ok, bytes memory out) {
        (ok, out) = logic.delegatecall(abi.encodeWithSignature("fail()"));
        a = 77;
    }

    /// Catches a custom-error revert from a sub-call and carries on.
    function catchBoom(address child) external returns (bytes memory reason) {
        try Child(payable(child)).boom() {
            reason = "";
        } catch (bytes memory r) {
            reason = r;
            emit Note("caught");
        }
        b = 3;
    }

    /// A sub-call that runs out of gas; the caller survives and records it.
    function burnSub(address burner, uint256 gasForSub) external returns (bool ok) {
        (ok, ) = burner.call{gas: gasForSub}("");
        m[99] = ok ? 1 : 2;
    }

    /// Value transfers: to an EOA, to a fresh address, and to a contract with receive().
    function pay(address payable to1, address payable to2) external payable {
        uint256 half = msg.value / 2;
        require(to1.send(half), "send failed");
        (bool ok, ) = to2.call{value: msg.value - half}("");
        require(ok, "pay failed");
    }

    /// Calls to precompiles (sha256, identity, ecrecover with garbage).
    function precompiles(bytes calldata data) external returns (bytes32 h, bytes memory id) {
        h = sha256(data);
        (, id) = address(4).call(data);
        ecrecover(keccak256(data), 27, bytes32(uint256(1)), bytes32(uint256(2)));
        a = uint256(h) & 0xff;
    }

    /// Recursion through external calls.
    function recurse(uint256 depth) public returns (uint256) {
        if (depth == 0) return 0;
        return this.recurse(depth - 1) + 1;
    }

    // ---- creation ----
    function make(uint256 s) external payable returns (address c) {
        c = address(new Child{value: msg.value}(s));
        lastChild = c;
    }

    function make2(bytes32 salt, uint256 s) external payable returns (address c) {
        c = address(new Child{salt: salt, value: msg.value}(s));
        lastChild = c;
    }

    /// The second CREATE2 with the same salt collides and fails.
    function make2Twice(bytes32 salt) external returns (address c1, bool second) {
        c1 = address(new Child{salt: salt}(1));
        try new Child{salt: salt}(2) returns (Child) {
            second = true;
        } catch {
            second = false;
        }
    }

    function makeBad() external returns (bool ok) {
        try new BadChild() returns (BadChild) {
            ok = true;
        } catch {
            ok = false;
        }
        a = ok ? 5 : 6;
    }

    // ---- self-destruct ----
    /// Creates a child and destroys it in the same transaction (EIP-6780: it is deleted).
    function makeAndKill(address payable beneficiary) external payable {
        Child c = new Child{value: msg.value}(9);
        c.kill(beneficiary);
    }

    /// Destroys an existing child (EIP-6780: only its balance moves).
    function killOld(address child, address payable beneficiary) external {
        Child(payable(child)).kill(beneficiary);
    }

    /// Reads block and transaction context (values must match between engines).
    function context() external payable returns (bytes32 h) {
        h = keccak256(
            abi.encode(
                block.number,
                block.timestamp,
                block.coinbase,
                block.gaslimit,
                block.basefee,
                block.prevrandao,
                block.chainid,
                tx.origin,
                tx.gasprice,
                blockhash(block.number - 1),
                gasleft(),
                address(this).balance
            )
        );
        m[7] = uint256(h);
    }

    receive() external payable {}
}
