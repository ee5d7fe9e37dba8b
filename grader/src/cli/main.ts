// The `grader` bin entry: the only place that touches process and the wall clock.
import type { Io } from "./args.js";
import { main } from "./run.js";

const io: Io = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  now: () => new Date(),
};

process.exitCode = await main(process.argv.slice(2), io);
