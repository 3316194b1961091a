import { describe, expect, it } from "vitest";
import { hexToBytes } from "../primitives/hex.js";
import {
  decodeAbi,
  describeRevert,
  formatValue,
  functionSignature,
  isCallFrame,
  renderCallTree,
} from "./pretty.js";

const w = (v: bigint | string) => (typeof v === "bigint" ? v : BigInt(v)).toString(16).padStart(64, "0");
const TOKEN_A = "0x000000000000000000000000000000000000aaaa";
const TOKEN_B = "0x000000000000000000000000000000000000bbbb";
const USER = "0x000000000000000000000000000000000000eeee";
const PAIR = "0x000000000000000000000000000000000000f00d";
const ROUTER = "0x0000000000000000000000000000000000007777";
const OTHER = "0x000000000000000000000000000000000000dddd";
const TRANSFER_TOPIC = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef";

describe("signature tables", () => {
  it("computes the well-known selectors from the signature text", () => {
    expect(functionSignature("0xa9059cbb")).toBe("transfer(address,uint256)");
    expect(functionSignature("0x23b872dd")).toBe("transferFrom(address,address,uint256)");
    expect(functionSignature("0x38ed1739")).toBe(
      "swapExactTokensForTokens(uint256,uint256,address[],address,uint256)",
    );
    expect(functionSignature("0x414bf389")).toBe(
      "exactInputSingle((address,address,uint24,address,uint256,uint256,uint256,uint160))",
    );
    expect(functionSignature("0x82ad56cb")).toBe("aggregate3((address,bool,bytes)[])");
    expect(functionSignature("0x6a761202")).toBe(
      "execTransaction(address,uint256,bytes,uint8,uint256,uint256,uint256,address,address,bytes)",
    );
    expect(functionSignature("0x12345678")).toBeUndefined();
  });
});

describe("decodeAbi", () => {
  it("decodes static words, dynamic arrays, strings and tuples", () => {
    const data = hexToBytes(
      `0x${w(5n)}${w(TOKEN_A)}${w(0x80n)}${w(0xc0n)}` + // 5, address, offset of address[], offset of string
        `${w(1n)}${w(TOKEN_B)}` + // [TOKEN_B]
        `${w(2n)}${"6869".padEnd(64, "0")}`, // "hi"
    );
    expect(decodeAbi(["uint256", "address", "address[]", "string"], data)).toEqual([
      "5",
      TOKEN_A,
      `[${TOKEN_B}]`,
      '"hi"',
    ]);
    expect(decodeAbi(["(uint8,bool)", "int256"], hexToBytes(`0x${w(7n)}${w(1n)}${"f".repeat(64)}`))).toEqual([
      "(7, true)",
      "-1",
    ]);
  });

  it("returns null when the data does not fit the types", () => {
    expect(decodeAbi(["uint256", "uint256"], hexToBytes(`0x${w(1n)}`))).toBeNull();
    expect(decodeAbi(["bytes"], hexToBytes(`0x${w(0x1000n)}`))).toBeNull();
  });
});

describe("describeRevert", () => {
  it("decodes Error(string), Panic(uint256), known custom errors and names unknown ones by selector", () => {
    const errorString = `0x08c379a0${w(0x20n)}${w(4n)}${"6e6f706500".padEnd(64, "0").slice(0, 64)}`;
    expect(describeRevert(hexToBytes(errorString))).toBe('revert: "nope"');
    expect(describeRevert(hexToBytes(`0x4e487b71${w(0x11n)}`))).toBe(
      "panic: arithmetic underflow or overflow (0x11)",
    );
    // ERC20InsufficientBalance(address,uint256,uint256) = 0xe450d38c
    expect(describeRevert(hexToBytes(`0xe450d38c${w(USER)}${w(5n)}${w(9n)}`))).toBe(
      `ERC20InsufficientBalance(${USER}, 5, 9)`,
    );
    expect(describeRevert(hexToBytes(`0xdeadbeef${w(1n)}`))).toBe("custom error 0xdeadbeef(32 bytes)");
    expect(describeRevert(new Uint8Array(0))).toBe("");
  });
});

describe("formatValue", () => {
  it("picks wei, gwei or ETH", () => {
    expect(formatValue(7n)).toBe("7 wei");
    expect(formatValue(3_000_000_000n)).toBe("3 gwei");
    expect(formatValue(1_500_000_000_000_000_000n)).toBe("1.5 ETH");
    expect(formatValue(10n ** 18n)).toBe("1 ETH");
  });
});

