/**
 * The node core's state as plain data (`KvNode.exportState`, `fromState`,
 * `copy`): a three-node cluster run in process from random inputs (ticks,
 * client requests, deliveries, drops and duplicates of peer messages) is
 * copied mid-run, node by node, and the copy and the original are fed the
 * same remaining inputs. They must answer alike and end in the same state.
 */
import { createPrng, stableStringify, type Body, type Json, type Message } from "@dslab/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Effects, NodeConfig } from "../../src/contract.js";
import { createKvNodeCore, KvNode, type KvNodeState } from "../../src/node/index.js";
import { SessionTable, type Session, type SessionStoreFactory, type Tombstone } from "../../src/state-machine/index.js";
import { expectCopyBehavesAlike, expectRoundTripBehavesAlike } from "../plain-data.js";

const IDS = ["n1", "n2", "n3"];

type Action =
  | { kind: "tick"; node: number }
  | { kind: "deliver"; pick: number }
  | { kind: "deliverAll" }
  | { kind: "drop"; pick: number }
  | { kind: "duplicate"; pick: number }
  | { kind: "request"; node: number; toLeader: boolean; client: number; op: "write" | "read" | "cas" | "append"; key: string; value: number; retry: boolean; keyed: boolean };

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("tick" as const), node: fc.nat(2) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("deliver" as const), pick: fc.nat(50) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("deliverAll" as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("drop" as const), pick: fc.nat(50) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("duplicate" as const), pick: fc.nat(50) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("request" as const),
      node: fc.nat(2),
      toLeader: fc.boolean(),
      client: fc.nat(2),
      op: fc.constantFrom("write" as const, "read" as const, "cas" as const, "append" as const),
      key: fc.constantFrom("a", "b"),
      value: fc.nat(3),
      retry: fc.boolean(),
      keyed: fc.boolean(),
    }),
  },
);

/** A session store with its own exported shape (as the workbook's tracker has): the state machine then carries it opaquely. */
class OwnShapeSessions extends SessionTable {
  exportState(): Json {
    const { sessions, tombstones } = this.entries();
    return JSON.parse(JSON.stringify({ sessions, tombstones })) as Json;
  }
  importState(state: Json): void {
    const s = state as unknown as { sessions: Array<[string, Session]>; tombstones: Array<[string, Tombstone]> };
    this.load(s.sessions, s.tombstones);
  }
}
const ownShape: SessionStoreFactory = (o) => new OwnShapeSessions(o);

interface Variant {
  asyncPersist: boolean;
  ownShapeStore: boolean;
}

function configFor(id: string, seed: number, v: Variant): NodeConfig {
  return {
    id,
    nodeIds: IDS,
    prng: createPrng(`${seed}/${id}`),
    electionTimeoutTicksMin: 4,
    electionTimeoutTicksMax: 8,
    heartbeatTicks: 2,
    // Small bounds, so snapshots, InstallSnapshot, session expiry and eviction all happen.
    snapshotEveryEntries: 6,
    sessionTimeoutMs: 400,
    maxSessions: 2,
    idempotencyTtlMs: 300,
    maxIdempotencyKeys: 2,
    asyncPersist: v.asyncPersist,
    ...(v.ownShapeStore ? { sessionStore: ownShape } : {}),
  };
}

/** Three nodes, the messages between them, and everything they produced. */
class World {
  outputs: unknown[] = [];
  constructor(
    public nodes: KvNode[],
    public queue: Message[],
    public nowMs: number,
    /** Each client's current seq, and whether it got a definite answer (anything but "not the leader"). */
    public seqs: number[],
    public answered: boolean[] = seqs.map(() => true),
  ) {}

  static start(seed: number, v: Variant): World {
    return new World(
      IDS.map((id) => createKvNodeCore(configFor(id, seed, v), null)),
      [],
      0,
      [0, 0, 0],
    );
  }

  copy(): World {
    return new World(
      this.nodes.map((n) => n.copy()),
      JSON.parse(JSON.stringify(this.queue)) as Message[],
      this.nowMs,
      [...this.seqs],
      [...this.answered],
    );
  }

  exports(): KvNodeState[] {
    return this.nodes.map((n) => n.exportState());
  }

