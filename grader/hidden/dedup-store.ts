/**
 * Hidden tests of the dedup-store quest: the node program over long seeded
 * scripts (many clients, retries, late copies, reads), the sample case with
 * another node id and message ids, and the session store in 3- and 5-node
 * clusters under crashes with restarts from disk, snapshot installs, lost
 * replies, duplicates, replays and clock faults.
 */
import { CheckFailure, criterion, LESSON, type CheckContext } from "../../week-12/checks/index.js";
import { runNode } from "../../week-12/checks/dedup-store.js";
import { hiddenFaultRuns } from "./fault-runs.js";
import { show } from "./model.js";
import { compare, generate, type ScenarioMix, type Step } from "./store-scenarios.js";
import { hidden, seeds, type HiddenTest } from "./types.js";

const c = (n: number) => criterion(LESSON.dedupStore, n);
const NODE_FILES: HiddenTest["files"] = ["src/dedup-kv-store.ts", "src/client-tracker.ts", "node/main.ts", "node/main.py"];
const TRACKER: HiddenTest["files"] = ["src/client-tracker.ts"];

const init = (node: string, msgId: number) => JSON.stringify({ src: "c0", dest: node, body: { type: "init", msg_id: msgId, node_id: node, node_ids: [node] } });

async function nodeScript(ctx: CheckContext, seed: string, mix: ScenarioMix): Promise<void> {
  const steps: Step[] = generate(seed, mix);
  const lines = [init("n1", 1), ...steps.map((s, i) => JSON.stringify({ src: s.req.client_id ?? "c0", dest: "n1", body: { ...s.req, msg_id: 100 + i } }))];
  const run = await runNode(ctx.workbook, lines);
  const byId = new Map(run.replies.map((m) => [m.body.in_reply_to, m.body]));
  const replies = steps.map((_, i) => byId.get(100 + i) ?? { type: "(no reply)" });
  compare(steps, replies, `the node program (${run.command})`, seed);
}

const MIX: ScenarioMix = { steps: 150, clients: ["c1", "c2", "c3", "c4"], keys: ["x", "y", "l"], repeat: 0.3, stale: 0, read: 0.1, readWithIdentity: 0 };

async function sample(ctx: CheckContext): Promise<void> {
  const lines = [
    init("n7", 41),
    JSON.stringify({ src: "c5", dest: "n7", body: { type: "write", msg_id: 42, key: "k", value: "v", client_id: "c5", seq: 1 } }),
    JSON.stringify({ src: "c5", dest: "n7", body: { type: "write", msg_id: 43, key: "k", value: "v", client_id: "c5", seq: 1 } }),
    JSON.stringify({ src: "c6", dest: "n7", body: { type: "read", msg_id: 44, key: "k" } }),
  ];
  const run = await runNode(ctx.workbook, lines);
  const want = [
    { src: "n7", dest: "c0", body: { type: "init_ok", in_reply_to: 41 } },
    { src: "n7", dest: "c5", body: { type: "write_ok", in_reply_to: 42 } },
    { src: "n7", dest: "c5", body: { type: "write_ok", in_reply_to: 43 } },
    { src: "n7", dest: "c6", body: { type: "read_ok", value: "v", in_reply_to: 44 } },
  ];
  const strip = (m: { src: string; dest: string; body: Record<string, unknown> }) => {
    const { msg_id: _m, ...body } = m.body;
    return { src: m.src, dest: m.dest, body };
  };
  const got = run.replies.map((m) => strip(m as unknown as { src: string; dest: string; body: Record<string, unknown> }));
  if (show(got) !== show(want)) {
    throw new CheckFailure(
      "node n7 (not n1), message ids from 41, a write repeated and a read: one reply per request, in order, from the node's own id to the sender, in_reply_to the request's msg_id, and the repeat answered like the first",
      { expected: want.map((w) => show(w)).join("\n"), received: got.map((g) => show(g)).join("\n") || "(no reply)" },
    );
  }
}

export const DEDUP_STORE_HIDDEN: HiddenTest[] = [
  hidden(c(1), "node-script", {
    title: "the node program over long seeded scripts with repeated (client, seq) pairs: each answered from the cache, applied once",
    weight: 2,
    files: NODE_FILES,
    run: async (ctx) => {
      for (let i = 0; i < seeds(2); i++) await nodeScript(ctx, `node-repeat-${i + 1}`, MIX);
    },
  }),
  hidden(c(2), "node-stale", {
    title: "the node program over long seeded scripts with late lower seqs: each refused with error 1000, never applied",
    weight: 2,
    files: NODE_FILES,
    run: async (ctx) => {
      for (let i = 0; i < seeds(2); i++) await nodeScript(ctx, `node-stale-${i + 1}`, { ...MIX, stale: 0.25 });
    },
  }),
  hidden(c(3), "cluster", {
    title: "3 and 5 nodes under crashes with restarts from disk, partitions, lost replies, duplicates and replays: retries answered from the replicated sessions",
    weight: 3,
    files: TRACKER,
    faultRun: true,
    run: (ctx) =>
      hiddenFaultRuns(ctx, {
        looksFor: "a retry applied again after a leader change, a restart or a snapshot install",
        pieces: { core: true, client: false },
        runs: [
          { nodes: 3, workload: "exactly-once", nemesis: ["kill", "partition", "lose-reply", "duplicate", "replay"], timeLimitS: 8, seeds: 10, firstSeed: 501 },
          { nodes: 5, workload: "exactly-once", nemesis: ["kill", "pause", "lose-reply", "duplicate"], timeLimitS: 8, seeds: 8, firstSeed: 511 },
        ],
        checks: () => ["exactly-once"],
        hint: "The sessions are part of the replicated state and its snapshots.",
      }),
  }),
  hidden(c(4), "clock", {
    title: "3 nodes whose clocks jump and drift, under crashes and lost replies: sessions end by the log's time, the same on every replica",
    weight: 2,
    files: TRACKER,
    faultRun: true,
    run: (ctx) =>
      hiddenFaultRuns(ctx, {
        looksFor: "replicas disagreeing on which sessions ended, or a session ended early",
        pieces: { core: true, client: false },
        runs: [{ nodes: 3, workload: "exactly-once", nemesis: ["clock", "kill", "lose-reply", "duplicate"], timeLimitS: 8, seeds: 10, firstSeed: 521 }],
        checks: () => ["exactly-once"],
        hint: "Expiry uses the time in the log entry, never a replica's own clock.",
      }),
  }),
  hidden(c(5), "sample", { title: "the sample case with another node id and message ids, a repeat and a read: exactly the expected lines", weight: 1, files: NODE_FILES, run: sample }),
];
