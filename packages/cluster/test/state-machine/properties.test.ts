/**
 * Properties of the state machine over random command sequences
 * (fast-check; a failure prints the seed and the shrunk sequence).
 */
import type { Body, ClientRequestBody } from "@dslab/protocol";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import type { Command } from "../../src/contract.js";
import { KvStateMachine, type KvStateMachineOptions, type SessionStoreFactory } from "../../src/state-machine/index.js";
import { LocalClockTable } from "../known-bad/local-clock-expiry.js";
import { NoDedupTable } from "../known-bad/no-sessions.js";
import { SeqLessThanTable } from "../known-bad/seq-less-than.js";
import { ForgetfulTable } from "../known-bad/sessions-not-in-snapshot.js";

type Req = Record<string, unknown>;
interface Entry {
  command: Command;
  /** The replica's own clock; each replica gets a different one. */
  localNowMs: number;
}

const keyArb = fc.constantFrom<string | number>("a", "b", 1);
const valueArb = fc.oneof(
  fc.integer({ min: -3, max: 3 }),
  fc.constantFrom("x", null),
  fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 2 }),
);
const opArb: fc.Arbitrary<Req> = fc.oneof(
  fc.record({ type: fc.constant("read"), key: keyArb }),
  fc.record({ type: fc.constant("write"), key: keyArb, value: valueArb }),
  fc.record({ type: fc.constant("cas"), key: keyArb, from: valueArb, to: valueArb, create_if_not_exists: fc.boolean() }),
  fc.record({ type: fc.constant("append"), key: keyArb, value: valueArb }),
  fc.record({ type: fc.constant("incr"), key: keyArb, delta: fc.integer({ min: -3, max: 3 }) }),
  fc.record({ type: fc.constant("delete"), key: keyArb }),
);
const identityArb: fc.Arbitrary<Req> = fc.oneof(
  { weight: 1, arbitrary: fc.constant({}) },
  { weight: 4, arbitrary: fc.record({ client_id: fc.constantFrom("c1", "c2", "c3", "c4", "c5"), seq: fc.integer({ min: 1, max: 6 }) }) },
  { weight: 2, arbitrary: fc.record({ idempotency_key: fc.constantFrom("k1", "k2", "k3", "k4"), fingerprint: fc.constantFrom("f1", "f2") }) },
);
/** Leader timestamps mostly move forward, sometimes back (a new leader with a slower clock). */
const stepArb = fc.record({
  dtMs: fc.integer({ min: -300, max: 700 }),
  localNowMs: fc.integer({ min: 0, max: 100_000 }),
  op: opArb,
  identity: identityArb,
  isNoop: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
});
const entriesArb = fc.array(stepArb, { minLength: 1, maxLength: 60 }).map((steps) => {
  let ts = 0;
  return steps.map(({ dtMs, localNowMs, op, identity, isNoop }): Entry => {
    ts = Math.max(0, ts + dtMs);
    const command: Command = isNoop
      ? { kind: "noop", ts }
      : { kind: "client", ts, request: { ...op, ...identity } as unknown as ClientRequestBody };
    return { command, localNowMs };
  });
});

// Small bounds and timeouts, so that expiry, eviction and tombstones all happen.
const tight: KvStateMachineOptions = {
  sessionTimeoutMs: 1000,
  maxSessions: 3,
  idempotencyTtlMs: 1500,
  maxIdempotencyKeys: 3,
  maxValueBytes: 64,
};

/** A replica: its state machine, and its own clock, which a correct one never reads. */
interface Replica {
  sm: KvStateMachine;
  localNowMs: number;
}

/** A session table made with access to the replica's own clock (only a known-bad one uses it). */
type TableWithClock = (localNowMs: () => number) => SessionStoreFactory | undefined;
const reference: TableWithClock = () => undefined;

function replica(options: KvStateMachineOptions, table: TableWithClock): Replica {
  const r: Replica = { sm: undefined as unknown as KvStateMachine, localNowMs: 0 };
  const sessionStore = table(() => r.localNowMs);
  r.sm = new KvStateMachine({ ...options, ...(sessionStore ? { sessionStore } : {}) });
  return r;
}

/** Applies entries[from, to) from index from+1, with the replica's clock shifted by skewMs. */
function run(r: Replica, entries: Entry[], from: number, to: number, skewMs: number): Body[] {
  const replies: Body[] = [];
  for (let i = from; i < to; i++) {
    r.localNowMs = entries[i]!.localNowMs + skewMs;
    replies.push(r.sm.apply(entries[i]!.command, i + 1));
  }
  return replies;
}

/** Replica A applies everything; replica B applies a prefix, snapshots through JSON, and C restores and goes on. */
function snapshotMidwayAgrees(table: TableWithClock) {
  return fc.property(entriesArb, fc.nat(), (entries, cut) => {
    const k = cut % (entries.length + 1);
    const a = replica(tight, table);
    const b = replica(tight, table);
    const all = run(a, entries, 0, entries.length, 0);
    expect(run(b, entries, 0, k, 7_777)).toEqual(all.slice(0, k));
    const c = replica(tight, table);
    c.sm.restore(JSON.parse(JSON.stringify(b.sm.snapshot())));
    expect(run(c, entries, k, entries.length, 31_337)).toEqual(all.slice(k));
    expect(JSON.stringify(c.sm.snapshot())).toBe(JSON.stringify(a.sm.snapshot()));
  });
}

