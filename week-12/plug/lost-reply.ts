/**
 * The lost-reply scenario, for the day file's proof: the workbook's retrying
 * client drives appends against the reference cluster (in-process, simulated
 * time) while the network loses replies after the leader applied the
 * request. It prints one operation whose reply was lost: the client's
 * attempt lines and, between them, the node's line answering the retry from
 * its session table.
 *
 *   npx tsx week-12/plug/lost-reply.ts [--seed N]
 *
 * `DSLAB_WORKBOOK=solution` runs the reference solution instead of week-12/.
 */
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { AttemptRecord } from "@dslab/client";
import { DEFAULT_CONFIG, runInProcess, type ClientFactory } from "@dslab/sim";
import { isNotImplemented } from "../src/todo.js";
import { workbookFromEnv } from "../checks/workbook.js";
import { clientFactoryFor, keepingErrors } from "./client.js";

type Event = { kind: "attempt"; record: AttemptRecord; line: string } | { kind: "node"; node: string; line: string };

const DEDUP = /\[dedup\] client (\S+) seq (\d+) is duplicate/;

/**
 * Runs the scenario with `factory`'s clients; resolves to the lines of the
 * first operation that was retried after a lost reply and answered from the
 * session table, or null if no operation of this seed was.
 */
export async function lostReplyScenario(factory: ClientFactory, seed = "1"): Promise<string[] | null> {
  const events: Event[] = [];
  const kept = keepingErrors(factory);
  const createClient: ClientFactory = (options) => kept.factory({ ...options, onAttempt: (record, line) => events.push({ kind: "attempt", record, line }) });
  // An error the student's client threw inside the run is the news, not the
  // stopped run it left behind.
  await runInProcess(
    { ...DEFAULT_CONFIG, seed, nodes: 3, timeLimitS: 4, rate: 20, concurrency: 2, workload: "exactly-once", nemesis: [] },
    {
      createClient,
      onLog: (line) => {
        const i = line.indexOf(" ");
        events.push({ kind: "node", node: line.slice(0, i), line: line.slice(i + 1) });
      },
      schedule: [
        { atMs: 1_000, op: "lose-reply", probability: 0.6 },
        { atMs: 4_000, op: "heal" },
      ],
    },
  ).catch((e: unknown) => {
    throw kept.error() ?? e;
  });
  if (kept.error() !== undefined) throw kept.error();
  for (const [at, e] of events.entries()) {
    const m = e.kind === "node" ? DEDUP.exec(e.line) : null;
    if (!m) continue;
    const mine = (x: Event): x is Extract<Event, { kind: "attempt" }> =>
      x.kind === "attempt" && x.record.clientId === m[1] && x.record.seq === Number(m[2]);
    const before = events.slice(0, at).filter(mine);
    const after = events.slice(at + 1).filter(mine);
    if (before.some((a) => a.record.outcome.startsWith("timeout")) && after[0]?.record.action === "succeed") {
      return [...before.map((a) => a.line), `${(e as { node: string }).node} | ${e.line}`, after[0].line];
    }
  }
  return null;
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { seed: { type: "string", default: "1" } } });
  const factory = await clientFactoryFor(workbookFromEnv());
  const first = Number(values.seed);
  for (let seed = first; seed < first + 20; seed++) {
    const lines = await lostReplyScenario(factory, String(seed));
    if (lines) {
      console.log(`# lost-reply scenario, seed ${seed}`);
      for (const line of lines) console.log(line);
      return 0;
    }
  }
  console.error(`lost-reply: no retried operation was answered from the session table in seeds ${first}..${first + 19}; does your client retry a timed-out request with the same client_id and seq?`);
  return 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => (process.exitCode = code),
    (e: unknown) => {
      if (isNotImplemented(e)) console.error(`lost-reply: ${e.message} (week-12/src/retry-client.ts)`);
      else console.error(`lost-reply: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      process.exitCode = 1;
    },
  );
}
