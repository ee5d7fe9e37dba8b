/**
 * Checks of the Idempotency-Key quest (LESSON.idempotencyKeys): the
 * workbook's IdempotencyHandler runs inside the payment API of
 * plug/payments-server.ts, and every check talks to it with real HTTP
 * requests on 127.0.0.1. The ledger behind the handler says how many times a
 * payment was really made; the clock is a hand-driven one, so "24 hours
 * later" takes no time.
 */
import { isDeepStrictEqual } from "node:util";
import { BadHandlerResponse, startPaymentsServer, type PaymentsServer, type PaymentsServerOptions } from "../plug/payments-server.js";
import type { Clock } from "../src/idempotency-handler.js";
import { criterion, LESSON } from "./lessons.js";
import { CheckFailure, type CheckContext, type CriterionCheck } from "./types.js";

const FILE = "src/idempotency-handler.ts" as const;
const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
/** The hand-driven clock starts here (2001-09-09), far from the real time, so a handler reading Date.now() shows. */
const START_MS = 1_000_000_000_000;
/** How long a check waits for one HTTP answer or for a payment to start. */
const WAIT_MS = 5_000;

interface Payment {
  amount: number;
  currency: string;
  to: string;
}

const PAYMENT: Payment = { amount: 100, currency: "EUR", to: "acct-1" };

class ManualClock implements Clock {
  constructor(public nowMs: number) {}
  now(): number {
    return this.nowMs;
  }
  advance(ms: number): void {
    this.nowMs += ms;
  }
}

interface Reply {
  status: number;
  replayed: boolean;
  body: unknown;
}

async function withServer(ctx: CheckContext, options: PaymentsServerOptions, run: (server: PaymentsServer) => Promise<void>): Promise<void> {
  const server = await startPaymentsServer(ctx.workbook, options);
  try {
    await run(server);
  } finally {
    await server.close();
  }
}

/**
 * POSTs a payment. `text` replaces the body's JSON text (same fields in
 * another order, other spacing). An error the handler threw is rethrown
 * here, so the report shows the student's own error and line.
 */
async function pay(server: PaymentsServer, key: string | undefined, payment: Payment, text?: string): Promise<Reply> {
  let response: Response;
  let body: unknown;
  try {
    response = await fetch(`${server.url}/payments`, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...(key !== undefined ? { "Idempotency-Key": key } : {}) },
      body: text ?? JSON.stringify(payment),
      signal: AbortSignal.timeout(WAIT_MS),
    });
    body = (await response.json()) as unknown;
  } catch (e) {
    const error = server.errors.shift();
    if (error !== undefined) throw error;
    if (e instanceof Error && e.name === "TimeoutError") {
      throw new CheckFailure(`a payment with key ${key ?? "(none)"} got no answer within ${WAIT_MS / 1000} s: does handle() wait for something that never happens?`);
    }
    throw e;
  }
  const error = server.errors.shift();
  if (error !== undefined) {
    if (error instanceof BadHandlerResponse) throw new CheckFailure(`the handler is broken: ${error.message}`);
    throw error;
  }
  return { status: response.status, replayed: response.headers.get("idempotent-replayed") === "true", body };
}

const show = (reply: Reply): string => `${reply.status}${reply.replayed ? " (Idempotent-Replayed: true)" : ""} ${JSON.stringify(reply.body)}`;

function payments(server: PaymentsServer, key: string): string {
  const n = server.ledger.countFor(key);
  return `the ledger shows ${n} payment${n === 1 ? "" : "s"} for key ${key}`;
}

/** The first request with a fresh key must run the payment once and answer 201. */
async function firstPayment(server: PaymentsServer, key: string, payment: Payment = PAYMENT, when = ""): Promise<Reply> {
  const before = server.ledger.countFor(key);
  const reply = await pay(server, key, payment);
  if (reply.status !== 201 || reply.replayed) {
    throw new CheckFailure(`the first payment with key ${key}${when} was not run: a new key must run the payment and answer its 201`, {
      expected: "201 with the new payment",
      received: show(reply),
    });
  }
  if (server.ledger.countFor(key) !== before + 1) {
    throw new CheckFailure(`the first payment with key ${key}${when} answered 201, but ${payments(server, key)}: run the payment exactly once`);
  }
  return reply;
}

