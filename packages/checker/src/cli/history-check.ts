/**
 * `history-check FILE... --model M`: the shell around `runCli`, the only
 * place that touches the process. In a worker thread started by `--jobs`
 * (cli/threads.ts) it checks the files it is handed instead.
 */
import { isMainThread, workerData } from "node:worker_threads";
import { processIo, readPackageVersion, runMain } from "@dslab/protocol/cli";
import { CHECK_THREAD_ROLE, runCli } from "./run.js";

if (!isMainThread && (workerData as { role?: unknown } | null)?.role === CHECK_THREAD_ROLE) {
  const { serveChecks } = await import("./check-thread.js");
  await serveChecks(workerData);
} else {
  const io = processIo(process);
  await runMain(
    { name: "history-check", version: readPackageVersion(new URL(import.meta.url)) },
    async (argv) =>
      runCli(argv, {
        out: (line) => io.stdout(line + "\n"),
        err: (line) => io.stderr(line + "\n"),
        now: () => performance.now(),
      }),
    process.argv.slice(2),
    io,
  );
}
