import { createPrng, type Message } from "@dslab/protocol";
import { describe, expect, it } from "vitest";
import type { PersistOp, PersistentState, Storage } from "../../src/contract.js";
import { createKvNodeCore } from "../../src/node/core.js";
import { CoreFailure, KvNodeRuntime } from "../../src/runtime/node-runtime.js";
import { FileStorage, MemoryStorage } from "../../src/storage/index.js";
import { promises as fsp } from "node:fs";
import os from "node:os";
import path from "node:path";

/** A real MemoryStorage whose fsyncs complete only when the test opens the gate. */
class GatedStorage implements Storage {
  readonly inner = new MemoryStorage();
  readonly calls: PersistOp[][] = [];
  private gates: Array<() => void> = [];
  constructor(private readonly events: string[]) {}
  load(): Promise<PersistentState> {
    return this.inner.load();
  }
  persist(ops: PersistOp[]): Promise<void> {
    const n = this.calls.push(ops);
    this.events.push(`persist ${n} start`);
    return new Promise((resolve) =>
      this.gates.push(() => {
        this.inner.persistSync(ops);
        this.events.push(`persist ${n} done`);
        resolve();
      }),
    );
  }
  get waiting(): number {
    return this.gates.length;
  }
  open(): void {
    for (const g of this.gates.splice(0)) g();
  }
  async close(): Promise<void> {}
}

const settle = () => new Promise((r) => setImmediate(r));

async function singleNode() {
  const events: string[] = [];
  const storage = new GatedStorage(events);
  const sent: Message[] = [];
  const core = createKvNodeCore({ id: "n1", nodeIds: ["n1"], prng: createPrng("runtime-test") }, await storage.load());
  const runtime = new KvNodeRuntime({
    core,
    storage,
    send: (m) => {
      events.push(`send ${m.body.type}`);
      sent.push(m);
    },
    log: () => {},
    now: () => 1_000,
  });
  /** Opens fsync gates until nothing is waiting. */
  const drain = async () => {
    for (let i = 0; i < 20; i++) {
      await settle();
      if (storage.waiting === 0) return;
      storage.open();
    }
  };
  return { events, storage, sent, runtime, drain };
}

const write = (seq: number): Message => ({
  src: "c1",
  dest: "n1",
  body: { type: "write", msg_id: seq, key: "x", value: seq, client_id: "c1", seq },
});

describe("KvNodeRuntime: effects in order (contract: persist before send)", () => {
  it("sends no reply before the persist that precedes it has completed", async () => {
    const { events, storage, sent, runtime, drain } = await singleNode();
    runtime.deliver(write(1));
    await settle();
    expect(sent).toEqual([]); // the entry is not durable yet
    expect(storage.waiting).toBe(1);
    await drain();
    expect(sent.map((m) => m.body.type)).toEqual(["write_ok"]);
    // Every send comes after the completion of every persist started before it.
    for (const [i, e] of events.entries()) {
      if (!e.startsWith("send")) continue;
      const started = events.slice(0, i).filter((x) => x.endsWith("start")).length;
      const done = events.slice(0, i).filter((x) => x.endsWith("done")).length;
      expect(done, `before "${e}" at event ${i}: ${events.join(", ")}`).toBe(started);
    }
    await runtime.close();
  });

  it("hands every write to storage at once, in order: the inputs of one turn share one fsync of FileStorage (group commit)", async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), "dslab-runtime-"));
    try {
      const storage = new FileStorage(dir, { log: () => {} });
      const core = createKvNodeCore({ id: "n1", nodeIds: ["n1"], prng: createPrng("runtime-group"), asyncPersist: true }, await storage.load());
      const sent: Message[] = [];
      const runtime = new KvNodeRuntime({ core, storage, send: (m) => sent.push(m), log: () => {} });
      runtime.deliver(write(1));
      await until("the first write_ok", () => sent.length === 1);
      const before = storage.stats.fsyncs;
      for (let seq = 2; seq <= 11; seq++) runtime.deliver(write(seq)); // one turn
      await until("ten more", () => sent.length === 11);
      expect(sent.map((m) => m.body.type)).toEqual(Array(11).fill("write_ok"));
      expect(storage.stats.persistCalls).toBeGreaterThanOrEqual(11);
      expect(storage.stats.fsyncs - before).toBe(1);
      await runtime.close();
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });

  it("submit() resolves with the reply body, and with an indefinite timeout error when no reply comes", async () => {
    const { runtime, drain } = await singleNode();
    const pending = runtime.submit({ type: "write", key: "k", value: 7, client_id: "h1", seq: 1 });
    await drain();
    expect(await pending).toEqual({ type: "write_ok" });
    const read = runtime.submit({ type: "read", key: "k" });
    await drain();
    expect(await read).toEqual({ type: "read_ok", value: 7 });
    // The fsync never completes: the caller learns the outcome is unknown (error 0), not "failed".
    const stuck = runtime.submit({ type: "write", key: "k", value: 8, client_id: "h1", seq: 2 }, { timeoutMs: 50 });
    expect(await stuck).toMatchObject({ type: "error", code: 0 });
  });
});

