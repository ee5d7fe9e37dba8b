/**
 * The composed pure node (createKvNodeCore): Raft + state machine + client
 * bookkeeping, driven through the contract's KvNodeCore interface.
 */
import { createPrng, decodeLine, encodeMessage, isDefinite, type Body, type Message } from "@dslab/protocol";
import { describe, expect, it } from "vitest";
import type { Effects, NodeConfig } from "../../src/contract.js";
import { renderEvent, type NodeEvent } from "../../src/events.js";
import { createKvNodeCore, nodeSchemas } from "../../src/node/index.js";
import { MemoryStorage } from "../../src/storage/memory-storage.js";
import { RaftDriver, type RaftDriverOptions } from "../../src/testing/raft-driver.js";
import { createKvNodeCore as leaderOnlySessions } from "../known-bad/leader-only-sessions.js";
import { createKvNodeCore as noSessions } from "../known-bad/no-sessions.js";

const three = ["n1", "n2", "n3"];

function single(overrides: Partial<NodeConfig> = {}) {
  return createKvNodeCore({ id: "n1", nodeIds: ["n1"], prng: createPrng(1), ...overrides }, null);
}

function msg(body: Body, src = "c1", dest = "n1"): Message {
  return { src, dest, body };
}

function replies(effects: Effects): Body[] {
  return effects.send.filter((m) => !m.body.type.startsWith("raft_")).map((m) => m.body);
}

/** A 3-node driver cluster with n1 elected and everything replicated. */
function electedCluster(config: RaftDriverConfig = {}): RaftDriver {
  const d = new RaftDriver({ nodeIds: three, seed: 11, config });
  d.tick("n1", 20);
  d.run(3);
  expect(d.leader()).toBe("n1");
  return d;
}
type RaftDriverConfig = ConstructorParameters<typeof RaftDriver>[0]["config"];

describe("a single-node cluster", () => {
  it("serves at once: a write gets write_ok in reply to its msg_id, in the same effects as the entry it persists", () => {
    const core = single();
    const effects = core.receive(msg({ type: "write", msg_id: 2, key: "x", value: 1, client_id: "c1", seq: 1 }), 1000);
    expect(effects.send).toEqual([{ src: "n1", dest: "c1", body: { type: "write_ok", in_reply_to: 2 } }]);
    const appended = effects.persist.flatMap((op) => (op.type === "append" ? op.entries : []));
    expect(appended.map((e) => e.command.kind)).toEqual(["noop", "client"]);
    expect(appended[1]!.command).toMatchObject({ kind: "client", ts: 1000, request: { type: "write", key: "x", value: 1 } });
    expect(effects.logs).toContain("became leader for term 1");
    expect(core.status()).toMatchObject({ role: "leader", term: 1, commitIndex: 2, lastApplied: 2, sessions: 1 });
  });

  it("applies every op and answers with the state machine's reply", () => {
    const core = single();
    const ask = (body: Body): Body[] => replies(core.receive(msg(body), 0));
    expect(ask({ type: "read", msg_id: 1, key: "k" })).toMatchObject([{ type: "error", code: 20, in_reply_to: 1 }]);
    expect(ask({ type: "append", msg_id: 2, key: "k", value: "a", client_id: "c1", seq: 1 })).toEqual([{ type: "append_ok", value: ["a"], in_reply_to: 2 }]);
    expect(ask({ type: "incr", msg_id: 3, key: "n", delta: 5, client_id: "c1", seq: 2 })).toEqual([{ type: "incr_ok", value: 5, in_reply_to: 3 }]);
    expect(ask({ type: "cas", msg_id: 4, key: "n", from: 5, to: 6, client_id: "c1", seq: 3 })).toEqual([{ type: "cas_ok", in_reply_to: 4 }]);
    expect(ask({ type: "read", msg_id: 5, key: "n" })).toEqual([{ type: "read_ok", value: 6, in_reply_to: 5 }]);
    expect(ask({ type: "delete", msg_id: 6, key: "n", client_id: "c1", seq: 4 })).toEqual([{ type: "delete_ok", in_reply_to: 6 }]);
  });

  it("answers a duplicate (same client_id and seq) with the first response and logs the dedup line", () => {
    const core = single();
    for (let seq = 1; seq < 5; seq++) core.receive(msg({ type: "write", msg_id: 100 + seq, key: "w", value: seq, client_id: "42", seq }), 0);
    const first = core.receive(msg({ type: "append", msg_id: 1, key: "k", value: 1, client_id: "42", seq: 5 }), 0);
    const again = core.receive(msg({ type: "append", msg_id: 2, key: "k", value: 1, client_id: "42", seq: 5 }), 0);
    expect(replies(first)).toEqual([{ type: "append_ok", value: [1], in_reply_to: 1 }]);
    expect(replies(again)).toEqual([{ type: "append_ok", value: [1], in_reply_to: 2 }]);
    expect(again.logs).toContain("[dedup] client 42 seq 5 is duplicate, returning cached result");
  });

  it("restarts from what it persisted, snapshot included, and keeps its data and sessions", () => {
    const storage = new MemoryStorage();
    const config = { id: "n1", nodeIds: ["n1"], prng: createPrng(1), snapshotEveryEntries: 3 };
    let core = createKvNodeCore(config, null);
    for (let seq = 1; seq <= 4; seq++) {
      storage.persistSync(core.receive(msg({ type: "incr", msg_id: seq, key: "c", delta: 1, client_id: "c1", seq }), 0).persist);
    }
    expect(core.status().snapshotIndex).toBe(3);
    core = createKvNodeCore({ ...config, prng: createPrng(2) }, storage.loadSync());
    const retry = core.receive(msg({ type: "incr", msg_id: 9, key: "c", delta: 1, client_id: "c1", seq: 4 }), 0);
    expect(replies(retry)).toEqual([{ type: "incr_ok", value: 4, in_reply_to: 9 }]);
    expect(retry.logs).toContain("[dedup] client c1 seq 4 is duplicate, returning cached result");
  });
});

