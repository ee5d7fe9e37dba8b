/**
 * `history-check FILE... --model M`: the shell around `runCli`.
 */
import { runCli } from "./run.js";

process.exitCode = runCli(process.argv.slice(2), {
  out: (line) => process.stdout.write(line + "\n"),
  err: (line) => process.stderr.write(line + "\n"),
  now: () => performance.now(),
});
