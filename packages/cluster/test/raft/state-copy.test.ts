/**
 * The Raft core's state as plain data (`RaftCore.exportState`, `fromState`,
 * `copy`): three cores run in process from random inputs (ticks, proposals,
 * reads, compactions, deliveries, drops and duplicates), their Readies
 * drained at random moments, so a copy may be taken with output still
 * waiting in a core. The copy and the original, fed the same remaining
 * inputs, must produce the same Readies and end in the same state.
 */
import { createPrng, type Message } from "@dslab/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Command } from "../../src/contract.js";
import { RaftCore, type RaftOptions, type RaftStateData } from "../../src/raft/index.js";
import { expectCopyBehavesAlike, expectRoundTripBehavesAlike } from "../plain-data.js";

const IDS = ["n1", "n2", "n3"];

type Action =
  | { kind: "tick"; node: number }
  | { kind: "deliver"; pick: number }
  | { kind: "deliverAll" }
  | { kind: "drop"; pick: number }
  | { kind: "duplicate"; pick: number }
  | { kind: "propose"; node: number; toLeader: boolean; value: number }
  | { kind: "read"; node: number; toLeader: boolean }
  | { kind: "compact"; node: number }
  | { kind: "drain"; node: number }
  | { kind: "drainAll" };

const node = fc.nat(2);
const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("tick" as const), node }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("deliver" as const), pick: fc.nat(50) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("deliverAll" as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("drop" as const), pick: fc.nat(50) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("duplicate" as const), pick: fc.nat(50) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("propose" as const), node, toLeader: fc.boolean(), value: fc.nat(9) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("read" as const), node, toLeader: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("compact" as const), node }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("drain" as const), node }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("drainAll" as const) }) },
);

function options(id: string, seed: number, asyncPersist: boolean): RaftOptions {
  return {
    id,
    nodeIds: IDS,
    prng: createPrng(`${seed}/${id}`),
    electionTimeoutTicksMin: 4,
    electionTimeoutTicksMax: 8,
    heartbeatTicks: 2,
    maxEntriesPerAppend: 3,
    maxInflightAppends: 2,
    // Small chunks: a snapshot travels in several.
    maxSnapshotChunkChars: 16,
    asyncPersist,
    leaderNoop: (nowMs): Command => ({ kind: "noop", ts: nowMs }),
  };
}

class Cluster {
  outputs: unknown[] = [];
  constructor(
    public cores: RaftCore[],
    public queue: Message[],
    public nowMs: number,
  ) {}

  static start(seed: number, asyncPersist: boolean): Cluster {
    return new Cluster(
      IDS.map((id) => new RaftCore(options(id, seed, asyncPersist), null)),
      [],
      0,
    );
  }

  copy(): Cluster {
    return new Cluster(
      this.cores.map((c) => c.copy()),
      JSON.parse(JSON.stringify(this.queue)) as Message[],
      this.nowMs,
    );
  }

  exports(): RaftStateData[] {
    return this.cores.map((c) => c.exportState());
  }

  run(actions: readonly Action[]): void {
    for (const a of actions) this.step(a);
  }

  private step(a: Action): void {
    this.nowMs += 3;
    switch (a.kind) {
      case "tick":
        return this.cores[a.node]!.tick(this.nowMs);
      case "propose": {
        const i = this.target(a);
        this.outputs.push({ node: i, proposed: this.cores[i]!.propose({ kind: "client", ts: this.nowMs, request: { type: "write", key: "k", value: a.value } }) });
        return;
      }
      case "read": {
        const i = this.target(a);
        this.outputs.push({ node: i, read: this.cores[i]!.requestRead() });
        return;
      }
      case "compact": {
        const core = this.cores[a.node]!;
        core.compact(core.commitIndex, { applied: core.commitIndex, padding: "x".repeat(40) });
        return;
      }
      case "drain":
        return this.drain(a.node);
      case "drainAll":
        for (let i = 0; i < this.cores.length; i++) this.drain(i);
        return;
      case "deliverAll":
        for (const m of this.queue.splice(0)) this.cores[IDS.indexOf(m.dest)]!.step(m, this.nowMs);
        return;
      case "deliver":
      case "drop":
      case "duplicate": {
        if (this.queue.length === 0) return;
        const i = a.pick % this.queue.length;
        if (a.kind === "duplicate") {
          this.queue.push(JSON.parse(JSON.stringify(this.queue[i])) as Message);
          return;
        }
        const [m] = this.queue.splice(i, 1);
        if (a.kind === "deliver") this.cores[IDS.indexOf(m!.dest)]!.step(m!, this.nowMs);
        return;
      }
    }
  }

  /** The node a request goes to: often one that believes it leads, as a client following redirects would find. */
  private target(a: { node: number; toLeader: boolean }): number {
    const leading = this.cores.findIndex((c) => c.role === "leader");
    return a.toLeader && leading >= 0 ? leading : a.node;
  }

  /** Take a core's Ready: its messages go into the queue, and a durable mark is reported back (written at once). */
  private drain(i: number): void {
    const core = this.cores[i]!;
    if (!core.hasReady()) return;
    const ready = core.takeReady();
    this.outputs.push(JSON.parse(JSON.stringify({ node: i, ready })));
    for (const m of ready.send) this.queue.push(m);
    if (ready.durable) core.persisted(ready.durable);
  }
}