describe("validation at the boundary: a bad request gets a definite error and nothing is proposed", () => {
  it.each([
    { what: "a value above maxValueBytes", body: { type: "write", key: "x", value: "x".repeat(100) }, code: 1002 },
    { what: "an append element above maxValueBytes", body: { type: "append", key: "x", value: "y".repeat(100) }, code: 1002 },
    { what: "a key that is neither string nor integer", body: { type: "write", key: { a: 1 }, value: 1 }, code: 12 },
    { what: "a missing value", body: { type: "write", key: "x" }, code: 12 },
    { what: "client_id without seq", body: { type: "write", key: "x", value: 1, client_id: "c" }, code: 12 },
    { what: "a seq that is not a positive integer", body: { type: "write", key: "x", value: 1, client_id: "c", seq: 0 }, code: 12 },
    { what: "a non-integer incr delta", body: { type: "incr", key: "x", delta: 1.5 }, code: 12 },
    { what: "an idempotency_key without a fingerprint", body: { type: "write", key: "x", value: 1, idempotency_key: "k" }, code: 12 },
  ])("$what -> error $code", ({ body, code }) => {
    const core = single({ maxValueBytes: 50 });
    const effects = core.receive(msg({ ...body, msg_id: 7 } as Body), 0);
    expect(replies(effects)).toMatchObject([{ type: "error", code, in_reply_to: 7 }]);
    expect(isDefinite(code)).toBe(true);
    expect(core.status().lastLogIndex).toBe(1); // only the leader's no-op
  });

  it("a read's reply carries its own copy of the value: changing it changes nothing stored, a frozen part is shared, a __proto__ key stays a key", () => {
    const core = single();
    const value = JSON.parse('{"list": [1, {"a": 2}], "__proto__": {"b": 3}}');
    const frozen = Object.freeze(["x", "y"]);
    core.receive(msg({ type: "write", msg_id: 1, key: "k", value, client_id: "c1", seq: 1 }), 0);
    core.receive(msg({ type: "write", msg_id: 2, key: "f", value: frozen, client_id: "c1", seq: 2 }), 0);
    const read = (key: string): Record<string, unknown> => replies(core.receive(msg({ type: "read", msg_id: 3, key }), 0))[0]!.value as Record<string, unknown>;
    const first = read("k");
    expect(Object.hasOwn(first, "__proto__")).toBe(true);
    expect(JSON.stringify(first)).toBe('{"list":[1,{"a":2}],"__proto__":{"b":3}}');
    ((first.list as unknown[])[1] as { a: number }).a = 99;
    (first.list as unknown[]).push(4);
    expect(JSON.stringify(read("k"))).toBe('{"list":[1,{"a":2}],"__proto__":{"b":3}}');
    expect(read("f")).toBe(frozen);
  });

  it("an unknown message type with a msg_id gets error 10 (not supported)", () => {
    const effects = single().receive(msg({ type: "txn", msg_id: 3 }), 0);
    expect(replies(effects)).toMatchObject([{ type: "error", code: 10, in_reply_to: 3 }]);
  });

  it("a malformed peer message is dropped with a log line, not a crash", () => {
    const d = electedCluster();
    const effects = d.node("n2").receive({ src: "n1", dest: "n2", body: { type: "raft_append", term: "one" } }, 0);
    expect(effects.logs.join("\n")).toMatch(/dropped raft_append from n1: field "term"/);
    const entries = [{ index: 7, term: 1, command: { kind: "noop", ts: 0 } }];
    const gap = d.node("n2").receive(
      { src: "n1", dest: "n2", body: { type: "raft_append", term: 1, leader: "n1", prev_log_index: 1, prev_log_term: 1, entries, leader_commit: 1 } },
      0,
    );
    expect(gap.logs.join("\n")).toMatch(/dropped raft_append from n1: entry 0 has index 7, expected 2/);
    expect(d.status("n2").lastLogIndex).toBe(1);
  });

  it("peerBodiesTrusted skips the schema check of a peer's raft body only: the same body from a client is still dropped", () => {
    const config = { id: "n2", nodeIds: three, prng: createPrng(3) };
    const bad: Body = { type: "raft_request_vote", term: 5, candidate: "n1", last_log_index: 0, last_log_term: 0, pre_vote: 0 };
    const checked = createKvNodeCore(config, null).receive({ src: "n1", dest: "n2", body: bad }, 0);
    expect(checked.logs.join("\n")).toMatch(/dropped raft_request_vote from n1: field "pre_vote"/);
    const trusted = createKvNodeCore(config, null, { peerBodiesTrusted: true });
    const fromClient = trusted.receive({ src: "c1", dest: "n2", body: bad }, 0);
    expect(fromClient.logs.join("\n")).toMatch(/dropped raft_request_vote from c1: field "pre_vote"/);
    expect(trusted.status().term).toBe(0);
    // From a peer the body goes to Raft unchecked: the vote request's term is taken.
    const fromPeer = trusted.receive({ src: "n1", dest: "n2", body: bad }, 0);
    expect(fromPeer.logs.join("\n")).not.toMatch(/dropped/);
    expect(trusted.status().term).toBe(5);
  });
});