  run(actions: readonly Action[]): void {
    for (const a of actions) this.step(a);
  }

  private step(a: Action): void {
    this.nowMs += 3;
    switch (a.kind) {
      case "tick":
        return this.take(a.node, this.nodes[a.node]!.tick(this.nowMs));
      case "deliverAll":
        for (const m of this.queue.splice(0)) {
          const node = IDS.indexOf(m.dest);
          this.take(node, this.nodes[node]!.receive(m, this.nowMs));
        }
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
        if (a.kind === "drop") return;
        const node = IDS.indexOf(m!.dest);
        return this.take(node, this.nodes[node]!.receive(m!, this.nowMs));
      }
      case "request": {
        const client = `c${a.client}`;
        // A client moves to its next seq once answered; `retry` sends the same seq again regardless.
        if (this.seqs[a.client] === 0 || (this.answered[a.client] && !a.retry)) {
          this.seqs[a.client]!++;
          this.answered[a.client] = false;
        }
        const seq = this.seqs[a.client]!;
        let body: Body;
        if (a.op === "read") body = { type: "read", key: a.key };
        else if (a.op === "write") body = { type: "write", key: a.key, value: a.value };
        else if (a.op === "append") body = { type: "append", key: a.key, value: a.value, create_if_not_exists: true };
        else body = { type: "cas", key: a.key, from: a.value, to: a.value + 1 };
        if (a.op !== "read") {
          if (a.keyed) Object.assign(body, { idempotency_key: `${client}-${seq}`, fingerprint: `${a.op}-${a.key}-${a.value}` });
          else Object.assign(body, { client_id: client, seq });
        }
        body.msg_id = this.nowMs;
        // Most requests go where a client that follows redirects would send them: to a node that believes it leads.
        const leading = this.nodes.findIndex((n) => n.status().role === "leader");
        const node = a.toLeader && leading >= 0 ? leading : a.node;
        return this.take(node, this.nodes[node]!.receive({ src: client, dest: IDS[node]!, body }, this.nowMs));
      }
    }
  }

  /** Sends go out (peers' into the queue), and a durable mark is reported back at once, as a shell would once written. */
  private take(node: number, effects: Effects): void {
    this.outputs.push(JSON.parse(JSON.stringify({ node, effects })));
    for (const m of effects.send) {
      if (IDS.includes(m.dest)) this.queue.push(m);
      else if (!(m.body.type === "error" && m.body.code === 11)) this.answered[Number(m.dest.slice(1))] = true;
    }
    if (effects.durable) this.take(node, this.nodes[node]!.persisted(effects.durable, this.nowMs));
  }
}

const runArb = fc.record({
  seed: fc.nat(1000),
  asyncPersist: fc.boolean(),
  ownShapeStore: fc.boolean(),
  prefix: fc.array(actionArb, { minLength: 20, maxLength: 250, size: "max" }),
  suffix: fc.array(actionArb, { minLength: 1, maxLength: 150, size: "max" }),
});