describe("state machine properties: every replica answers the same way, after a snapshot too", () => {
  test("a replica restored from a snapshot midway gives identical replies and an identical final snapshot, whatever its local clock", () => {
    fc.assert(snapshotMidwayAgrees(reference), { numRuns: 300 });
  });

  test.each<[string, TableWithClock]>([
    ["sessions not in the snapshot", () => (o) => new ForgetfulTable(o)],
    ["expiry by the replica's own clock", (local) => (o) => new LocalClockTable(o, local)],
  ])("the same property catches the known-bad table: %s (the property has teeth)", (_name, table) => {
    expect(() => fc.assert(snapshotMidwayAgrees(table), { numRuns: 300, seed: 12345 })).toThrow(/Property failed/);
  });
});

// ------------------------------------------------------------ duplicates ----

interface Op {
  request: Req;
  tsMs: number;
}

/**
 * A sequence of well-behaved client operations: each client numbers its
 * requests 1, 2, 3, ...; keyed requests each use a fresh key.
 */
const opsArb = fc
  .array(
    fc.record({
      op: opArb.filter((o) => o.type !== "read"),
      client: fc.constantFrom("c1", "c2", "c3", "keyed", "anon"),
      dtMs: fc.integer({ min: 0, max: 50 }),
    }),
    { minLength: 1, maxLength: 40 },
  )
  .map((xs) => {
    const seqs = new Map<string, number>();
    let ts = 0;
    return xs.map(({ op, client, dtMs }, i): Op => {
      ts += dtMs;
      if (client === "anon") return { request: op, tsMs: ts };
      if (client === "keyed") return { request: { ...op, idempotency_key: `key-${i}`, fingerprint: `fp-${i}` }, tsMs: ts };
      const seq = (seqs.get(client) ?? 0) + 1;
      seqs.set(client, seq);
      return { request: { ...op, client_id: client, seq }, tsMs: ts };
    });
  });

const roomy: KvStateMachineOptions = {
  sessionTimeoutMs: 1_000_000,
  maxSessions: 100,
  idempotencyTtlMs: 1_000_000,
  maxIdempotencyKeys: 100,
};

function sessionsByClient(sm: KvStateMachine) {
  const snap = sm.snapshot() as { kv: unknown; sessions: Array<{ client_id: string; last_seq: number; response: unknown }> };
  const sessions = snap.sessions
    .map((s) => ({ client_id: s.client_id, last_seq: s.last_seq, response: s.response }))
    .sort((x, y) => (x.client_id < y.client_id ? -1 : 1));
  return { kv: snap.kv, sessions };
}

/** Runs ops on a clean machine, and on a noisy one with retries inserted; both must agree. */
function duplicatesChangeNothing(sessionStore: SessionStoreFactory | undefined) {
  return fc.property(opsArb, fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 20 }), (ops, retries) => {
    const options = { ...roomy, ...(sessionStore ? { sessionStore } : {}) };
    const clean = new KvStateMachine(options);
    const cleanReplies = ops.map((o, i) => clean.apply({ kind: "client", ts: o.tsMs, request: o.request as never }, i + 1));

    // After op p, retry some op r <= p that carries an identity.
    const inserts = new Map<number, number[]>();
    for (const [p, r] of retries) {
      const after = p % ops.length;
      const which = r % (after + 1);
      if (ops[which]!.request.client_id === undefined && ops[which]!.request.idempotency_key === undefined) continue;
      inserts.set(after, [...(inserts.get(after) ?? []), which]);
    }
    const noisy = new KvStateMachine(options);
    const lastSeqApplied = new Map<string, number>();
    let index = 0;
    ops.forEach((o, i) => {
      const reply = noisy.apply({ kind: "client", ts: o.tsMs, request: o.request as never }, ++index);
      expect(reply).toEqual(cleanReplies[i]);
      const id = o.request.client_id as string | undefined;
      if (id !== undefined) lastSeqApplied.set(id, o.request.seq as number);
      for (const r of inserts.get(i) ?? []) {
        const retry = ops[r]!.request;
        const again = noisy.apply({ kind: "client", ts: o.tsMs, request: retry as never }, ++index);
        if (retry.idempotency_key !== undefined) expect(again).toEqual({ ...cleanReplies[r], replayed: true });
        else if (lastSeqApplied.get(retry.client_id as string) === retry.seq) expect(again).toEqual(cleanReplies[r]);
        else expect(again).toMatchObject({ type: "error", code: 1000 });
      }
    });
    expect(sessionsByClient(noisy)).toEqual(sessionsByClient(clean));
    expect(noisy.idempotencyKeyCount()).toBe(clean.idempotencyKeyCount());
  });
}

describe("duplicates never change the state: a duplicate is never applied again", () => {
  test("inserting retries of already-applied requests (duplicates and late replays) changes no other reply and no state", () => {
    fc.assert(duplicatesChangeNothing(undefined), { numRuns: 300 });
  });

  test.each<[string, SessionStoreFactory]>([
    ["no dedup at all", (o) => new NoDedupTable(o)],
    ["`<` where `<=` is needed", (o) => new SeqLessThanTable(o)],
  ])("the same property catches the known-bad table: %s (the property has teeth)", (_name, table) => {
    expect(() => fc.assert(duplicatesChangeNothing(table), { numRuns: 300, seed: 12345 })).toThrow(/Property failed/);
  });
});