describe("followers and candidates", () => {
  it("a follower answers error 11 naming the leader (a redirect)", () => {
    const d = electedCluster();
    d.request("c1", "n2", { type: "write", msg_id: 1, key: "x", value: 1, client_id: "c1", seq: 1 });
    d.stabilize();
    expect(d.takeReplies("c1").map((m) => m.body)).toMatchObject([{ type: "error", code: 11, leader: "n1", in_reply_to: 1 }]);
  });

  it("a node that knows no leader answers error 11 without a leader field", () => {
    const d = new RaftDriver({ nodeIds: three, seed: 1 });
    d.request("c1", "n2", { type: "read", msg_id: 1, key: "x" });
    d.stabilize();
    const [reply] = d.takeReplies("c1");
    expect(reply!.body).toMatchObject({ type: "error", code: 11 });
    expect(reply!.body.leader).toBeUndefined();
  });
});

describe("the leader's client bookkeeping", () => {
  it("a request whose idempotency_key is already pending gets 1004 (in flight); after it commits, a retry replays the stored result", () => {
    const d = electedCluster();
    const body = { type: "write", key: "x", value: 1, idempotency_key: "k1", fingerprint: "f" };
    d.request("h", "n1", { ...body, msg_id: 1 });
    d.request("h", "n1", { ...body, msg_id: 2 });
    d.deliverRound((m) => m.src === "h");
    expect(d.takeReplies("h").map((m) => m.body)).toMatchObject([{ type: "error", code: 1004, in_reply_to: 2 }]);
    d.stabilize();
    expect(d.takeReplies("h").map((m) => m.body)).toEqual([{ type: "write_ok", in_reply_to: 1 }]);
    d.request("h", "n1", { ...body, msg_id: 3 });
    d.run(2);
    expect(d.takeReplies("h").map((m) => m.body)).toEqual([{ type: "write_ok", replayed: true, in_reply_to: 3 }]);
  });

  it("a copy of a pending request (same client_id and seq) waits for the same log entry and gets the same answer", () => {
    const d = electedCluster();
    const body = { type: "append", key: "k", value: "v", client_id: "c1", seq: 1 };
    d.request("c1", "n1", { ...body, msg_id: 1 });
    d.request("c1", "n1", { ...body, msg_id: 1 }); // duplicated by the network
    d.request("c1", "n1", { ...body, msg_id: 2 }); // a retry
    d.deliverRound((m) => m.src === "c1");
    expect(d.status("n1").lastLogIndex).toBe(2);
    d.run(3);
    expect(d.takeReplies("c1").map((m) => m.body)).toEqual([
      { type: "append_ok", value: ["v"], in_reply_to: 1 },
      { type: "append_ok", value: ["v"], in_reply_to: 1 },
      { type: "append_ok", value: ["v"], in_reply_to: 2 },
    ]);
    expect(d.trace).toContain("n1: [dedup] client c1 seq 1 is already pending at index 2; it will get the same answer");
  });

  it("a leader that loses leadership answers its pending requests with error 0 (indefinite: outcome unknown, retry with the same client_id and seq)", () => {
    const d = electedCluster();
    d.partition([["n1"], ["n2", "n3"]]);
    d.request("c1", "n1", { type: "append", msg_id: 1, key: "k", value: 1, client_id: "c1", seq: 1 });
    d.request("c1", "n1", { type: "read", msg_id: 2, key: "k" });
    d.run(45);
    const answers = d.takeReplies("c1").map((m) => m.body);
    expect(answers).toHaveLength(2);
    for (const a of answers) {
      expect(a).toMatchObject({ type: "error", code: 0 });
      expect(isDefinite(a.code as number)).toBe(false);
      expect(a.text).toMatch(/outcome unknown.*same client_id and seq/);
    }
    expect(d.trace.join("\n")).toMatch(/lost leadership of term 1 with 2 request\(s\) pending/);
  });

  it("reads are linearizable (ReadIndex): a leader cut off from the majority never answers a read, so never with stale data", () => {
    const d = electedCluster();
    d.request("c1", "n1", { type: "write", msg_id: 1, key: "x", value: "old", client_id: "c1", seq: 1 });
    d.run(3);
    d.partition([["n1"], ["n2", "n3"]]);
    d.request("c2", "n1", { type: "read", msg_id: 1, key: "x" }); // to the old leader
    d.run(25);
    const newLeader = d.leader() === "n1" ? null : d.leader();
    expect(newLeader).not.toBeNull();
    d.request("c1", newLeader!, { type: "write", msg_id: 2, key: "x", value: "new", client_id: "c1", seq: 2 });
    d.run(3);
    const oldLeaderReplies = d.takeReplies("c2").map((m) => m.body);
    expect(oldLeaderReplies.some((b) => b.type === "read_ok")).toBe(false);
  });

  it("stamps each client entry with the leader's clock, never earlier than an entry already in the log", () => {
    const core = single();
    const persistOps = [core.receive(msg({ type: "write", msg_id: 1, key: "a", value: 1 }), 5000), core.receive(msg({ type: "write", msg_id: 2, key: "a", value: 2 }), 4000)];
    const ts = persistOps.flatMap((e) => e.persist).flatMap((op) => (op.type === "append" ? op.entries : [])).filter((e) => e.command.kind === "client").map((e) => e.command.ts);
    expect(ts).toEqual([5000, 5000]);
  });
});

