import { ErrorCode } from "@dslab/protocol";
import { describe, expect, test } from "vitest";
import type { KvStateMachineOptions } from "../../src/state-machine/index.js";
import { Harness } from "./helpers.js";

type Req = Record<string, unknown>;
interface Row {
  title: string;
  opts?: Partial<KvStateMachineOptions>;
  steps: Array<{ at: number; req: Req; reply: Record<string, unknown>; replayed?: boolean }>;
  counter: unknown;
  keys?: number;
}

const TTL = 1000;
const incr = (key: string | undefined, fingerprint: string | undefined, delta = 1): Req => ({
  type: "incr",
  key: "n",
  delta,
  ...(key === undefined ? {} : { idempotency_key: key }),
  ...(fingerprint === undefined ? {} : { fingerprint }),
});
const ok = (value: number) => ({ type: "incr_ok", value });
const err = (code: number) => ({ type: "error", code });

// Idempotency-Key: the rules the state machine keeps.
const rows: Row[] = [
  {
    title: "first use of an idempotency key applies the request and stores its response",
    steps: [{ at: 0, req: incr("k1", "POST /kv/n/incr {1}"), reply: ok(1), replayed: false }],
    counter: 1,
    keys: 1,
  },
  {
    title: "same key and same fingerprint replays the stored response marked replayed, not applied again",
    steps: [
      { at: 0, req: incr("k1", "f"), reply: ok(1), replayed: false },
      { at: 1, req: incr("k1", "f"), reply: { ...ok(1), replayed: true } },
    ],
    counter: 1,
  },
  {
    title: "a replay returns the first response even after other requests changed the key",
    steps: [
      { at: 0, req: incr("k1", "f"), reply: ok(1) },
      { at: 1, req: incr("k2", "f"), reply: ok(2) },
      { at: 2, req: incr("k1", "f"), reply: { ...ok(1), replayed: true } },
    ],
    counter: 2,
  },
  {
    title: "an error response is stored and replayed like any other",
    steps: [
      { at: 0, req: { type: "delete", key: "n", idempotency_key: "d", fingerprint: "DELETE /kv/n" }, reply: err(ErrorCode.KeyDoesNotExist) },
      { at: 1, req: incr(undefined, undefined), reply: ok(1) },
      { at: 2, req: { type: "delete", key: "n", idempotency_key: "d", fingerprint: "DELETE /kv/n" }, reply: { ...err(ErrorCode.KeyDoesNotExist), replayed: true } },
    ],
    counter: 1,
  },
  {
    title: "same key with another fingerprint is definite error 1003 and applies nothing",
    steps: [
      { at: 0, req: incr("k1", "f1"), reply: ok(1) },
      { at: 1, req: incr("k1", "f2", 5), reply: err(ErrorCode.IdempotencyKeyReused) },
    ],
    counter: 1,
    keys: 1,
  },
  {
    title: "a key expires idempotencyTtlMs after first use (by leader ts); then it is new again",
    opts: { idempotencyTtlMs: TTL },
    steps: [
      { at: 0, req: incr("k1", "f"), reply: ok(1) },
      { at: TTL, req: incr("k1", "f"), reply: { ...ok(1), replayed: true } },
      { at: TTL + 1, req: incr("k1", "f"), reply: ok(2), replayed: false },
    ],
    counter: 2,
    keys: 1,
  },
  {
    title: "a replay does not extend the key's life (expiry is fixed at first use)",
    opts: { idempotencyTtlMs: TTL },
    steps: [
      { at: 0, req: incr("k1", "f"), reply: ok(1) },
      { at: 900, req: incr("k1", "f"), reply: { ...ok(1), replayed: true } },
      { at: 1001, req: incr("k1", "f"), reply: ok(2) },
    ],
    counter: 2,
  },
  {
    title: "at the maxIdempotencyKeys bound the oldest key is dropped",
    opts: { maxIdempotencyKeys: 2 },
    steps: [
      { at: 0, req: incr("k1", "f"), reply: ok(1) },
      { at: 1, req: incr("k2", "f"), reply: ok(2) },
      { at: 2, req: incr("k3", "f"), reply: ok(3) },
      { at: 3, req: incr("k2", "f"), reply: { ...ok(2), replayed: true } },
      { at: 4, req: incr("k1", "f"), reply: ok(4) },
    ],
    counter: 4,
    keys: 2,
  },
  {
    title: "an idempotency key without a fingerprint is a definite error 12",
    steps: [{ at: 0, req: incr("k1", undefined), reply: err(ErrorCode.MalformedRequest) }],
    counter: undefined,
    keys: 0,
  },
  {
    title: "a keyed request is deduplicated by its key, not by client_id/seq",
    steps: [
      { at: 0, req: { ...incr("k1", "f"), client_id: "c1", seq: 1 }, reply: ok(1) },
      { at: 1, req: { ...incr("k2", "f"), client_id: "c1", seq: 1 }, reply: ok(2) },
    ],
    counter: 2,
  },
];

describe("idempotency keys in the state machine (the HTTP Idempotency-Key)", () => {
  test.each(rows)("$title", ({ opts, steps, counter, keys }) => {
    const h = new Harness(opts);
    steps.forEach((s, i) => {
      const reply = h.req(s.req, s.at);
      expect(reply, `step ${i + 1}`).toMatchObject(s.reply);
      if (s.replayed === false) expect(reply.replayed, `step ${i + 1}`).toBeUndefined();
    });
    expect(h.sm.read("n")).toEqual(counter);
    if (keys !== undefined) expect(h.sm.idempotencyKeyCount()).toBe(keys);
  });

  test("idempotency keys survive a snapshot: a retry on a restored replica is replayed, a mismatch refused", () => {
    const h = new Harness();
    h.req(incr("k1", "f"), 0);
    const copy = h.restoredCopy();
    expect(copy.sm.idempotencyKeyCount()).toBe(1);
    expect(copy.req(incr("k1", "f"), 1)).toEqual({ ...ok(1), replayed: true });
    expect(copy.req(incr("k1", "g"), 2)).toMatchObject(err(ErrorCode.IdempotencyKeyReused));
    expect(copy.sm.read("n")).toBe(1);
  });
});
