/** Hidden tests of w11-l04 (idempotent writes): the store's dedup rules over long seeded sequences, and in the cluster. */
import { criterion, LESSON } from "../../week-12/checks/index.js";
import { hiddenFaultRuns } from "./fault-runs.js";
import { AWKWARD_NAMES } from "./model.js";
import { inProcess, type ScenarioMix } from "./store-scenarios.js";
import { hidden, seeds, type HiddenTest } from "./types.js";

const c = (n: number) => criterion(LESSON.idempotentWrites, n);
const FILES: HiddenTest["files"] = ["src/dedup-kv-store.ts", "src/client-tracker.ts"];
const BASE: ScenarioMix = { steps: 400, clients: ["c1", "c2", "c3", ...AWKWARD_NAMES], keys: ["x", "y", "l", ...AWKWARD_NAMES], repeat: 0, stale: 0, read: 0.1, readWithIdentity: 0 };

async function sequences(ctx: Parameters<HiddenTest["run"]>[0], name: string, mix: ScenarioMix, n: number): Promise<void> {
  for (let i = 0; i < seeds(n); i++) await inProcess(ctx, `${name}-${i + 1}`, mix);
}

export const IDEMPOTENT_WRITES_HIDDEN: HiddenTest[] = [
  hidden(c(1), "repeats", {
    title: "long seeded sequences with retries of the last seq (client ids like __proto__ too): each repeat answered from the table, applied once",
    weight: 1,
    files: FILES,
    run: (ctx) => sequences(ctx, "repeats", { ...BASE, repeat: 0.35 }, 8),
  }),
  hidden(c(1), "cluster", {
    title: "in a 3-node cluster under duplicated, replayed and lost-reply messages, no write is applied twice",
    weight: 2,
    files: FILES,
    faultRun: true,
    run: (ctx) =>
      hiddenFaultRuns(ctx, {
        looksFor: "a write applied twice when its request was duplicated, replayed late or its reply lost",
        pieces: { core: true, client: false },
        runs: [{ nodes: 3, workload: "exactly-once", nemesis: ["duplicate", "replay", "lose-reply"], timeLimitS: 6, seeds: 12, firstSeed: 201 }],
        hint: "A repeat of a client's last seq must be answered from the session, not applied again.",
      }),
  }),
  hidden(c(2), "newer-replaces", {
    title: "long seeded sequences with seq gaps and late lower seqs: the table keeps one last seq and reply per client, a newer seq replaces them",
    weight: 1,
    files: FILES,
    run: (ctx) => sequences(ctx, "newer", { ...BASE, repeat: 0.25, stale: 0.2 }, 8),
  }),
  hidden(c(2), "cluster", {
    title: "in a 5-node cluster under lost replies, duplicates, crashes and partitions, every client's writes apply exactly once",
    weight: 2,
    files: FILES,
    faultRun: true,
    run: (ctx) =>
      hiddenFaultRuns(ctx, {
        looksFor: "a client's later write lost or an earlier one applied again",
        pieces: { core: true, client: false },
        runs: [{ nodes: 5, workload: "exactly-once", nemesis: ["lose-reply", "duplicate", "kill", "partition"], timeLimitS: 6, seeds: 8, firstSeed: 211 }],
        hint: "The table keeps the last seq and its reply per client; a newer seq replaces them.",
      }),
  }),
  hidden(c(3), "reads", {
    title: "long seeded sequences with reads carrying the identity of the last write: reads always return the latest value",
    weight: 1,
    files: FILES,
    run: (ctx) => sequences(ctx, "reads", { ...BASE, repeat: 0.2, read: 0.2, readWithIdentity: 0.2 }, 8),
  }),
  hidden(c(3), "cluster", {
    title: "in a 3-node cluster under duplicated and replayed messages, the reads are linearizable",
    weight: 2,
    files: FILES,
    faultRun: true,
    run: (ctx) =>
      hiddenFaultRuns(ctx, {
        looksFor: "a stale read answered from the dedup table",
        pieces: { core: true, client: false },
        runs: [{ nodes: 3, workload: "lin-kv", nemesis: ["duplicate", "replay", "lose-reply"], timeLimitS: 6, seeds: 8, firstSeed: 221 }],
        hint: "Reads are not deduplicated: a read always returns the latest value.",
      }),
  }),
];