describe("the node core's state as data", () => {
  it("a copy taken mid-run answers exactly as the original to the same remaining inputs, and ends in the same state", () => {
    fc.assert(
      fc.property(runArb, ({ seed, asyncPersist, ownShapeStore, prefix, suffix }) => {
        const original = World.start(seed, { asyncPersist, ownShapeStore });
        original.run(prefix);
        expectCopyBehavesAlike(original, suffix);
      }),
      { numRuns: 60 },
    );
  });

  it("exports plain JSON data that survives a JSON round trip, and a node built from the round-tripped state behaves alike", () => {
    fc.assert(
      fc.property(runArb, ({ seed, asyncPersist, ownShapeStore, prefix, suffix }) => {
        const v = { asyncPersist, ownShapeStore };
        const original = World.start(seed, v);
        original.run(prefix);
        const rebuild = (states: unknown[]) =>
          new World(
            states.map((s, i) => KvNode.fromState(configFor(IDS[i]!, seed + 1, v), s as KvNodeState)),
            JSON.parse(JSON.stringify(original.queue)) as Message[],
            original.nowMs,
            [...original.seqs],
            [...original.answered],
          );
        expectRoundTripBehavesAlike(original, rebuild, suffix);
      }),
      { numRuns: 40 },
    );
  });

  it("the runs elect leaders, commit client writes and take snapshots (the properties above are not vacuous)", () => {
    const w = World.start(7, { asyncPersist: false, ownShapeStore: false });
    for (let r = 0; r < 60; r++) {
      for (let n = 0; n < 3; n++) w.run([{ kind: "tick", node: n }]);
      for (let k = 0; k < 12; k++) w.run([{ kind: "deliver", pick: 0 }]);
      const leader = Math.max(0, w.nodes.findIndex((n) => n.status().role === "leader"));
      w.run([{ kind: "request", node: leader, toLeader: true, client: r % 2, op: "write", key: "a", value: r % 4, retry: false, keyed: r % 3 === 0 }]);
    }
    const states = w.exports();
    expect(states.filter((s) => s.raft.role === "leader")).toHaveLength(1);
    expect(states.every((s) => s.raft.log.snapshotIndex > 0)).toBe(true);
    const oks = w.outputs.flatMap((o) => (o as { effects: Effects }).effects.send).filter((m) => m.body.type === "write_ok");
    expect(oks.length).toBeGreaterThan(10);
  });

  it("a copy's PRNG is its own: building and running it draws nothing from the original's generator", () => {
    const prng = createPrng("shared");
    const node = createKvNodeCore({ ...configFor("n1", 1, { asyncPersist: false, ownShapeStore: false }), prng }, null);
    const before = prng.exportState!();
    const copy = node.copy();
    for (let i = 0; i < 30; i++) copy.tick(i);
    expect(prng.exportState!()).toEqual(before);
    expect(copy.exportState().raft.prng).not.toEqual(node.exportState().raft.prng);
  });

  it("every field of a node is either configuration or exported state (a new field must join one or the other)", () => {
    const configuration = ["id", "config", "options", "trustedPeers", "snapshotEveryEntries", "maxValueBytes"];
    // Empty between inputs: what the node produced while handling one, handed back at its end.
    const scratch = ["out"];
    const state: Record<string, keyof KvNodeState> = {
      raft: "raft", sm: "stateMachine", lastApplied: "lastApplied", started: "started", pending: "pending", reads: "reads",
      pendingKeys: "pendingKeys", pendingSessions: "pendingSessions", leaderTerm: "leaderTerm", logClock: "logClock",
    };
    const node = createKvNodeCore(configFor("n1", 1, { asyncPersist: false, ownShapeStore: false }), null);
    expect(Object.keys(node).sort()).toEqual([...configuration, ...scratch, ...Object.keys(state)].sort());
    const exported = node.exportState();
    expect(Object.keys(exported).sort()).toEqual(Object.values(state).sort());
  });

  it("an export and the node built from it share nothing: changing one leaves the other as it was", () => {
    const w = World.start(5, { asyncPersist: false, ownShapeStore: false });
    for (let r = 0; r < 30; r++) {
      w.run([{ kind: "tick", node: r % 3 }, { kind: "deliverAll" }, { kind: "deliverAll" }]);
      w.run([{ kind: "request", node: 0, toLeader: true, client: 0, op: "write", key: "a", value: r % 4, retry: false, keyed: false }]);
    }
    const node = w.nodes.find((n) => n.status().role === "leader")!;
    const data = node.exportState();
    expect(data.raft.log.entries.length).toBeGreaterThan(0);
    const text = stableStringify(data);
    const built = KvNode.fromState(configFor(node.id, 99, { asyncPersist: false, ownShapeStore: false }), data);
    // Scribble over the export: neither the exporting node nor the one built from it may notice.
    data.raft.log.entries.length = 0;
    data.raft.term = 99;
    (data.stateMachine as { kv: unknown[] }).kv.length = 0;
    data.logClock.lastTs = -1;
    expect(stableStringify(node.exportState())).toBe(text);
    expect(stableStringify(built.exportState())).toBe(text);
  });

  it("refuses a state exported by another node", () => {
    const v = { asyncPersist: false, ownShapeStore: false };
    const n1 = createKvNodeCore(configFor("n1", 1, v), null);
    expect(() => KvNode.fromState(configFor("n2", 1, v), n1.exportState())).toThrow(/state of node n1/);
  });
});
