import { describe, expect, it } from "vitest";
import { endsSession, ErrorCode, errorRegistry, errorSpec, isDefinite, createPrng } from "../src/index.js";

describe("error registry", () => {
  it("has Maelstrom's codes with Maelstrom's definiteness", () => {
    const maelstrom: Array<[number, string, boolean]> = [
      [0, "timeout", false],
      [1, "node-not-found", true],
      [10, "not-supported", true],
      [11, "temporarily-unavailable", true],
      [12, "malformed-request", true],
      [13, "crash", false],
      [14, "abort", true],
      [20, "key-does-not-exist", true],
      [21, "key-already-exists", true],
      [22, "precondition-failed", true],
      [30, "txn-conflict", true],
    ];
    for (const [code, name, definite] of maelstrom) {
      expect(errorSpec(code)).toMatchObject({ code, name, definite });
    }
  });

  it("keeps the project's own codes at 1000 and up, each with a meaning", () => {
    const own = errorRegistry.filter((e) => e.code >= 1000);
    expect(own.map((e) => e.name)).toContain("session-expired");
    expect(own.map((e) => e.name)).toContain("stale-request");
    for (const e of errorRegistry) expect(e.meaning.length).toBeGreaterThan(10);
    expect(new Set(errorRegistry.map((e) => e.code)).size).toBe(errorRegistry.length);
  });

  it("calls a refusal durable only if it is definite, and never a per-copy refusal such as not-the-leader", () => {
    for (const e of errorRegistry) if (e.durable) expect(e.definite).toBe(true);
    expect(errorSpec(ErrorCode.TemporarilyUnavailable).durable).toBe(false);
    expect(errorSpec(ErrorCode.StaleRequest).durable).toBe(false);
    expect(errorSpec(ErrorCode.SessionExpired).durable).toBe(true);
    expect(errorSpec(4242).durable).toBe(false);
  });

  it("names the errors after which a client_id is finished", () => {
    expect(errorRegistry.filter((e) => endsSession(e.code)).map((e) => e.name)).toEqual([
      "session-expired",
      "reply-unavailable",
      "session-unknown",
    ]);
  });

  it("treats an unknown code as indefinite, never as proof the write did not happen", () => {
    expect(isDefinite(4242)).toBe(false);
  });
});

describe("prng", () => {
  it("replays the same stream from the same seed and forks independent streams", () => {
    const a = createPrng(42);
    const b = createPrng("42");
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    const f1 = createPrng(42).fork("network").next();
    const f2 = createPrng(42).fork("nemesis").next();
    expect(f1).not.toBe(f2);
    expect(createPrng(42).fork("network").next()).toBe(f1);
  });

  it("draws integers within bounds", () => {
    const p = createPrng(1);
    for (let i = 0; i < 1000; i++) {
      const x = p.int(150, 300);
      expect(x).toBeGreaterThanOrEqual(150);
      expect(x).toBeLessThanOrEqual(300);
    }
  });
});
