/**
 * Hidden tests of the idempotency-keys quest: the handler driven through
 * `handle` (the given request path, the student's four methods) over long
 * seeded sequences of payments, retries, reused keys with other bodies,
 * concurrent duplicates and clock jumps past the TTL, with keys such as
 * "__proto__", compared with what a correct server answers.
 */
import { createPrng, type Json } from "@dslab/protocol";
import { CheckFailure, criterion, LESSON, type CheckContext } from "../../week-12/checks/index.js";
import type * as Keys from "../../week-12/src/idempotency-handler.js";
import { AWKWARD_NAMES, show } from "./model.js";
import { hidden, seeds, type HiddenTest } from "./types.js";

const c = (n: number) => criterion(LESSON.idempotencyKeys, n);
const FILES: HiddenTest["files"] = ["src/idempotency-handler.ts"];

interface Harness {
  handler: Keys.IdempotencyHandler;
  clock: { nowMs: number; now(): number };
  payments: number;
  /** Sends a request; the payment it runs (if any) finishes when `release` is called. */
  send(key: string, body: Json): { answer: Promise<Keys.HttpResponse>; release(): void };
}

async function harness(ctx: CheckContext, ttlMs?: number): Promise<Harness> {
  const m = await ctx.workbook.import<typeof Keys>("src/idempotency-handler.ts");
  const clock = { nowMs: 1_700_000_000_000, now() { return this.nowMs; } };
  const h: Harness = {
    handler: new m.IdempotencyHandler({ clock, ...(ttlMs !== undefined ? { ttlMs } : {}) }),
    clock,
    payments: 0,
    send(key, body) {
      let release: () => void = () => {};
      const gate = new Promise<void>((resolve) => (release = resolve));
      const answer = h.handler.handle({ method: "POST", path: "/payments", headers: { "idempotency-key": key }, body }, async () => {
        h.payments++;
        const id = `pay_${h.payments}`;
        await gate;
        return { status: 201, body: { id, ...(body as Record<string, Json>) } };
      });
      // Awaited later (or never, when an earlier answer already failed the test): never an unhandled rejection.
      answer.catch(() => {});
      return { answer, release };
    },
  };
  return h;
}

const KEYS = ["k-1", "k-2", "order-77", ...AWKWARD_NAMES];
const body = (n: number): Json => ({ amount: 100 + n, currency: "EUR", to: `acct-${n}` });

async function replays(ctx: CheckContext): Promise<void> {
  for (let s = 0; s < seeds(6); s++) {
    const prng = createPrng(`keys-replay-${s}`);
    const h = await harness(ctx);
    const first = new Map<string, Keys.HttpResponse>();
    for (let i = 0; i < 60; i++) {
      const key = KEYS[prng.int(0, KEYS.length - 1)]!;
      const r = h.send(key, body(KEYS.indexOf(key)));
      r.release();
      const a = await r.answer;
      h.clock.nowMs += prng.int(0, 60_000);
      const before = first.get(key);
      if (!before) {
        if (a.status !== 201) throw new CheckFailure(`seeded sequence ${s}: the first request with key ${show(key)} got ${a.status}: a new key runs the payment`, { expected: "201", received: `${a.status} ${show(a.body)}` });
        first.set(key, a);
      } else if (a.status !== before.status || show(a.body) !== show(before.body)) {
        throw new CheckFailure(`seeded sequence ${s}, request ${i + 1}: a retry with key ${show(key)} and the same body must get the stored response (status and body of the first answer)`, {
          expected: `${before.status} ${show(before.body)}`,
          received: `${a.status} ${show(a.body)}`,
        });
      }
    }
    if (h.payments !== first.size) {
      throw new CheckFailure(`seeded sequence ${s}: ${first.size} distinct keys made ${h.payments} payments: a retry with a known key must not run the payment again`, { expected: `${first.size} payments`, received: `${h.payments}` });
    }
  }
}

async function mismatches(ctx: CheckContext): Promise<void> {
  for (let s = 0; s < seeds(6); s++) {
    const prng = createPrng(`keys-mismatch-${s}`);
    const h = await harness(ctx);
    const used = new Map<string, Json>();
    for (let i = 0; i < 60; i++) {
      const key = KEYS[prng.int(0, KEYS.length - 1)]!;
      const own = used.get(key);
      const other = own !== undefined && prng.next() < 0.5;
      const b = other ? body(100 + i) : (own ?? body(i));
      const paymentsBefore = h.payments;
      const r = h.send(key, b);
      r.release();
      const a = await r.answer;
      if (own === undefined) used.set(key, b);
      if (other && (a.status !== 422 || h.payments !== paymentsBefore)) {
        throw new CheckFailure(`seeded sequence ${s}, request ${i + 1}: key ${show(key)} first came with ${show(own)}, now with ${show(b)}: the same key with different parameters is refused with 422 and runs nothing`, {
          expected: "422, no payment",
          received: `${a.status}${h.payments !== paymentsBefore ? ", a payment made" : ""}`,
        });
      }
    }
  }
}

