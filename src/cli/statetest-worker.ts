/** Worker thread for `sonde statetest`: runs the files it is sent and posts the outcomes. */
import { parentPort, workerData } from "node:worker_threads";
import { runFile } from "./statetest.js";

const { fork, run } = workerData as { fork?: string; run?: string };
parentPort!.on("message", (m: { index: number; file: string }) => {
  let outcome: ReturnType<typeof runFile>;
  try {
    outcome = runFile(m.file, fork, run);
  } catch (err) {
    outcome = { file: m.file, results: [], error: `internal error: ${(err as Error).stack ?? String(err)}` };
  }
  parentPort!.postMessage({ index: m.index, outcome });
});
