/**
 * `history-check FILE... --model M`: the shell around `runCli`, the only
 * place that touches the process.
 */
import { processIo, readPackageVersion, runMain } from "@dslab/protocol/cli";
import { runCli } from "./run.js";

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