/** Polls (real timers: the runtime ticks) until `done()` holds. */
async function until(what: string, done: () => boolean, maxMs = 5_000): Promise<void> {
  const deadline = Date.now() + maxMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`not done within ${maxMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

/** n1 of three under the runtime, its peers played by the test; asyncPersist as startNode builds it. */
async function leaderOfThree() {
  const events: string[] = [];
  const storage = new GatedStorage(events);
  const sent: Message[] = [];
  // 1 ms ticks, so the election is quick; a long election timeout, so that check-quorum
  // (once per timeout) does not depose the leader while the test plays its followers.
  const timing = { electionTimeoutTicksMin: 200, electionTimeoutTicksMax: 300, heartbeatTicks: 50 };
  const core = createKvNodeCore({ id: "n1", nodeIds: ["n1", "n2", "n3"], prng: createPrng("runtime-async"), asyncPersist: true, ...timing }, await storage.load());
  const runtime = new KvNodeRuntime({
    core,
    storage,
    send: (m) => {
      events.push(`send ${m.body.type} to ${m.dest}`);
      sent.push(m);
    },
    log: () => {},
    tickMs: 1,
  });
  runtime.start();
  // Grant n1's pre-vote and vote requests from n2 (each sent only once its term and vote are durable).
  for (const preVote of [true, false]) {
    await until(`n1 asks for ${preVote ? "pre-" : ""}votes`, () => {
      storage.open();
      return sent.some((m) => m.body.type === "raft_request_vote" && m.dest === "n2" && (m.body.pre_vote === true) === preVote);
    });
    const ask = sent.filter((m) => m.body.type === "raft_request_vote" && m.dest === "n2").at(-1)!;
    runtime.deliver({ src: "n2", dest: "n1", body: { type: "raft_request_vote_ok", term: ask.body.term as number, granted: true, ...(preVote ? { pre_vote: true } : {}) } });
  }
  await until("n1 leads and its no-op is durable", () => {
    storage.open();
    return runtime.status().role === "leader" && storage.waiting === 0 && sent.some((m) => m.body.type === "raft_append");
  });
  const term = runtime.status().term;
  const ack = (from: string, matchIndex: number): Message => ({ src: from, dest: "n1", body: { type: "raft_append_ok", term, success: true, match_index: matchIndex } });
  // The followers take the no-op: it commits.
  const noop = runtime.status().lastLogIndex;
  runtime.deliver(ack("n2", noop));
  runtime.deliver(ack("n3", noop));
  await until("the no-op commits", () => runtime.status().commitIndex === noop);
  events.length = 0;
  sent.length = 0;
  return { events, storage, sent, runtime, ack };
}

describe("KvNodeRuntime with asyncPersist: a leader sends while its own write is in flight (Raft thesis §10.2.1)", () => {
  it("a leader's AppendEntries leave before its fsync returns, and the commit waits for a majority counting the leader only once durable", async () => {
    const { events, storage, sent, runtime, ack } = await leaderOfThree();
    runtime.deliver(write(1));
    await settle();
    expect(storage.waiting).toBe(1); // the entry's write is in flight...
    const withEntry = sent.filter((m) => m.body.type === "raft_append" && (m.body.entries as unknown[]).length > 0);
    expect(withEntry.map((m) => m.dest)).toEqual(["n2", "n3"]); // ...and the entry is on its way already
    expect(events.filter((e) => e.endsWith("done"))).toEqual([]);
    const index = runtime.status().lastLogIndex;
    runtime.deliver(ack("n2", index)); // n2 holds it on disk; n1 does not yet: one of three
    await settle();
    expect(runtime.status().commitIndex).toBe(index - 1);
    expect(sent.some((m) => m.body.type === "write_ok")).toBe(false);
    storage.open(); // n1's own write is durable: n1 and n2 are a majority
    await until("write_ok", () => sent.some((m) => m.body.type === "write_ok"));
    expect(runtime.status().commitIndex).toBe(index);
    await runtime.close();
  });

  it("two followers commit an entry without the leader's disk: the reply goes while the leader's write is still in flight", async () => {
    const { storage, sent, runtime, ack } = await leaderOfThree();
    runtime.deliver(write(1));
    await settle();
    const index = runtime.status().lastLogIndex;
    runtime.deliver(ack("n2", index));
    runtime.deliver(ack("n3", index));
    await settle();
    expect(storage.waiting).toBe(1);
    expect(sent.filter((m) => m.body.type === "write_ok")).toHaveLength(1);
    storage.open();
    await runtime.close();
  });

  it("a follower's acknowledgement still waits for its own write", async () => {
    const events: string[] = [];
    const storage = new GatedStorage(events);
    const sent: Message[] = [];
    const core = createKvNodeCore({ id: "n2", nodeIds: ["n1", "n2", "n3"], prng: createPrng("runtime-follower"), asyncPersist: true }, await storage.load());
    const runtime = new KvNodeRuntime({ core, storage, send: (m) => sent.push(m), log: () => {}, now: () => 1_000 });
    const entry = { index: 1, term: 1, command: { kind: "noop" as const, ts: 1 } };
    runtime.deliver({ src: "n1", dest: "n2", body: { type: "raft_append", term: 1, leader: "n1", prev_log_index: 0, prev_log_term: 0, entries: [entry], leader_commit: 0 } });
    await settle();
    expect(storage.waiting).toBe(1);
    expect(sent).toEqual([]);
    storage.open();
    await until("the acknowledgement", () => sent.length > 0);
    expect(sent[0]!.body).toMatchObject({ type: "raft_append_ok", success: true, match_index: 1 });
    await runtime.close();
  });
});

describe("KvNodeRuntime: a core that throws", () => {
  it("stops the node and reports a CoreFailure naming the input, whether a message or a tick threw; nothing is sent after it", async () => {
    for (const input of ["write from c1", "a tick"]) {
      const storage = new MemoryStorage();
      const core = createKvNodeCore({ id: "n1", nodeIds: ["n1"], prng: createPrng("runtime-throws") }, await storage.load());
      const boom = (): never => {
        throw new TypeError("a rule that is not written yet");
      };
      if (input === "a tick") core.tick = boom;
      else core.receive = boom;
      const sent: Message[] = [];
      const fatal: Error[] = [];
      const runtime = new KvNodeRuntime({ core, storage, send: (m) => sent.push(m), log: () => {}, onFatal: (e) => fatal.push(e), tickMs: 1 });
      runtime.start();
      if (input === "write from c1") runtime.deliver(write(1));
      await until("the failure", () => fatal.length > 0);
      expect(fatal).toHaveLength(1);
      expect(fatal[0]).toBeInstanceOf(CoreFailure);
      expect((fatal[0] as CoreFailure).input).toBe(input);
      expect(fatal[0]!.message).toBe(`the core threw while handling ${input}: a rule that is not written yet`);
      expect((fatal[0] as CoreFailure).error).toBeInstanceOf(TypeError);
      // Stopped: no more ticks reach the core, no input is taken.
      await new Promise((r) => setTimeout(r, 20));
      runtime.deliver(write(2));
      expect(fatal).toHaveLength(1);
      expect(sent).toEqual([]);
      await runtime.close();
    }
  });
});
