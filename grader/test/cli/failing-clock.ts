/**
 * Test-only wrapper: runs grader's `main` with a wall clock that throws, the
 * way a bug inside a command would. The product has no switch for this; the
 * failing dependency is injected here.
 */
import { processIo, runMain } from "@dslab/protocol/cli";
import { main } from "../../src/cli/run.js";

const io = processIo(process);
await runMain(
  { name: "grader", version: "test" },
  (argv) =>
    main(argv, {
      stdout: io.stdout,
      stderr: io.stderr,
      now: () => {
        throw new TypeError("injected: the clock broke");
      },
    }),
  process.argv.slice(2),
  io,
);
