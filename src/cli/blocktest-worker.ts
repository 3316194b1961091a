/** Worker thread for `sonde blocktest`: runs the files it is sent and posts the outcomes. */
import { parentPort, workerData } from "node:worker_threads";
import { type BlockFileOutcome, runBlockFile } from "./blocktest.js";

const { run } = workerData as { run?: string };
parentPort!.on("message", (m: { index: number; file: string }) => {
  let outcome: BlockFileOutcome;
  try {
    outcome = runBlockFile(m.file, run);
  } catch (err) {
    outcome = { file: m.file, results: [], error: `internal error: ${(err as Error).stack ?? String(err)}` };
  }
  parentPort!.postMessage({ index: m.index, outcome });
});
