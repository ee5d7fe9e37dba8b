/**
 * The lost-reply scenario, for the day file's proof: the workbook's retrying
 * client drives appends against the reference cluster (in-process, simulated
 * time) while the network loses replies after the leader applied the
 * request. It prints one operation whose reply was lost: the client's
 * attempt lines and, between them, the node's line answering the retry from
 * its session table.
 *
 *   npm run lost-reply -- [--seed N]   (in week-12/)
 *   npx tsx week-12/plug/lost-reply.ts [--seed N]   (at the repository root)
 *
 * `DSLAB_WORKBOOK=solution` runs the reference solution instead of week-12/.
 */
import { fileURLToPath } from "node:url";
import type { AttemptRecord } from "@dslab/client";
import { intOption, type Io } from "@dslab/protocol/cli";
import { DEFAULT_CONFIG, runInProcess, type ClientFactory } from "@dslab/sim";
import { isNotImplemented } from "../src/todo.js";
import { workbookFromEnv } from "../checks/workbook.js";
import { clientFactoryFor, keepingErrors } from "./client.js";
import { runScript } from "./script.js";

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

const SEEDS_TRIED = 20;

const HELP = `Usage: npm run lost-reply -- [--seed N]   (in week-12/)
   or: npx tsx week-12/plug/lost-reply.ts [--seed N]   (at the repository root)

Runs your retrying client (week-12/src/retry-client.ts) against three
reference nodes in simulated time while replies are lost, and prints the
first operation whose reply was lost and whose retry the leader answered from
its session table: the client's attempt lines with the node's [dedup] line
between them. Seeds N to N+${SEEDS_TRIED - 1} are tried until one has such an operation.

Options:
  --seed N     the first seed to try, an integer >= 0 (default 1)
  -h, --help   show this help

DSLAB_WORKBOOK=solution runs the reference solution instead of week-12/.
Exit codes: 0 printed, 1 no seed had such an operation (or your code threw:
its stack is printed; "not implemented yet" names the function), 2 usage error.
`;

async function main(values: { seed?: string | undefined }, io: Io): Promise<number> {
  const first = intOption(values.seed, "seed", { min: 0 }) ?? 1;
  let factory: ClientFactory;
  try {
    factory = await clientFactoryFor(workbookFromEnv());
    for (let seed = first; seed < first + SEEDS_TRIED; seed++) {
      const lines = await lostReplyScenario(factory, String(seed));
      if (lines) {
        io.stdout(`# lost-reply scenario, seed ${seed}\n`);
        for (const line of lines) io.stdout(`${line}\n`);
        return 0;
      }
    }
  } catch (e) {
    if (!isNotImplemented(e)) throw e;
    io.stderr(`lost-reply: ${e.message} (week-12/src/retry-client.ts)\n`);
    return 1;
  }
  io.stderr(
    `lost-reply: no retried operation was answered from the session table in seeds ${first}..${first + SEEDS_TRIED - 1}; does your client retry a timed-out request with the same client_id and seq?\n`,
  );
  return 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await runScript({ name: "lost-reply", help: HELP, options: { seed: { type: "string" } }, main });
}
