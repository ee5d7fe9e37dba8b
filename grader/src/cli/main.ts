// The `grader` bin entry: the only place that touches process and the wall clock.
import type { Io } from "./args.js";
import { main } from "./run.js";

const io: Io = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  now: () => new Date(),
};

try {
  process.exitCode = await main(process.argv.slice(2), io);
} catch (err) {
  // A bug, not bad input: keep the stack, and an exit code no command uses for a verdict.
  process.stderr.write(`grader: internal error, please report it: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 70;
}