describe("snapshots in the composed node", () => {
  it("every snapshotEveryEntries applied entries the node snapshots the state machine and compacts its log", () => {
    const core = single({ snapshotEveryEntries: 4 });
    const ops = [];
    for (let seq = 1; seq <= 9; seq++) ops.push(...core.receive(msg({ type: "write", msg_id: seq, key: "k", value: seq, client_id: "c", seq }), 0).persist);
    const snaps = ops.filter((op) => op.type === "snapshot");
    expect(snaps.map((op) => (op.type === "snapshot" ? op.snapshot.lastIncludedIndex : 0))).toEqual([4, 8]);
    expect(core.status()).toMatchObject({ snapshotIndex: 8, lastLogIndex: 10, lastApplied: 10 });
  });
});

describe("determinism (the seed is the bug report)", () => {
  it("the same seed and the same inputs give the same trace, byte for byte", () => {
    const play = (seed: number): string => {
      const d = new RaftDriver({ nodeIds: three, seed });
      d.run(30);
      d.request("c1", d.leader()!, { type: "write", msg_id: 1, key: "x", value: 1, client_id: "c1", seq: 1 });
      d.run(5);
      d.crash(d.leader()!);
      d.run(40);
      return d.trace.join("\n");
    };
    expect(play(5)).toBe(play(5));
    expect(new Set([1, 2, 3, 4, 5, 6].map(play)).size).toBeGreaterThan(1);
  });
});