/** A retry that must be answered from the stored response without paying again. */
async function expectReplay(server: PaymentsServer, key: string, stored: Reply, what: string, text?: string): Promise<void> {
  const before = server.ledger.countFor(key);
  const reply = await pay(server, key, PAYMENT, text);
  const expected = show({ ...stored, replayed: true });
  if (server.ledger.countFor(key) > before) {
    throw new CheckFailure(`${what} was applied again: ${payments(server, key)}`, { expected, received: show(reply) });
  }
  if (reply.status === 409) {
    throw new CheckFailure(`${what} got 409 (in progress) although the first request had finished: complete() must store the response and end the in-progress mark`, {
      expected,
      received: show(reply),
    });
  }
  if (reply.status === 422) {
    throw new CheckFailure(`${what} was refused as a different request (422): the same method, path and body is the same request; compare requestFingerprint values`, {
      expected,
      received: show(reply),
    });
  }
  if (reply.status !== stored.status || !isDeepStrictEqual(reply.body, stored.body)) {
    throw new CheckFailure(`${what} did not get the stored response: a replay answers the first response's status and body unchanged`, {
      expected,
      received: show(reply),
    });
  }
  if (!reply.replayed) {
    throw new CheckFailure(`${what} got the stored response without the Idempotent-Replayed: true header`, { expected, received: show(reply) });
  }
}

/** Every value in the state must be JSON data: it is copied and compared as data. */
function expectPlainState(server: PaymentsServer): void {
  const problem = notPlain(server.handler.state, "state", 0);
  if (problem !== undefined) {
    throw new CheckFailure(`the handler's state is not plain data: ${problem}; keep state as plain objects, arrays, strings, numbers, booleans and null`);
  }
}

function notPlain(value: unknown, where: string, depth: number): string | undefined {
  if (depth > 32) return `${where} nests more than 32 levels`;
  if (value === null || typeof value === "string" || typeof value === "boolean") return undefined;
  if (typeof value === "number") return Number.isFinite(value) ? undefined : `${where} is ${value}`;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const p = notPlain(value[i], `${where}[${i}]`, depth + 1);
      if (p !== undefined) return p;
    }
    return undefined;
  }
  if (typeof value === "object") {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) return `${where} is a ${(value as object).constructor?.name ?? "class instance"}`;
    for (const [k, v] of Object.entries(value)) {
      const p = notPlain(v, `${where}.${k}`, depth + 1);
      if (p !== undefined) return p;
    }
    return undefined;
  }
  return `${where} is a ${typeof value}`;
}

function recordOf(server: PaymentsServer, key: string): unknown {
  const records = (server.handler.state as { records?: Record<string, unknown> }).records;
  return records !== undefined && Object.hasOwn(records, key) ? records[key] : undefined;
}

/** A promise the check resolves by hand, and a count of the payments waiting on it. */
function gate(): { delay: () => Promise<void>; waiting: () => number; reached: (n: number) => Promise<boolean>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  let waiting = 0;
  const waiters: Array<{ n: number; wake: () => void }> = [];
  return {
    delay: () => {
      waiting++;
      for (const w of waiters.filter((w) => waiting >= w.n)) w.wake();
      return opened;
    },
    waiting: () => waiting,
    /** True once `n` payments wait, false after WAIT_MS. */
    reached: (n) =>
      waiting >= n
        ? Promise.resolve(true)
        : new Promise<boolean>((r) => {
            const timer = setTimeout(() => r(false), WAIT_MS);
            timer.unref();
            waiters.push({ n, wake: () => (clearTimeout(timer), r(true)) });
          }),
    open,
  };
}

