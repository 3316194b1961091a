/**
 * The `sonde` command: dispatches to one module per subcommand. Library errors
 * (SondeError) are printed as one line naming what was wrong, never as a stack trace.
 */
import { SondeError } from "../errors.js";

type Command = (args: string[]) => Promise<number>;

const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  statetest: {
    summary: "run state tests (ethereum/tests, execution-spec-tests)",
    load: async () => (await import("./statetest.js")).statetestCommand,
  },
  blocktest: {
    summary: "run blockchain tests (ethereum/tests BlockchainTests)",
    load: async () => (await import("./blocktest.js")).blocktestCommand,
  },
  txtest: {
    summary: "run ethereum/tests TransactionTests",
    load: async () => (await import("./txtest.js")).txtestCommand,
  },
  tracetest: {
    summary: "run go-ethereum tracer fixtures",
    load: async () => (await import("./tracetest.js")).tracetestCommand,
  },
  run: {
    summary: "run EVM code (like go-ethereum's `evm run`)",
    load: async () => (await import("./run.js")).runCommand,
  },
  diff: {
    summary: "compare two opcode traces up to the first differing step",
    load: async () => (await import("./diff.js")).diffCommand,
  },
  replay: {
    summary: "re-execute a mined transaction from a JSON-RPC endpoint (like `cast run`)",
    load: async () => (await import("./replay.js")).replayCommand,
  },
  node: {
    summary: "run a development node (JSON-RPC over HTTP and WebSocket)",
    load: async () => (await import("./node.js")).nodeCommand,
  },
  import: {
    summary: "import RLP block files (geth export format) into a datadir",
    load: async () => (await import("./import.js")).importCommand,
  },
  export: {
    summary: "export a datadir's canonical blocks as an RLP block file",
    load: async () => (await import("./export.js")).exportCommand,
  },
};

function usage(): string {
  const lines = ["usage: sonde <command> [options]", "", "commands:"];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(10)} ${c.summary}`);
  lines.push("", "`sonde <command> --help` describes a command's options.");
  return lines.join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(`${usage()}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`sonde: unknown command "${name}"\n\n${usage()}\n`);
    return 2;
  }
  try {
    return await (await command.load())(rest);
  } catch (err) {
    if (err instanceof SondeError) {
      process.stderr.write(`sonde ${name}: ${err.message}\n`);
      if (err.details) process.stderr.write(`  ${err.details}\n`);
      return 2;
    }
    throw err;
  }
}
