#!/usr/bin/env node
// The `sonde` command. The CLI runs in a worker thread with a 256 MB stack: the EVM
// recurses once per call frame, and 1024 nested calls overflow Node's default stack.
import { isMainThread, Worker } from "node:worker_threads";

if (isMainThread) {
  const worker = new Worker(new URL(import.meta.url), {
    argv: process.argv.slice(2),
    resourceLimits: { stackSizeMb: 256 },
  });
  worker.on("error", (err) => {
    process.stderr.write(`sonde: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
  worker.on("exit", (code) => {
    if (process.exitCode === undefined) process.exitCode = code;
  });
} else {
  const { main } = await import("../dist/cli/main.js");
  try {
    process.exitCode = await main(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`sonde: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
