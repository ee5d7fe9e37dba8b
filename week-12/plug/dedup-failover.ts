/**
 * The failover scenario, for day 4's proof: three reference nodes with the
 * workbook's `ClientTracker` as their session store, on the deterministic
 * driver. The leader applies client c1's append; it crashes before the
 * client hears back; a new leader is elected; the client retries the same
 * (client_id, seq) against it. Prints what the nodes logged, from the first
 * election on, as `<node> | <line>`: the new leader's `became leader` line
 * and its `[dedup]` line answering the retry from the replicated session,
 * then the client's two replies.
 *
 *   npm run dedup-failover   (in week-12/)
 *   npx tsx week-12/plug/dedup-failover.ts   (at the repository root)
 *
 * `DSLAB_WORKBOOK=solution` runs the reference solution instead of week-12/.
 * Exit code 0 when the retry was answered from the session, 1 when it was
 * applied again, 3 when a tracker function is not written yet.
 */
import { RaftDriver } from "@dslab/cluster/testing";
import { Scenario, trackerCore } from "../checks/dedup-store.js";
import { workbookFromEnv } from "../checks/workbook.js";
import type { Io } from "@dslab/protocol/cli";
import { isNotImplemented } from "../src/todo.js";
import { runScript } from "./script.js";

async function failover(io: Io): Promise<number> {
  const driver = new RaftDriver({ nodeIds: ["n1", "n2", "n3"], seed: 4, createCore: await trackerCore(workbookFromEnv()) });
  const s = new Scenario(driver);
  const first = s.leader();
  const append = { type: "append", key: "l", value: "a", client_id: "c1", seq: 1 };
  const reply = s.ask("c1", first, append);
  driver.crash(first);
  const next = driver.nodeIds.find((id) => id !== first)!;
  s.elect(next);
  const retry = s.ask("c1", next, append);
  const read = s.ask("c2", next, { type: "read", key: "l" });
  for (const line of driver.trace) {
    const m = /^(n\d+): (.*)$/.exec(line);
    if (m) io.stdout(`${m[1]} | ${m[2]}\n`);
    else if (line.startsWith("-- ")) io.stdout(`${line}\n`);
  }
  io.stdout(`c1 | append seq 1 -> ${JSON.stringify(reply)} (from ${first}); retry -> ${JSON.stringify(retry)} (from ${next})\n`);
  io.stdout(`c2 | read l -> ${JSON.stringify(read)}\n`);
  const once = JSON.stringify(read) === JSON.stringify({ type: "read_ok", value: ["a"] });
  if (!once) io.stderr("dedup-failover: the retry was applied again: the new leader did not answer it from its session\n");
  return once ? 0 : 1;
}

const HELP = `Usage: npm run dedup-failover   (in week-12/)
   or: npx tsx week-12/plug/dedup-failover.ts   (at the repository root)

Three reference nodes with your ClientTracker (week-12/src/client-tracker.ts)
as their session store: the leader applies client c1's append and crashes
before the client hears back, a new leader is elected, and the client retries
the same (client_id, seq). Prints what the nodes logged as "<node> | <line>",
then the client's two replies.

Options:
  -h, --help   show this help

DSLAB_WORKBOOK=solution runs the reference solution instead of week-12/.
Exit codes: 0 the retry was answered from the session, 1 it was applied again
(or your code threw: its stack is printed), 2 usage error, 3 a tracker
function is not written yet.
`;

await runScript({
  name: "dedup-failover",
  help: HELP,
  options: {},
  async main(_values, io) {
    try {
      return await failover(io);
    } catch (e) {
      if (!isNotImplemented(e)) throw e;
      io.stderr(`dedup-failover: ${e.message}\n`);
      return 3;
    }
  },
});
