/**
 * Property tests: whatever the cluster answers, one operation keeps
 * one identity, and attempts and total time stay under their bounds.
 */
import { createPrng, errorSpec } from "@dslab/protocol";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { KvClient, type JitterMode } from "../src/index.js";
import { err, ManualClock, ok, ScriptedTransport, type Step } from "./helpers.js";

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.constantFrom<Step>("timeout", "refused", "disconnected"),
  fc.constantFrom(0, 1, 10, 11, 12, 13, 14, 20, 22, 30, 1000, 1001, 1004, 1005, 1006, 1007, 4242).map((code) => err(code)),
  fc.constantFrom("n1", "n2", "n3", "n4").map((leader) => err(11, { leader })),
  fc.nat(3000).map((ms) => err(11, { retry_after_ms: ms })),
  fc.constant(ok("write_ok")),
  fc.constant(ok("write_ok", { replayed: true })),
);

const configArb = fc.record({
  script: fc.array(stepArb, { minLength: 1, maxLength: 60 }),
  maxRetries: fc.nat(12),
  maxRedirects: fc.nat(6),
  maxTotalMs: fc.integer({ min: 1, max: 20_000 }),
  attemptTimeoutMs: fc.integer({ min: 1, max: 3_000 }),
  replyMs: fc.integer({ min: 0, max: 50 }),
  jitter: fc.constantFrom<JitterMode>("proportional", "full", "decorrelated", "none"),
  breaker: fc.boolean(),
  seed: fc.nat(),
});

type Config = typeof configArb extends fc.Arbitrary<infer T> ? T : never;

async function runOne(c: Config) {
  const clock = new ManualClock(1_000_000);
  // Past the end of the script the cluster times out.
  const transport = new ScriptedTransport(clock, (_s, i) => c.script[i] ?? "timeout", c.replyMs);
  const client = new KvClient({
    nodes: ["n1", "n2", "n3"],
    transport,
    prng: createPrng(c.seed),
    clock,
    sleep: clock.sleep,
    maxRetries: c.maxRetries,
    maxRedirects: c.maxRedirects,
    maxTotalMs: c.maxTotalMs,
    attemptTimeoutMs: c.attemptTimeoutMs,
    backoff: { jitter: c.jitter },
    circuitBreaker: c.breaker ? { failureThreshold: 2, openMs: 500 } : false,
  });
  const start = clock.ms;
  const result = await client.put("k", 1);
  return { result, transport, elapsedMs: clock.ms - start, client };
}

describe("client properties", () => {
  test("identity never changes across the retries of one operation", async () => {
    await fc.assert(
      fc.asyncProperty(configArb, async (c) => {
        const { transport, result } = await runOne(c);
        // The operation's identity (a client with a random id may switch to a new one after it, on 1001).
        for (const s of transport.sent) {
          expect(s.body.client_id).toBe(result.clientId);
          expect(s.body.seq).toBe(1);
        }
      }),
      { numRuns: 300 },
    );
  });

  test("attempts stay within 1 + maxRetries + maxRedirects and time within maxTotalMs", async () => {
    await fc.assert(
      fc.asyncProperty(configArb, async (c) => {
        const { result, transport, elapsedMs } = await runOne(c);
        expect(transport.sent.length).toBe(result.attempts);
        expect(result.attempts).toBeLessThanOrEqual(1 + c.maxRetries + c.maxRedirects);
        expect(elapsedMs).toBeLessThanOrEqual(c.maxTotalMs);
      }),
      { numRuns: 300 },
    );
  });

  test("the outcome is failed only if no attempt may have applied the operation and no copy can still be applied", async () => {
    await fc.assert(
      fc.asyncProperty(configArb, async (c) => {
        const { result } = await runOne(c);
        const indefinite = result.log.some((l) => ["timeout", "disconnected", "indefinite-error", "indefinite-final"].includes(l.rule));
        const copySent = result.log.some((l) => l.rule !== "refused");
        if (result.outcome === "failed") {
          expect(indefinite).toBe(false);
          // Either nothing left the client, or the cluster refused every copy.
          if (copySent) expect(errorSpec(result.error.code).durable).toBe(true);
        }
        if (result.outcome === "unknown") {
          expect(result.because).toBe(indefinite ? "an-attempt-may-have-applied" : "a-copy-may-still-arrive");
          if (!indefinite) expect(copySent && !errorSpec(result.lastError.code).durable).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});