async function inFlight(ctx: CheckContext): Promise<void> {
  for (let s = 0; s < seeds(6); s++) {
    const prng = createPrng(`keys-inflight-${s}`);
    const h = await harness(ctx);
    for (let round = 0; round < 10; round++) {
      const key = `${KEYS[prng.int(0, KEYS.length - 1)]}-${s}-${round}`;
      const b = body(round);
      const firstCall = h.send(key, b);
      const dupes = Array.from({ length: prng.int(1, 4) }, () => h.send(key, b));
      for (const d of dupes) d.release();
      const answers = await Promise.all(dupes.map((d) => d.answer));
      const bad = answers.find((a) => a.status !== 409);
      if (bad || h.payments !== round + 1) {
        throw new CheckFailure(`seeded round ${s}.${round + 1}: ${dupes.length} duplicate(s) with key ${show(key)} arrived while the first payment was still running: each gets 409 (Retry-After), and only the first runs`, {
          expected: `409 × ${dupes.length}, ${round + 1} payments so far`,
          received: `${answers.map((a) => a.status).join(", ")}, ${h.payments} payments`,
        });
      }
      firstCall.release();
      await firstCall.answer;
      const after = h.send(key, b);
      after.release();
      const a = await after.answer;
      if (a.status !== 201) {
        throw new CheckFailure(`seeded round ${s}.${round + 1}: once the first request with key ${show(key)} finished, a retry must get its stored response, not 409 again: complete ends the in-progress mark`, {
          expected: "201 (the stored response)",
          received: `${a.status} ${show(a.body)}`,
        });
      }
    }
  }
}

async function expiry(ctx: CheckContext): Promise<void> {
  for (let s = 0; s < seeds(6); s++) {
    const prng = createPrng(`keys-ttl-${s}`);
    const ttl = s % 2 === 0 ? undefined : prng.int(1_000, 10 * 60_000);
    const ttlMs = ttl ?? 24 * 60 * 60 * 1000;
    const h = await harness(ctx, ttl);
    const key = KEYS[s % KEYS.length]!;
    const first = h.send(key, body(s));
    first.release();
    await first.answer;
    const start = h.clock.nowMs;
    h.clock.nowMs = start + ttlMs - 1;
    const before = h.send(key, body(s));
    before.release();
    await before.answer;
    if (h.payments !== 1) {
      throw new CheckFailure(`seeded case ${s}: 1 ms before the TTL (${ttlMs} ms) ran out, a retry with key ${show(key)} ran the payment again: the key lives ttlMs after its first use`, { expected: "1 payment", received: `${h.payments}` });
    }
    h.clock.nowMs = start + ttlMs + prng.int(0, 5_000);
    const afterTtl = h.send(key, body(s + 1));
    afterTtl.release();
    const a = await afterTtl.answer;
    if (a.status !== 201 || (h.payments as number) !== 2) {
      throw new CheckFailure(`seeded case ${s}: once the TTL (${ttlMs} ms, by the injected clock) had passed, key ${show(key)} must be free for a new payment, even with other parameters`, {
        expected: "201, a second payment",
        received: `${a.status} ${show(a.body)}, ${h.payments} payment(s)`,
      });
    }
  }
}

export const IDEMPOTENCY_KEYS_HIDDEN: HiddenTest[] = [
  hidden(c(1), "sequences", { title: "seeded sequences of payments and retries (keys like __proto__ too): the stored response, one payment per key", weight: 2, files: FILES, run: replays }),
  hidden(c(2), "sequences", { title: "seeded reuses of keys with other parameters: 422, nothing run", weight: 2, files: FILES, run: mismatches }),
  hidden(c(3), "concurrent", { title: "concurrent duplicates while the payment runs: 409 each, one payment, then the stored response", weight: 2, files: FILES, run: inFlight }),
  hidden(c(4), "ttl", { title: "random TTLs and the 24 h default, by the injected clock: kept until the TTL, free after it", weight: 2, files: FILES, run: expiry }),
];
