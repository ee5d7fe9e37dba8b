/**
 * A session store with a state of its own shape (`exportState` /
 * `importState`) travels in snapshots as an opaque plain-JSON value, format
 * `dslab-kv/2+store`: a restored machine answers a retry from it; a value a
 * snapshot cannot carry (not plain JSON, too deep, a store that cannot
 * import it) is refused with an error naming where, and the machine keeps
 * its state. The reference table's snapshots stay `dslab-kv/2`.
 */
import { MAX_MESSAGE_DEPTH, type Body, type Json } from "@dslab/protocol";
import { describe, expect, test } from "vitest";
import {
  MAX_SESSION_STORE_DEPTH,
  parseSnapshot,
  SNAPSHOT_FORMAT,
  SnapshotFormatError,
  STORE_SNAPSHOT_FORMAT,
  type Session,
  type SessionStore,
  type SessionTableOptions,
  type SessionVerdict,
  type Tombstone,
} from "../../src/state-machine/index.js";
import { RaftDriver } from "../../src/testing/raft-driver.js";
import { Harness } from "./helpers.js";

interface PlainState {
  clients: Record<string, { last: number; reply: Body; seenMs: number }>;
}

/** A small store whose whole state is one plain object (as the workbook's tracker keeps it). */
class PlainStore implements SessionStore {
  state: PlainState = { clients: {} };
  constructor(private readonly opts: SessionTableOptions) {}
  get size(): number {
    return Object.keys(this.state.clients).length;
  }
  readonly tombstoneCount = 0;
  expire(nowMs: number): void {
    for (const [id, c] of Object.entries(this.state.clients)) if (nowMs - c.seenMs > this.opts.sessionTimeoutMs) delete this.state.clients[id];
  }
  check(clientId: string, seq: number, _fingerprint: string, nowMs: number): SessionVerdict {
    const c = Object.hasOwn(this.state.clients, clientId) ? this.state.clients[clientId] : undefined;
    if (c === undefined || seq > c.last) return { kind: "new" };
    if (seq < c.last) return { kind: "stale", lastSeq: c.last, ended: false };
    c.seenMs = nowMs;
    return { kind: "duplicate", response: c.reply };
  }
  record(clientId: string, seq: number, _fingerprint: string, response: Body, nowMs: number): void {
    this.state.clients[clientId] = { last: seq, reply: response, seenMs: nowMs };
  }
  entries(): { sessions: Array<[string, Session]>; tombstones: Array<[string, Tombstone]> } {
    return { sessions: [], tombstones: [] };
  }
  load(): void {
    throw new Error("PlainStore restores from its own state only");
  }
  exportState(): Json {
    return this.state as unknown as Json;
  }
  importState(state: Json): void {
    const s = state as unknown as PlainState;
    if (typeof s !== "object" || s === null || typeof s.clients !== "object" || s.clients === null) throw new Error("expected { clients: {...} }");
    this.state = s;
  }
}

/** A machine with a PlainStore that applied a write (c1 seq 1) and an append (c1 seq 2). */
function withStore(exported?: (store: PlainStore) => Json): Harness {
  const h = new Harness({
    sessionStore: (o) => {
      const store = new PlainStore(o);
      if (exported) store.exportState = () => exported(store);
      return store;
    },
  });
  h.req({ type: "write", key: "x", value: 1, client_id: "c1", seq: 1 }, 1000);
  h.req({ type: "append", key: "l", value: "a", client_id: "c1", seq: 2 }, 2000);
  return h;
}

const throughDisk = (data: Json): Record<string, Json> => JSON.parse(JSON.stringify(data)) as Record<string, Json>;