const retryIsReplayed: CriterionCheck = {
  criterion: criterion(LESSON.idempotencyKeys, 1),
  title: "A retry with the same Idempotency-Key gets the stored response; the payment is made once",
  files: [FILE],
  async run(ctx) {
    const clock = new ManualClock(START_MS);
    await withServer(ctx, { clock }, async (server) => {
      const first = await firstPayment(server, "k1");
      await expectReplay(server, "k1", first, "the retry");
      await expectReplay(
        server,
        "k1",
        first,
        "a retry whose JSON lists the same fields in another order",
        `{ "to": "${PAYMENT.to}",  "currency": "${PAYMENT.currency}", "amount": ${PAYMENT.amount} }`,
      );
      clock.advance(HOUR_MS);
      await expectReplay(server, "k1", first, "a retry an hour later");

      const other = await pay(server, "k1b", PAYMENT);
      if (other.replayed || server.ledger.countFor("k1b") !== 1) {
        throw new CheckFailure(`a payment with another key (k1b) was not run (${payments(server, "k1b")}): each key has its own record, and a new key is a new payment`, {
          expected: "201 with a new payment",
          received: show(other),
        });
      }
      if (recordOf(server, "k1") === undefined || recordOf(server, "k1b") === undefined) {
        throw new CheckFailure("after payments with keys k1 and k1b, state.records does not hold a record for each: keep one record per key in state");
      }
      expectPlainState(server);
    });
  },
};

const differentRequestIsRefused: CriterionCheck = {
  criterion: criterion(LESSON.idempotencyKeys, 2),
  title: "The same key with different parameters is refused with 422",
  files: [FILE],
  async run(ctx) {
    await withServer(ctx, { clock: new ManualClock(START_MS) }, async (server) => {
      const first = await firstPayment(server, "k2");
      const changes: Array<[string, Payment]> = [
        ["a different amount (200 instead of 100)", { ...PAYMENT, amount: 200 }],
        ["a different payee (acct-2 instead of acct-1)", { ...PAYMENT, to: "acct-2" }],
      ];
      for (const [what, payment] of changes) {
        const reply = await pay(server, "k2", payment);
        const expected = "422 (the key belongs to a different request)";
        if (server.ledger.countFor("k2") > 1) {
          throw new CheckFailure(`the same key with ${what} was applied as a new payment: ${payments(server, "k2")}; refuse it with 422`, {
            expected,
            received: show(reply),
          });
        }
        if (reply.status === 422) continue;
        if (reply.replayed || isDeepStrictEqual(reply.body, first.body)) {
          throw new CheckFailure(
            `the same key with ${what} got the first payment's stored response (a replay) instead of 422: compare the request's fingerprint with the stored one`,
            { expected, received: show(reply) },
          );
        }
        throw new CheckFailure(`the same key with ${what} got ${reply.status} instead of 422`, { expected, received: show(reply) });
      }
      await expectReplay(server, "k2", first, "after two refused requests, a retry of the first one");
    });
  },
};

const inProgressDuplicateIsRefused: CriterionCheck = {
  criterion: criterion(LESSON.idempotencyKeys, 3),
  title: "A duplicate that arrives while the first request is still in progress gets 409",
  files: [FILE],
  async run(ctx) {
    const held = gate();
    await withServer(ctx, { clock: new ManualClock(START_MS), delay: held.delay }, async (server) => {
      const firstReply = pay(server, "k3", PAYMENT);
      // Awaited below; this only keeps a failure of it from counting as unhandled if the check stops first.
      firstReply.catch(() => {});
      const duplicateReply = (async () => {
        // Sent once the first request waits inside the payment endpoint.
        const started = await Promise.race([held.reached(1), firstReply.then(() => false)]);
        if (!started) {
          const r = await Promise.race([firstReply, new Promise<undefined>((done) => setTimeout(() => done(undefined), 10))]);
          throw new CheckFailure(
            `the first payment with key k3 never reached the payment endpoint${r ? `; it was answered ${show(r)}` : ` within ${WAIT_MS / 1000} s`}: a new key must run the payment`,
          );
        }
        const marked = recordOf(server, "k3") !== undefined;
        const duplicate = pay(server, "k3", PAYMENT);
        const reachedTwice = await Promise.race([duplicate.then(() => false), held.reached(2)]);
        return { marked, reachedTwice, duplicate };
      })();
      let outcome: Awaited<typeof duplicateReply>;
      try {
        outcome = await duplicateReply;
      } finally {
        held.open();
      }
      const first = await firstReply;
      const dup = await outcome.duplicate;
      const expected = "409 while the first request is in progress";
      if (outcome.reachedTwice || server.ledger.countFor("k3") > 1) {
        throw new CheckFailure(
          `a duplicate that arrived while the first request was still in progress was applied too: ${payments(server, "k3")}; mark the key in progress in begin() and answer 409 while it is`,
          { expected, received: show(dup) },
        );
      }
      if (dup.status !== 409) {
        throw new CheckFailure(`a duplicate that arrived while the first request was still in progress got ${show(dup)} instead of 409`, {
          expected,
          received: show(dup),
        });
      }
      if (!outcome.marked) {
        throw new CheckFailure(
          'while the first payment with key k3 was running, state.records["k3"] did not exist: begin() must record the key, marked in progress, in state before the payment runs',
        );
      }
      if (first.status !== 201) {
        throw new CheckFailure(`the first payment with key k3 was answered ${show(first)}: it should run once and answer 201`);
      }
      await expectReplay(server, "k3", first, "a retry after the first request finished");
      expectPlainState(server);
    });
  },
};