describe("known-bad cores (test/known-bad/) make double application observable", () => {
  /** An append is committed but its reply is lost; the client retries the same (client_id, seq) at the new leader. */
  function retryAfterFailover(createCore?: RaftDriverOptions["createCore"]): unknown {
    const d = new RaftDriver({ nodeIds: three, seed: 11, ...(createCore ? { createCore } : {}) });
    d.tick("n1", 20);
    d.run(3);
    expect(d.leader()).toBe("n1");
    d.request("c7", "n1", { type: "append", msg_id: 1, key: "k", value: 1, client_id: "c7", seq: 1 });
    d.run(3);
    d.takeReplies("c7");
    // A retry to the same leader is answered from a session table in every variant but noSessions.
    d.request("c7", "n1", { type: "append", msg_id: 2, key: "k", value: 1, client_id: "c7", seq: 1 });
    d.run(3);
    d.crash("n1");
    d.run(40);
    const leader = d.leader()!;
    d.request("c7", leader, { type: "append", msg_id: 3, key: "k", value: 1, client_id: "c7", seq: 1 });
    d.run(3);
    d.request("reader", leader, { type: "read", msg_id: 1, key: "k" });
    d.run(3);
    return d.takeReplies("reader")[0]?.body.value;
  }

  it.each([
    { core: "the reference", createCore: undefined, list: [1] },
    { core: "no-sessions", createCore: noSessions, list: [1, 1, 1] },
    { core: "leader-only-sessions", createCore: leaderOnlySessions, list: [1, 1] },
  ])("with $core, a retried append leaves $list", ({ createCore, list }) => {
    expect(retryAfterFailover(createCore)).toEqual(list);
  });
});

describe("events: what a node reports for tools, rendered for people in one place", () => {
  it("a retry answered from the session and a copy that waits for its pending entry are typed events, and each log line is the event rendered", () => {
    const events: NodeEvent[] = [];
    const logs: string[] = [];
    const capture = (e: Effects) => {
      events.push(...(e.events ?? []));
      logs.push(...e.logs);
      return e;
    };
    const d = new RaftDriver({
      nodeIds: three,
      seed: 11,
      createCore: (config, restored) => {
        const core = createKvNodeCore(config, restored);
        return { id: core.id, tick: (t) => capture(core.tick(t)), receive: (m, t) => capture(core.receive(m, t)), status: () => core.status() };
      },
    });
    d.tick("n1", 20);
    d.run(3);
    const append = (msgId: number) => ({ type: "append", msg_id: msgId, key: "k", value: 1, client_id: "c9", seq: 1 });
    d.request("c9", "n1", append(1));
    d.request("c9", "n1", append(2));
    d.deliverRound();
    d.run(3);
    d.request("c9", "n1", append(3));
    d.run(5);
    // The leader holds the copy that arrived while pending; the retry that
    // came after the commit is a log entry, and every replica applying it
    // finds the duplicate.
    expect(events.filter((e) => e.type !== "leader-elected")).toEqual([
      { type: "duplicate-pending", clientId: "c9", seq: 1, index: expect.any(Number) },
      ...three.map(() => ({ type: "duplicate-answered", clientId: "c9", seq: 1 })),
    ]);
    expect(events).toContainEqual({ type: "leader-elected", term: expect.any(Number) });
    for (const e of events.filter((x) => x.type !== "leader-elected")) expect(logs).toContain(renderEvent(e));
    expect(logs).toContain("[dedup] client c9 seq 1 is duplicate, returning cached result");
    expect(d.takeReplies("c9").map((m) => m.body.value)).toEqual([[1], [1], [1]]);
  });
});

describe("the wire", () => {
  it("every message a node sends (peer and client bodies) survives encodeMessage/decodeLine with nodeSchemas", () => {
    const sent: Message[] = [];
    const d = new RaftDriver({ nodeIds: three, seed: 4, config: { snapshotEveryEntries: 3 }, observe: (m) => sent.push(m) });
    d.tick("n1", 20);
    d.run(3);
    d.crash("n3");
    for (let seq = 1; seq <= 6; seq++) d.request("c1", "n1", { type: "append", msg_id: seq, key: "k", value: seq, client_id: "c1", seq });
    d.request("c1", "n2", { type: "read", msg_id: 7, key: "k" });
    d.request("c1", "n1", { type: "read", msg_id: 8, key: "k" });
    d.run(4);
    d.restart("n3");
    d.run(6);
    d.crash("n1");
    d.run(40);
    const types = new Set(sent.map((m) => m.body.type));
    for (const t of ["raft_request_vote", "raft_request_vote_ok", "raft_append", "raft_append_ok", "raft_snapshot", "raft_snapshot_ok", "append_ok", "read_ok", "error"]) {
      expect(types).toContain(t);
    }
    for (const m of sent) {
      const decoded = decodeLine(encodeMessage(m), { schemas: nodeSchemas });
      if (!decoded.ok) throw new Error(`${encodeMessage(m)}: ${decoded.error.message}`);
    }
  });
});
