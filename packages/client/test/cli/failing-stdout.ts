/**
 * Test-only wrapper: runs kv's `main` with a stdout that throws, the way a
 * bug inside the command would. The product has no switch for this; the
 * failing dependency is injected here.
 */
import { processIo, runMain } from "@dslab/protocol/cli";
import { main } from "../../src/cli/main.js";

const io = processIo(process);
await runMain({ name: "kv", version: "test" }, main, process.argv.slice(2), {
  ...io,
  stdout: () => {
    throw new TypeError("injected: stdout broke");
  },
});