const runArb = fc.record({
  seed: fc.nat(1000),
  asyncPersist: fc.boolean(),
  prefix: fc.array(actionArb, { minLength: 20, maxLength: 250, size: "max" }),
  suffix: fc.array(actionArb, { minLength: 1, maxLength: 150, size: "max" }),
});

describe("the Raft core's state as data", () => {
  it("a copy taken mid-run, undrained output included, produces the same Readies as the original and ends in the same state", () => {
    fc.assert(
      fc.property(runArb, ({ seed, asyncPersist, prefix, suffix }) => {
        const original = Cluster.start(seed, asyncPersist);
        original.run(prefix);
        expectCopyBehavesAlike(original, suffix);
      }),
      { numRuns: 60 },
    );
  });

  it("exports plain data that survives a JSON round trip; fromState of the round-tripped data behaves alike", () => {
    fc.assert(
      fc.property(runArb, ({ seed, asyncPersist, prefix, suffix }) => {
        const original = Cluster.start(seed, asyncPersist);
        original.run(prefix);
        const rebuild = (states: unknown[]) =>
          new Cluster(
            states.map((s, i) => RaftCore.fromState(options(IDS[i]!, seed + 1, asyncPersist), s as RaftStateData)),
            JSON.parse(JSON.stringify(original.queue)) as Message[],
            original.nowMs,
          );
        expectRoundTripBehavesAlike(original, rebuild, suffix);
      }),
      { numRuns: 40 },
    );
  });

  it("the random runs reach leaders, commits, reads and chunked snapshots (the properties above are not vacuous)", () => {
    const seen = { leader: 0, committed: 0, reads: 0, snapshotChunks: 0 };
    for (const r of fc.sample(runArb, { numRuns: 40, seed: 7 })) {
      const c = Cluster.start(r.seed, r.asyncPersist);
      c.run([...r.prefix, ...r.suffix]);
      const readies = c.outputs.flatMap((o) => ((o as { ready?: { send: Message[]; reads: unknown[] } }).ready ? [(o as { ready: { send: Message[]; reads: unknown[] } }).ready] : []));
      if (c.cores.some((core) => core.role === "leader")) seen.leader++;
      if (c.cores.some((core) => core.commitIndex > 3)) seen.committed++;
      if (readies.some((rd) => rd.reads.length > 0)) seen.reads++;
      if (readies.some((rd) => rd.send.some((m) => m.body.type === "raft_snapshot" && (m.body as unknown as { offset: number }).offset > 0))) seen.snapshotChunks++;
    }
    expect(seen.leader).toBeGreaterThan(20);
    expect(seen.committed).toBeGreaterThan(20);
    expect(seen.reads).toBeGreaterThan(5);
    expect(seen.snapshotChunks).toBeGreaterThan(2);
  });

  it("every field of a core is either configuration or exported state (a new field must join one or the other)", () => {
    const configuration = [
      "opts", "id", "nodeIds", "peers", "quorum", "electionMin", "electionMax", "heartbeatTicks", "maxEntriesPerAppend", "maxInflight",
      "maxAppendChars", "maxSnapshotChunkChars", "preVote", "checkQuorum", "checkSnapshot", "leaderNoop", "checkCommand", "voteRules",
      "asyncPersist", "matchScratch",
    ];
    // Field -> where exportState puts it.
    const state: Record<string, keyof RaftStateData> = {
      log: "log", prng: "prng", currentTerm: "term", vote: "votedFor", currentRole: "role", currentLeader: "leader", commit: "commitIndex",
      latestSnapshot: "snapshot", snapshotText: "snapshotText", readRound: "readRound", queuedReads: "queuedReads", readCtx: "readCtx",
      readIds: "readIds", incoming: "incoming", electionElapsed: "electionElapsed", heartbeatElapsed: "heartbeatElapsed",
      randomizedElectionTimeout: "randomizedElectionTimeout", votes: "votes", progress: "progress", selfDurable: "selfDurable",
      ledAtLastReady: "ledAtLastReady", out: "ready", loggedCommit: "loggedCommit", commitLoggedThisTick: "commitLoggedThisTick",
    };
    const core = new RaftCore(options("n1", 1, false), null);
    const fields = Object.keys(core).sort();
    expect(fields).toEqual([...configuration, ...Object.keys(state)].sort());
    const exported = core.exportState();
    for (const key of Object.values(state)) expect(Object.hasOwn(exported, key)).toBe(true);
  });

  it("a state given to a core configured as another node is refused", () => {
    const n1 = new RaftCore(options("n1", 1, false), null);
    expect(() => RaftCore.fromState(options("n2", 1, false), n1.exportState())).toThrow(/state of node n1/);
  });

  it("a core whose PRNG cannot export its state says so", () => {
    const plain = createPrng(3);
    const core = new RaftCore({ ...options("n1", 1, false), prng: { ...plain, exportState: undefined } }, null);
    expect(() => core.exportState()).toThrow(/PRNG cannot export its state/);
  });
});
