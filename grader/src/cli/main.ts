// The `grader` bin entry: the only place that touches process and the wall clock.
import { processIo, readPackageVersion, runMain } from "@dslab/protocol/cli";
import { main } from "./run.js";

const io = processIo(process);
await runMain(
  { name: "grader", version: readPackageVersion(new URL(import.meta.url)) },
  (argv) => main(argv, { stdout: io.stdout, stderr: io.stderr, now: () => new Date() }),
  process.argv.slice(2),
  io,
);
