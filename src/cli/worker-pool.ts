/**
 * Runs test files on worker threads for the statetest and blocktest commands: files are
 * handed to `n` workers one at a time and outcomes are reported in file order. A file
 * running longer than `timeoutMs`, or whose worker crashes, is reported as failed and
 * its worker is replaced. Workers get a 256 MB stack (1024 nested calls need more than
 * Node's default).
 *
 * The worker module receives `workerData` once, then messages `{index, file}`, and
 * answers `{index, outcome}`.
 */
import { Worker } from "node:worker_threads";

export interface FileOutcomeBase {
  file: string;
  error?: string;
}

export async function runFilesInWorkers<O extends FileOutcomeBase>(opts: {
  files: string[];
  workers: number;
  workerUrl: URL;
  workerData: unknown;
  timeoutMs: number;
  /** The outcome reported for a file that timed out or crashed its worker. */
  failed: (file: string, error: string) => O;
  report: (o: O) => void;
}): Promise<void> {
  const { files, workerUrl, workerData, timeoutMs, failed, report } = opts;
  if (files.length === 0) return;
  const outcomes: (O | undefined)[] = new Array(files.length);
  let nextToReport = 0;
  let nextToSend = 0;
  const flush = () => {
    while (nextToReport < files.length && outcomes[nextToReport] !== undefined) {
      report(outcomes[nextToReport]!);
      outcomes[nextToReport] = undefined;
      nextToReport++;
    }
  };
  const lane = (): Promise<void> =>
    new Promise<void>((resolve) => {
      const w = new Worker(workerUrl, { workerData, resourceLimits: { stackSizeMb: 256 } });
      let current = -1;
      let timer: NodeJS.Timeout | undefined;
      let done = false;
      const finish = (outcome: O, replace: boolean) => {
        if (timer) clearTimeout(timer);
        outcomes[current] = outcome;
        flush();
        if (replace) {
          done = true;
          void w.terminate();
          resolve(lane());
          return;
        }
        sendNext();
      };
      const sendNext = () => {
        if (nextToSend >= files.length) {
          done = true;
          void w.terminate();
          resolve();
          return;
        }
        current = nextToSend++;
        const file = files[current]!;
        timer = setTimeout(
          () => finish(failed(file, `timed out after ${timeoutMs / 1000} s`), true),
          timeoutMs,
        );
        w.postMessage({ index: current, file });
      };
      w.on("message", (m: { index: number; outcome: O }) => {
        if (!done && m.index === current) finish(m.outcome, false);
      });
      w.on("error", (err) => {
        if (done || current < 0) return;
        finish(failed(files[current]!, `worker crashed: ${err.message}`), true);
      });
      sendNext();
    });
  await Promise.all(Array.from({ length: Math.min(opts.workers, files.length) }, lane));
  flush();
}