describe("renderCallTree", () => {
  const swapInput =
    `0x38ed1739${w(1000n)}${w(900n)}${w(0xa0n)}${w(USER)}${w(1_700_000_000n)}` +
    `${w(2n)}${w(TOKEN_A)}${w(TOKEN_B)}`;
  const frame = {
    type: "CALL",
    from: USER,
    to: ROUTER,
    gas: "0x30000",
    gasUsed: "0x1d4c0",
    value: "0x14d1120d7b160000",
    input: swapInput,
    output: `0x${w(0x20n)}${w(2n)}${w(1000n)}${w(990n)}`,
    calls: [
      {
        type: "CALL",
        from: ROUTER,
        to: TOKEN_A,
        gas: "0x10000",
        gasUsed: "0x7530",
        value: "0x0",
        input: `0x23b872dd${w(USER)}${w(PAIR)}${w(1000n)}`,
        output: `0x${w(1n)}`,
        logs: [
          {
            address: TOKEN_A,
            topics: [TRANSFER_TOPIC, `0x${w(USER)}`, `0x${w(PAIR)}`],
            data: `0x${w(1000n)}`,
            position: "0x0",
          },
        ],
      },
      {
        type: "STATICCALL",
        from: ROUTER,
        to: TOKEN_B,
        gas: "0x1000",
        gasUsed: "0xa28",
        input: `0x70a08231${w(USER)}`,
        output: `0x${w(42n)}`,
      },
      {
        type: "CALL",
        from: ROUTER,
        to: OTHER,
        gas: "0x1000",
        gasUsed: "0x1f4",
        value: "0x0",
        input: `0x12345678${w(1n)}`,
        output: `0x4e487b71${w(0x11n)}`,
        error: "execution reverted",
      },
    ],
    logs: [{ address: ROUTER, topics: [`0x${"ab".repeat(32)}`], data: "0x01", position: "0x1" }],
  };

  it("draws frames, decoded calls, events in order, and outcomes", () => {
    expect(renderCallTree(frame)).toBe(
      [
        `[120000] CALL ${ROUTER}::swapExactTokensForTokens(1000, 900, [${TOKEN_A}, ${TOKEN_B}], ${USER}, 1700000000) {value: 1.5 ETH}`,
        `├─ [30000] CALL ${TOKEN_A}::transferFrom(${USER}, ${PAIR}, 1000)`,
        `│  ├─ emit Transfer(from: ${USER}, to: ${PAIR}, value: 1000)`,
        "│  └─ ← [Return] true",
        `├─ emit 0xabababab…(data: 0x01)`,
        `├─ [2600] STATICCALL ${TOKEN_B}::balanceOf(${USER})`,
        "│  └─ ← [Return] 42",
        `├─ [500] CALL ${OTHER}::0x12345678(32 bytes)`,
        "│  └─ ← [Revert] panic: arithmetic underflow or overflow (0x11)",
        "└─ ← [Return] [1000, 990]",
        "",
      ].join("\n"),
    );
  });

  it("draws creations, self-destructs, precompiles, plain transfers and EVM errors", () => {
    const tree = {
      type: "CALL",
      from: USER,
      to: OTHER,
      gas: "0x1",
      gasUsed: "0x5208",
      value: "0x7",
      input: "0x",
      calls: [
        {
          type: "CREATE",
          from: OTHER,
          to: PAIR,
          gas: "0x1",
          gasUsed: "0x10",
          input: "0x6000",
          output: "0x00",
          value: "0x0",
        },
        { type: "SELFDESTRUCT", from: PAIR, to: USER, gas: "0x0", gasUsed: "0x0", input: "0x", value: "0x3" },
        {
          type: "STATICCALL",
          from: OTHER,
          to: "0x0000000000000000000000000000000000000002",
          gas: "0x1",
          gasUsed: "0x48",
          input: "0x0102",
        },
        {
          type: "CALL",
          from: OTHER,
          to: PAIR,
          gas: "0x1",
          gasUsed: "0x1",
          input: "0x",
          value: "0x0",
          error: "out of gas",
        },
      ],
    };
    expect(renderCallTree(tree)).toBe(
      [
        `[21000] CALL ${OTHER} {value: 7 wei}`,
        `├─ [16] CREATE ${PAIR} (initcode 2 bytes)`,
        "│  └─ ← [Return] 1 bytes of code",
        `├─ SELFDESTRUCT ${PAIR} → ${USER} {value: 3 wei}`,
        "├─ [72] STATICCALL 0x0000000000000000000000000000000000000002::sha256(2 bytes)",
        "│  └─ ← [Stop]",
        `├─ [1] CALL ${PAIR}`,
        "│  └─ ← [Error] out of gas",
        "└─ ← [Stop]",
        "",
      ].join("\n"),
    );
  });

  it("colours only when asked", () => {
    expect(renderCallTree(frame)).not.toContain("\x1b[");
    expect(renderCallTree(frame, { color: true })).toContain("\x1b[31m← [Revert] panic");
  });

  it("recognises call frames", () => {
    expect(isCallFrame(frame)).toBe(true);
    expect(isCallFrame({ "0xabc": { balance: "0x1" } })).toBe(false);
  });
});