const keysExpire: CriterionCheck = {
  criterion: criterion(LESSON.idempotencyKeys, 4),
  title: "A key expires after its TTL (24 h by default), by the injected clock",
  files: [FILE],
  async run(ctx) {
    const clock = new ManualClock(START_MS);
    await withServer(ctx, { clock }, async (server) => {
      const first = await firstPayment(server, "k4");
      await firstPayment(server, "k4-unused");
      clock.advance(DAY_MS - MINUTE_MS);
      const before = server.ledger.countFor("k4");
      const early = await pay(server, "k4", PAYMENT);
      if (server.ledger.countFor("k4") > before) {
        throw new CheckFailure(
          `a retry 23 h 59 min after the first payment was applied again (${payments(server, "k4")}): the key expired before its 24 h TTL; expiry follows the injected clock's nowMs, never Date.now()`,
          { expected: show({ ...first, replayed: true }), received: show(early) },
        );
      }
      if (!early.replayed) {
        throw new CheckFailure(`a retry 23 h 59 min after the first payment got ${show(early)} instead of the stored response: the key lives 24 h`, {
          expected: show({ ...first, replayed: true }),
          received: show(early),
        });
      }

      clock.advance(2 * MINUTE_MS);
      const late = await pay(server, "k4", PAYMENT);
      const expected = "201 with a new payment (the key has expired and may be used anew)";
      if (late.replayed || late.status === 409 || late.status === 422 || server.ledger.countFor("k4") !== 2) {
        throw new CheckFailure(
          `24 h 1 min after its first use, key k4 was not expired (got ${late.status}${late.replayed ? ", replayed" : ""}; ${payments(server, "k4")}): a key expires 24 h after its first use by the injected clock's nowMs, and a retry does not extend it`,
          { expected, received: show(late) },
        );
      }
      await expectReplay(server, "k4", late, "a retry of the payment made with the reused key k4");
      if (recordOf(server, "k4-unused") !== undefined) {
        throw new CheckFailure(
          "key k4-unused, last used 24 h 1 min ago, is still in the handler's state: expire(nowMs) must remove every expired record, not only the one a request looks up",
        );
      }
    });

    const shortClock = new ManualClock(START_MS);
    await withServer(ctx, { clock: shortClock, ttlMs: MINUTE_MS }, async (server) => {
      const first = await firstPayment(server, "k4-short", PAYMENT, " (ttlMs 60000)");
      shortClock.advance(59 * SECOND_MS);
      await expectReplay(server, "k4-short", first, "with ttlMs 60000, a retry 59 s later");
      shortClock.advance(2 * SECOND_MS);
      const late = await pay(server, "k4-short", PAYMENT);
      if (late.replayed || server.ledger.countFor("k4-short") !== 2) {
        throw new CheckFailure(
          `with ttlMs 60000, key k4-short was not expired 61 s after its first use (got ${show(late)}; ${payments(server, "k4-short")}): use the ttlMs option, not a fixed 24 h`,
        );
      }
    });
  },
};

export const IDEMPOTENCY_KEY_CHECKS: CriterionCheck[] = [retryIsReplayed, differentRequestIsRefused, inProgressDuplicateIsRefused, keysExpire];
