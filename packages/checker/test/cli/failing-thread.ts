/**
 * Test-only wrapper: runs history-check's `runCli` with worker threads that
 * run this module too, through the seams the command has (`threadEntry`,
 * and the clock `serveChecks` takes). A worker's clock breaks the first
 * time it is read, the way a bug inside a check would throw; with
 * BREAK=exit the worker thread exits there instead, and with BREAK=no it
 * keeps working. The main thread reads its clock for its first file only
 * once a worker has started on another (the worker creates the file
 * MARK), so a worker surely gets one.
 */
import { existsSync, writeFileSync } from "node:fs";
import { isMainThread, workerData } from "node:worker_threads";
import { processIo, runMain } from "@dslab/protocol/cli";
import { serveChecks } from "../../src/cli/check-thread.js";
import { runCli } from "../../src/cli/run.js";

const mark = process.env.MARK!;
/** How long the main thread waits for a worker to start on a file before it goes on anyway. */
const WAIT_MS_MAX = 60_000;

if (!isMainThread) {
  await serveChecks(workerData, () => {
    writeFileSync(mark, "");
    if (process.env.BREAK === "no") return performance.now();
    if (process.env.BREAK === "exit") process.exit(9);
    throw new TypeError("injected: the clock broke in a worker thread");
  });
} else {
  let waited = false;
  const io = processIo(process);
  await runMain(
    { name: "history-check", version: "test" },
    async (argv) =>
      runCli(argv, {
        out: (line) => io.stdout(line + "\n"),
        err: (line) => io.stderr(line + "\n"),
        now: () => {
          if (!waited) {
            waited = true;
            const sleeper = new Int32Array(new SharedArrayBuffer(4));
            for (let ms = 0; ms < WAIT_MS_MAX && !existsSync(mark); ms += 10) Atomics.wait(sleeper, 0, 0, 10);
          }
          return performance.now();
        },
        threadEntry: new URL("./failing-thread-entry.mjs", import.meta.url),
      }),
    process.argv.slice(2),
    io,
  );
}