describe("a session store's own state in snapshots", () => {
  test("is carried opaque in a dslab-kv/2+store snapshot, and a restored machine answers a retry from it without applying it again", () => {
    const h = withStore();
    const data = throughDisk(h.sm.snapshot());
    expect(data.format).toBe(STORE_SNAPSHOT_FORMAT);
    expect(data.sessions).toBeUndefined();
    expect(data.tombstones).toBeUndefined();
    expect(data.session_store).toEqual({ clients: { c1: { last: 2, reply: { type: "append_ok", value: ["a"] }, seenMs: 2000 } } });

    const copy = new Harness({ sessionStore: (o) => new PlainStore(o) });
    copy.sm.restore(data);
    copy.index = h.index;
    expect(copy.req({ type: "append", key: "l", value: "a", client_id: "c1", seq: 2 }, 3000)).toEqual({ type: "append_ok", value: ["a"] });
    expect(copy.sm.read("l")).toEqual(["a"]);
    expect(copy.logs).toContain("[dedup] client c1 seq 2 is duplicate, returning cached result");
    expect(JSON.stringify(copy.sm.snapshot())).toBe(JSON.stringify({ ...data, applied_index: h.index + 1, clock_ms: 3000, session_store: { clients: { c1: { last: 2, reply: { type: "append_ok", value: ["a"] }, seenMs: 3000 } } } }));
  });

  test("a snapshot is a copy: the store changing its state afterwards does not change a snapshot already taken", () => {
    const h = withStore();
    const before = JSON.stringify(h.sm.snapshot());
    const taken = h.sm.snapshot();
    h.req({ type: "write", key: "x", value: 2, client_id: "c1", seq: 3 }, 2500);
    expect(JSON.stringify(taken)).toBe(before);
  });

  test("a frozen snapshot (as storage keeps it) restores into a store that changes its state in place", () => {
    const data = throughDisk(withStore().sm.snapshot());
    const deepFreeze = (v: unknown): void => {
      if (typeof v !== "object" || v === null) return;
      Object.freeze(v);
      for (const x of Object.values(v)) deepFreeze(x);
    };
    deepFreeze(data);
    const copy = new Harness({ sessionStore: (o) => new PlainStore(o) });
    copy.sm.restore(data);
    copy.index = 2;
    expect(copy.req({ type: "write", key: "x", value: 5, client_id: "c1", seq: 3 }, 3000)).toEqual({ type: "write_ok" });
  });

  test("the reference table's snapshots are unchanged: dslab-kv/2 with sessions and tombstones, no session_store", () => {
    const h = new Harness();
    h.req({ type: "write", key: "x", value: 1, client_id: "c1", seq: 1 }, 1000);
    const data = throughDisk(h.sm.snapshot());
    expect(data.format).toBe(SNAPSHOT_FORMAT);
    expect(Object.keys(data)).toEqual(["format", "applied_index", "clock_ms", "kv", "sessions", "tombstones", "idempotency_keys"]);
    expect(parseSnapshot(data).sessionStore).toBeNull();
  });

  test.each([
    ["a Map", (): unknown => ({ clients: new Map([["c1", 1]]) }), "session_store.clients: expected plain JSON, got a Map"],
    ["NaN", (): unknown => ({ clients: {}, t: Number.NaN }), "session_store.t: expected plain JSON, got the number NaN"],
    ["undefined", (): unknown => ({ clients: { c1: undefined } }), "session_store.clients.c1: expected plain JSON, got undefined"],
    ["a function", (): unknown => ({ clients: {}, f: () => 1 }), "session_store.f: expected plain JSON, got a function"],
    ["a class instance", (): unknown => ({ clients: {}, at: new Date(0) }), "session_store.at: expected plain JSON, got a Date"],
  ])("a store that exports %s is refused when the snapshot is taken, naming the field", (_what, bad, message) => {
    const h = withStore(() => bad() as Json);
    expect(() => h.sm.snapshot()).toThrow(`the session store's exportState() returned state a snapshot cannot carry: ${message}`);
  });

  test("a hostile session_store from a disk or a peer is refused with an error naming the field and the bound, and the machine keeps its state", () => {
    const good = throughDisk(withStore().sm.snapshot());
    const target = new Harness({ sessionStore: (o) => new PlainStore(o) });
    target.req({ type: "write", key: "kept", value: 1 });
    const refused = (data: Json, message: string) => {
      expect(() => target.sm.restore(data)).toThrow(SnapshotFormatError);
      expect(() => target.sm.restore(data)).toThrow(message);
      expect(target.sm.read("kept")).toBe(1);
      expect(target.sm.read("x")).toBeUndefined();
    };
    let deep: Json = 1;
    for (let i = 0; i < MAX_SESSION_STORE_DEPTH + 1; i++) deep = [deep];
    refused({ ...good, session_store: deep }, `state machine snapshot: session_store: session store state nested deeper than ${MAX_SESSION_STORE_DEPTH} levels`);
    const bomb = JSON.parse(`${"[".repeat(100_000)}${"]".repeat(100_000)}`) as Json;
    refused({ ...good, session_store: bomb }, `snapshot nested deeper than ${MAX_MESSAGE_DEPTH} levels`);
    const { session_store: _s, ...missing } = good;
    refused(missing, "state machine snapshot: session_store: expected the session store's state, got nothing");
    refused({ ...good, sessions: [] }, "state machine snapshot: sessions: a dslab-kv/2+store snapshot keeps its sessions in session_store only");
    refused({ ...good, session_store: "not a state" }, "state machine snapshot: session_store: the session store refused it: expected { clients: {...} }");
    refused({ ...good, format: "dslab-kv/3" }, 'state machine snapshot: format: expected "dslab-kv/2" or "dslab-kv/2+store", got the string "dslab-kv/3"');
  });

  test("a machine with the reference table refuses a dslab-kv/2+store snapshot rather than restoring it without sessions", () => {
    const data = throughDisk(withStore().sm.snapshot());
    const reference = new Harness();
    expect(() => reference.sm.restore(data)).toThrow(
      "state machine snapshot: format: a dslab-kv/2+store snapshot carries a session store's own state, and this node's session store cannot import one",
    );
  });

  test("travels through the nodes: a follower cut off while the log was compacted installs the store's state, and as leader answers a retry from it", () => {
    const driver = new RaftDriver({ nodeIds: ["n1", "n2", "n3"], seed: 3, config: { snapshotEveryEntries: 3, sessionStore: (o) => new PlainStore(o) } });
    const runUntil = (done: () => boolean) => {
      for (let i = 0; i < 500 && !done(); i++) driver.run(1);
      expect(done()).toBe(true);
    };
    runUntil(() => driver.leader() !== null);
    const leader = driver.leader()!;
    const [other, behind] = driver.nodeIds.filter((id) => id !== leader) as [string, string];
    driver.partition([[leader, other], [behind]]);
    let msgId = 0;
    const ask = (to: string, body: Record<string, unknown>) => {
      const id = ++msgId;
      driver.request("c1", to, { ...body, msg_id: id } as Body);
      let reply: Body | undefined;
      runUntil(() => (reply ??= driver.takeReplies("c1").find((m) => m.body.in_reply_to === id)?.body) !== undefined);
      return reply!;
    };
    const append = { type: "append", key: "l", value: "a", client_id: "c1", seq: 1 };
    expect(ask(leader, append)).toMatchObject({ type: "append_ok", value: ["a"] });
    for (let seq = 1; seq <= 4; seq++) ask(leader, { type: "write", key: "w", value: seq, client_id: "c2", seq });
    driver.heal();
    runUntil(() => driver.status(behind).snapshotIndex > 0 && driver.status(behind).lastApplied === driver.status(leader).lastApplied);
    expect(driver.trace.some((l) => l.startsWith(`${behind}: `) && /snapshot/.test(l))).toBe(true);
    expect(driver.status(behind).sessions).toBe(2);
    driver.crash(leader);
    driver.crash(other);
    driver.restart(other);
    runUntil(() => driver.leader() !== null);
    const next = driver.leader()!;
    expect(ask(next, append)).toMatchObject({ type: "append_ok", value: ["a"] });
    expect(ask(next, { type: "read", key: "l" })).toMatchObject({ type: "read_ok", value: ["a"] });
  });
});
