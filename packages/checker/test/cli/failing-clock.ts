/**
 * Test-only wrapper: runs history-check's `runCli` with a clock that breaks
 * after its first reading, the way a bug inside a check would throw. The
 * product has no switch for this; the failing dependency is injected here.
 */
import { processIo, runMain } from "@dslab/protocol/cli";
import { runCli } from "../../src/cli/run.js";

let readings = 0;
const io = processIo(process);
await runMain(
  { name: "history-check", version: "test" },
  async (argv) =>
    runCli(argv, {
      out: (line) => io.stdout(line + "\n"),
      err: (line) => io.stderr(line + "\n"),
      now: () => {
        if (++readings > 1) throw new TypeError("injected: the clock broke");
        return 0;
      },
    }),
  process.argv.slice(2),
  io,
);
