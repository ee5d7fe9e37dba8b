/**
 * The retry policy, each row a tested rule: one table row per rule of
 * RETRY_RULES, run through a real KvClient with a scripted in-memory
 * transport and a manual clock. Jitter is off so every wait is exact.
 */
import { createPrng, errorRegistry } from "@dslab/protocol";
import { describe, expect, test } from "vitest";
import { classify, ClientError, formatAttempt, KvClient, RETRY_RULES, type ClientOptions, type OpResult } from "../src/index.js";
import { err, ManualClock, ok, ScriptedTransport, type Step } from "./helpers.js";
import { classifyWithBackoffOnRedirect } from "./known-bad/backoff-on-redirect.js";
import { freshSeqPerAttempt } from "./known-bad/new-identity-per-retry.js";

function setup(script: Step[], extra: Partial<ClientOptions> = {}) {
  const clock = new ManualClock();
  const transport = new ScriptedTransport(clock, script);
  const client = new KvClient({
    nodes: ["n1", "n2", "n3"],
    transport,
    prng: createPrng("policy"),
    clock,
    sleep: clock.sleep,
    clientId: "42",
    backoff: { jitter: "none" },
    ...extra,
  });
  return { clock, transport, client };
}

interface Row {
  rule: string;
  script: Step[];
  outcome: OpResult["outcome"];
  actions: string[];
  nodes: string[];
  sleeps: number[];
}

const rows: Row[] = [
  { rule: "ok: an ok reply is terminal", script: [ok("append_ok", { value: [1] })], outcome: "ok", actions: ["succeed"], nodes: ["n1"], sleeps: [] },
  {
    rule: "redirect: error 11 with leader is followed at once, with no backoff",
    script: [err(11, { leader: "n3" }), ok("append_ok", { value: [1] })],
    outcome: "ok",
    actions: ["redirect", "succeed"],
    nodes: ["n1", "n3"],
    sleeps: [],
  },
  {
    rule: "no-leader: error 11 without leader backs off and tries the next node",
    script: [err(11), err(11), ok("append_ok", { value: [1] })],
    outcome: "ok",
    actions: ["retry-next", "retry-next", "succeed"],
    nodes: ["n1", "n2", "n3"],
    sleeps: [100, 200],
  },
  {
    rule: "malformed: error 12 is never retried and is a definite failure",
    script: [err(12)],
    outcome: "failed",
    actions: ["fail"],
    nodes: ["n1"],
    sleeps: [],
  },
  {
    rule: "definite-final: key-does-not-exist (20) is terminal and definite",
    script: [err(20)],
    outcome: "failed",
    actions: ["fail"],
    nodes: ["n1"],
    sleeps: [],
  },
  {
    rule: "definite-final: precondition-failed (22) is terminal and definite",
    script: [err(22)],
    outcome: "failed",
    actions: ["fail"],
    nodes: ["n1"],
    sleeps: [],
  },
  {
    rule: "definite-transient: abort (14) backs off and retries the same node",
    script: [err(14), ok("append_ok", { value: [1] })],
    outcome: "ok",
    actions: ["retry-same", "succeed"],
    nodes: ["n1", "n1"],
    sleeps: [100],
  },
  {
    rule: "indefinite-error: crash (13) backs off and tries the next node",
    script: [err(13), ok("append_ok", { value: [1] })],
    outcome: "ok",
    actions: ["retry-next", "succeed"],
    nodes: ["n1", "n2"],
    sleeps: [100],
  },
  {
    rule: "indefinite-final: reply-unavailable (1005) is not retried, and is unknown, never failed",
    script: [err(1005)],
    outcome: "unknown",
    actions: ["fail"],
    nodes: ["n1"],
    sleeps: [],
  },
  {
    rule: "timeout: no reply tries the next node after a backoff",
    script: ["timeout", ok("append_ok", { value: [1] })],
    outcome: "ok",
    actions: ["retry-next", "succeed"],
    nodes: ["n1", "n2"],
    sleeps: [100],
  },
  {
    rule: "disconnected: a broken connection tries the next node after a backoff",
    script: ["disconnected", ok("append_ok", { value: [1] })],
    outcome: "ok",
    actions: ["retry-next", "succeed"],
    nodes: ["n1", "n2"],
    sleeps: [100],
  },
  {
    rule: "refused: a refused connection tries the next node after a backoff",
    script: ["refused", ok("append_ok", { value: [1] })],
    outcome: "ok",
    actions: ["retry-next", "succeed"],
    nodes: ["n1", "n2"],
    sleeps: [100],
  },
];

describe("retry policy table: each row a tested rule", () => {
  test.each(rows)("$rule", async (row) => {
    const { client, clock, transport } = setup(row.script);
    const r = await client.append("k", 1);
    expect(r.outcome).toBe(row.outcome);
    expect(r.log.map((l) => l.action)).toEqual(row.actions);
    expect(transport.sent.map((s) => s.node)).toEqual(row.nodes);
    expect(clock.sleeps).toEqual(row.sleeps);
  });

  test("every rule of RETRY_RULES has a row here", () => {
    const covered = new Set(rows.map((r) => r.rule.split(":")[0]));
    expect(RETRY_RULES.map((r) => r.id).filter((id) => !covered.has(id))).toEqual([]);
  });

  test("the rule for every registered error code follows the registry's definite/retryable flags", () => {
    const ctx = { canReach: () => false, redirectsLeft: 0 };
    for (const spec of errorRegistry) {
      const r = classify({ kind: "reply", body: { type: "error", code: spec.code } }, ctx);
      if (spec.code === 11) expect(r.id).toBe("no-leader");
      else if (spec.code === 12) expect(r.id).toBe("malformed");
      else if (!spec.definite) expect(r.id).toBe(spec.retryable ? "indefinite-error" : "indefinite-final");
      else expect(r.id).toBe(spec.retryable ? "definite-transient" : "definite-final");
    }
    // An unregistered code never proves the write did not happen.
    expect(classify({ kind: "reply", body: { type: "error", code: 777 } }, ctx).id).toBe("indefinite-error");
  });
});

describe("what the answer says is known: never failed for an unknown outcome", () => {
  test("a timeout then a definite 'not the leader, no leader known' error, out of retries, is unknown", async () => {
    const { client } = setup(["timeout", err(11)], { maxRetries: 1 });
    const r = await client.append("k", 1);
    expect(r.outcome).toBe("unknown");
    if (r.outcome !== "unknown") return;
    expect(r.attempts).toBe(2);
    expect(r.nodesTried).toEqual(["n1", "n2"]);
    expect(r.lastError.code).toBe(11);
    expect(r.gaveUp).toBe("max-retries");
  });

  test("a timeout then a definite terminal error (session expired) is unknown, not failed", async () => {
    const { client } = setup(["timeout", err(1001)]);
    expect((await client.append("k", 1)).outcome).toBe("unknown");
  });

  test("a timeout then the session's cached reply (replayed) proves it happened: ok", async () => {
    const { client } = setup(["timeout", ok("append_ok", { value: [1], replayed: true })]);
    const r = await client.append("k", 1);
    expect(r.outcome).toBe("ok");
    expect(r.log.map((l) => l.outcome)).toEqual(["timeout(1000ms)", "append_ok(replayed)"]);
  });

  test("only refused connections, out of retries, is a definite failure: no copy was ever sent", async () => {
    const { client } = setup(["refused", "refused", "refused"], { maxRetries: 2 });
    const r = await client.append("k", 1);
    expect(r.outcome).toBe("failed");
  });

  test("'no leader' refusals, out of retries, are unknown: each refusal speaks for its own copy, and a duplicated or replayed copy may still be applied", async () => {
    const { client } = setup(["refused", err(11), "refused", err(11)], { maxRetries: 3 });
    const r = await client.append("k", 1);
    expect(r).toMatchObject({ outcome: "unknown", because: "a-copy-may-still-arrive", gaveUp: "max-retries" });
    if (r.outcome === "unknown") expect(r.lastError.code).toBe(11);
  });

  test("a durable refusal after per-copy refusals is a definite failure: the cluster refuses every copy", async () => {
    const { client } = setup([err(11), err(1001)], { clientId: undefined });
    expect(await client.append("k", 1)).toMatchObject({ outcome: "failed", error: { code: 1001 } });
    const { client: other } = setup([err(11), err(22)]);
    expect(await other.cas("k", 1, 2)).toMatchObject({ outcome: "failed", error: { code: 22 } });
  });

  test("a stale-request refusal (1000) does not prove an earlier copy was not applied: unknown", async () => {
    const { client } = setup([err(1000)]);
    expect(await client.append("k", 1, { seq: 3 })).toMatchObject({ outcome: "unknown", because: "a-copy-may-still-arrive" });
  });

  test("a request the transport could not send (answered locally, not_sent) is a definite failure at once", async () => {
    const { client, transport } = setup([err(11), err(1002, { not_sent: true })]);
    const r = await client.append("k", 1);
    expect(r).toMatchObject({ outcome: "failed", error: { code: 1002 } });
    expect(transport.sent).toHaveLength(2);
  });

  test("only timeouts, out of retries, is unknown with the attempts, nodes tried and last error", async () => {
    const { client } = setup(["timeout", "timeout", "timeout"], { maxRetries: 2 });
    const r = await client.append("k", 1);
    expect(r).toMatchObject({ outcome: "unknown", because: "an-attempt-may-have-applied", attempts: 3, nodesTried: ["n1", "n2", "n3"], gaveUp: "max-retries" });
    if (r.outcome === "unknown") expect(r.lastError).toMatchObject({ code: 0, transport: "timeout" });
  });
});

describe("redirects: followed at once, not counted as a retry, bounded", () => {
  test("redirects do not use up retries", async () => {
    const { client } = setup([err(11, { leader: "n2" }), err(11, { leader: "n3" }), ok("write_ok")], { maxRetries: 0 });
    expect((await client.put("k", 1)).outcome).toBe("ok");
  });

  test("a redirect loop is bounded: past maxRedirects a redirect backs off like 'no leader'", async () => {
    const { client, clock, transport } = setup(
      [err(11, { leader: "n2" }), err(11, { leader: "n1" }), err(11, { leader: "n2" }), ok("write_ok")],
      { maxRedirects: 2 },
    );
    const r = await client.put("k", 1);
    expect(r.log.map((l) => l.action)).toEqual(["redirect", "redirect", "retry-next", "succeed"]);
    expect(clock.sleeps).toEqual([100]);
    expect(transport.sent.map((s) => s.node)).toEqual(["n1", "n2", "n1", "n2"]);
  });

  test("a redirect to a node nobody can reach is treated as 'no leader'", async () => {
    const { client } = setup([err(11, { leader: "n9" }), ok("write_ok")]);
    const r = await client.put("k", 1);
    expect(r.log.map((l) => l.rule)).toEqual(["no-leader", "ok"]);
  });

  test("the next operation starts at the leader the last one found", async () => {
    const { client, transport } = setup([err(11, { leader: "n3" }), ok("write_ok"), ok("write_ok")]);
    await client.put("k", 1);
    await client.put("k", 2);
    expect(transport.sent.map((s) => s.node)).toEqual(["n1", "n3", "n3"]);
  });
});

describe("retry_after_ms hints and bounds", () => {
  test("a retry_after_ms hint lengthens the wait", async () => {
    const { client, clock } = setup([err(11, { retry_after_ms: 750 }), ok("write_ok")]);
    await client.put("k", 1);
    expect(clock.sleeps).toEqual([750]);
  });

  test("the client gives up before a wait would cross maxTotalMs", async () => {
    const { client, clock } = setup(["timeout", "timeout", "timeout", "timeout"], { maxTotalMs: 2500 });
    const r = await client.put("k", 1);
    expect(r).toMatchObject({ outcome: "unknown", gaveUp: "max-total-time" });
    expect(clock.ms).toBeLessThanOrEqual(2500);
  });

  test("the last attempt's timeout is cut to the time left", async () => {
    const { client, transport } = setup(["timeout", "timeout"], { maxTotalMs: 1500, maxRetries: 1 });
    await client.put("k", 1);
    expect(transport.sent.map((s) => s.timeoutMs)).toEqual([1000, 400]);
  });
});

describe("circuit breaker: fails fast while a node is known down", () => {
  test("known-down nodes are skipped, and with all of them down the operation fails fast", async () => {
    const { client, transport, clock } = setup(
      ["refused", "refused", "refused", "refused", "refused", "refused"],
      { circuitBreaker: { failureThreshold: 1, openMs: 10_000 }, maxRetries: 10 },
    );
    const r = await client.put("k", 1);
    expect(r).toMatchObject({ outcome: "failed", gaveUp: "circuit-open", attempts: 3 });
    expect(transport.sent.map((s) => s.node)).toEqual(["n1", "n2", "n3"]);
    // The next operation does not send anything while every node is known down.
    const again = await client.put("k", 2);
    expect(again).toMatchObject({ outcome: "failed", gaveUp: "circuit-open", attempts: 0 });
    expect(transport.sent).toHaveLength(3);
    // After openMs a node is tried again.
    clock.ms += 10_000;
    await client.put("k", 3);
    expect(transport.sent.length).toBeGreaterThan(3);
  });

  test("a timed-out attempt that then hits open breakers everywhere is unknown, not failed", async () => {
    const { client } = setup(["timeout", "timeout", "timeout"], { circuitBreaker: { failureThreshold: 1, openMs: 60_000 } });
    expect(await client.put("k", 1)).toMatchObject({ outcome: "unknown", gaveUp: "circuit-open" });
  });
});

describe("identity: one operation keeps one identity through every retry", () => {
  test("every attempt of one operation carries the same client_id and seq; the next operation takes seq + 1", async () => {
    const { client, transport } = setup(["timeout", err(11, { leader: "n1" }), err(13), ok("write_ok"), ok("write_ok")]);
    await client.put("k", 1);
    await client.put("k", 2);
    expect(transport.sent.map((s) => [s.body.client_id, s.body.seq])).toEqual([
      ["42", 1],
      ["42", 1],
      ["42", 1],
      ["42", 1],
      ["42", 2],
    ]);
  });

  test("reads carry no identity and use no seq", async () => {
    const { client, transport } = setup([ok("read_ok", { value: 1 }), ok("write_ok")]);
    await client.get("k");
    await client.put("k", 1);
    expect(transport.sent[0]?.body).toEqual({ type: "read", key: "k" });
    expect(transport.sent[1]?.body.seq).toBe(1);
  });

  test("an explicit seq replays a request by hand, and numbering continues above it", async () => {
    const { client, transport } = setup([ok("write_ok", { replayed: true }), ok("write_ok")]);
    await client.put("k", 1, { seq: 7 });
    await client.put("k", 2);
    expect(transport.sent.map((s) => s.body.seq)).toEqual([7, 8]);
  });

  test("after 1001 session-expired (failed, not retried) the next operation starts a fresh random client_id at seq 1", async () => {
    const { client, transport } = setup([ok("write_ok"), err(1001), ok("write_ok")], { clientId: undefined });
    const first = client.clientId;
    await client.put("k", 1);
    const refused = await client.put("k", 2);
    expect(refused).toMatchObject({ outcome: "failed", clientId: first, seq: 2, attempts: 1 });
    expect(client.clientId).not.toBe(first);
    expect(client.nextSeq).toBe(1);
    await client.put("k", 3);
    expect(transport.sent.map((s) => [s.body.client_id === first ? "old" : "new", s.body.seq])).toEqual([
      ["old", 1],
      ["old", 2],
      ["new", 1],
    ]);
  });

  test.each([1005, 1006])("after %i the next operation starts a fresh random client_id too, and the outcome is unknown", async (code) => {
    const { client } = setup([ok("write_ok"), err(code), ok("write_ok")], { clientId: undefined });
    const first = client.clientId;
    await client.put("k", 1);
    expect(await client.put("k", 2)).toMatchObject({ outcome: "unknown", because: "an-attempt-may-have-applied", attempts: 1 });
    expect([client.clientId === first, client.nextSeq]).toEqual([false, 1]);
  });

  test("a client_id the caller gave is kept after 1001: the caller owns that identity", async () => {
    const { client } = setup([err(1001)]);
    expect(await client.put("k", 1)).toMatchObject({ outcome: "failed", error: { code: 1001 } });
    expect([client.clientId, client.nextSeq]).toEqual(["42", 2]);
  });

  test("a random client_id is a 128-bit decimal string drawn from the injected PRNG", () => {
    const clock = new ManualClock();
    const make = () =>
      new KvClient({ nodes: ["n1"], transport: new ScriptedTransport(clock, []), prng: createPrng("id"), clock }).clientId;
    expect(make()).toMatch(/^\d+$/);
    expect(BigInt(make())).toBeLessThan(2n ** 128n);
    expect(make()).toBe(make());
  });

  test.each([
    [{ baseMs: 500, capMs: 100 }, /^backoff: need 0 <= baseMs <= capMs, got base 500, cap 100$/],
    [{ jitterRatio: 2 }, /^backoff: jitterRatio must be in \[0, 1\], got 2$/],
  ])("backoff settings %j are refused when the client is made, not thrown from its first operation", (backoff, message) => {
    const clock = new ManualClock();
    expect(() => new KvClient({ nodes: ["n1"], transport: new ScriptedTransport(clock, [ok("write_ok")]), prng: createPrng("b"), clock, backoff })).toThrow(
      expect.objectContaining({ code: "E_CLIENT_OPTIONS", message: expect.stringMatching(message) }),
    );
  });

  test.each([[0], [-1], [1.5], [Number.NaN], [2 ** 53]])("a firstSeq of %j is refused with ClientError E_CLIENT_OPTIONS, as the other settings are", (firstSeq) => {
    const clock = new ManualClock();
    const make = () => new KvClient({ nodes: ["n1"], transport: new ScriptedTransport(clock, []), prng: createPrng("s"), clock, firstSeq });
    expect(make).toThrow(ClientError);
    expect(make).toThrow(expect.objectContaining({ code: "E_CLIENT_OPTIONS", message: `firstSeq: expected a positive integer, got ${firstSeq}` }));
  });

  test.each([
    ["failureThreshold 0", { failureThreshold: 0 }, /^circuitBreaker: failureThreshold must be a positive integer, got 0$/],
    ["failureThreshold NaN", { failureThreshold: Number.NaN }, /^circuitBreaker: failureThreshold must be a positive integer, got NaN$/],
    ["openMs -1", { openMs: -1 }, /^circuitBreaker: openMs must be a non-negative number, got -1$/],
    ["openMs Infinity", { openMs: Number.POSITIVE_INFINITY }, /^circuitBreaker: openMs must be a non-negative number, got Infinity$/],
  ])("a circuit breaker with %s is refused when the client is made (E_CLIENT_OPTIONS)", (_what, circuitBreaker, message) => {
    const clock = new ManualClock();
    expect(() => new KvClient({ nodes: ["n1"], transport: new ScriptedTransport(clock, []), prng: createPrng("cb"), clock, circuitBreaker })).toThrow(
      expect.objectContaining({ code: "E_CLIENT_OPTIONS", message: expect.stringMatching(message) }),
    );
  });

  test("a second operation while one is outstanding is refused (one outstanding op per client_id)", async () => {
    const { client } = setup([ok("write_ok"), ok("write_ok")]);
    const first = client.put("k", 1);
    await expect(client.put("k", 2)).rejects.toMatchObject({ code: "E_CLIENT_BUSY" });
    await first;
  });

  test("the known-bad client with a new identity per attempt sends each retry under a fresh seq", async () => {
    const clock = new ManualClock();
    const transport = new ScriptedTransport(clock, ["timeout", ok("write_ok"), ok("write_ok")]);
    const client = new KvClient({ nodes: ["n1", "n2"], transport: freshSeqPerAttempt(transport), prng: createPrng("bad"), clock, sleep: clock.sleep, clientId: "42" });
    await client.put("k", 1);
    await client.put("k", 2);
    expect(transport.sent.map((s) => s.body.seq)).toEqual([1, 2, 3]);
  });

  test("the known-bad client that backs off on a redirect waits, then goes to the leader", async () => {
    const { client, clock, transport } = setup([err(11, { leader: "n3" }), ok("write_ok")], { classify: classifyWithBackoffOnRedirect });
    await client.put("k", 1);
    expect(clock.sleeps).toEqual([100]);
    expect(transport.sent.map((s) => s.node)).toEqual(["n1", "n3"]);
  });
});

describe("attempt log: one line per attempt, pasteable as proof", () => {
  test("lines name client_id, seq, node, outcome and backoff", async () => {
    const lines: string[] = [];
    const { client } = setup(["timeout", err(11, { leader: "n3" }), ok("write_ok", { replayed: true })], {
      onAttempt: (_r, line) => lines.push(line),
    });
    await client.put("k", 1);
    expect(lines).toEqual([
      "client_id=42 seq=1 attempt=1 node=n1 outcome=timeout(1000ms) action=retry-next backoff_ms=100 t_ms=1000",
      "client_id=42 seq=1 attempt=2 node=n2 outcome=error:11:temporarily-unavailable(leader=n3) action=redirect backoff_ms=0 t_ms=1101",
      "client_id=42 seq=1 attempt=3 node=n3 outcome=write_ok(replayed) action=succeed backoff_ms=0 t_ms=1102",
    ]);
  });

  test("a read's lines show client_id=- and seq=-: a read carries no identity", async () => {
    const lines: string[] = [];
    const { client, transport } = setup([err(11, { leader: "n3" }), ok("read_ok", { value: 1 })], { onAttempt: (_r, line) => lines.push(line) });
    await client.get("k");
    expect(transport.sent[0]?.body).not.toHaveProperty("client_id");
    expect(lines).toEqual([
      "client_id=- seq=- attempt=1 node=n1 outcome=error:11:temporarily-unavailable(leader=n3) action=redirect backoff_ms=0 t_ms=1",
      "client_id=- seq=- attempt=2 node=n3 outcome=read_ok action=succeed backoff_ms=0 t_ms=2",
    ]);
  });

  test("a node id that is not one plain token (a leader a node named) is quoted and escaped, so the line keeps its fields", async () => {
    const lines: string[] = [];
    const forged = "n9 action=succeed t_ms=0";
    const { client } = setup([err(11, { leader: forged }), ok("write_ok")], {
      nodes: ["n1", forged],
      onAttempt: (_r, line) => lines.push(line),
    });
    await client.put("k", 1);
    const quoted = '"n9\\u0020action\\u003dsucceed\\u0020t_ms\\u003d0"';
    expect(lines).toEqual([
      `client_id=42 seq=1 attempt=1 node=n1 outcome=error:11:temporarily-unavailable(leader=${quoted}) action=redirect backoff_ms=0 t_ms=1`,
      `client_id=42 seq=1 attempt=2 node=${quoted} outcome=write_ok action=succeed backoff_ms=0 t_ms=2`,
    ]);
    for (const line of lines) expect(line.split(" ").map((f) => f.split("=")[0])).toEqual(["client_id", "seq", "attempt", "node", "outcome", "action", "backoff_ms", "t_ms"]);
  });

  test("ids in letters of any script stay as they are; only what could split the line is escaped", () => {
    const line = (node: string) => formatAttempt({ clientId: "élève", seq: 1, attempt: 1, node, outcome: "write_ok", rule: "ok", action: "succeed", backoffMs: 0, tMs: 1 });
    expect(line("nœud-1")).toBe("client_id=élève seq=1 attempt=1 node=nœud-1 outcome=write_ok action=succeed backoff_ms=0 t_ms=1");
    expect(line("n1\u2028n2")).toContain('node="n1\\u2028n2" ');
    expect(line("tag\u{e0001}")).toContain('node="tag\\udb40\\udc01" ');
    expect(line("")).toContain('node="" ');
  });

  test("a node's address is written after its id without a space, and an id with parentheses stays one token before it", () => {
    const record = { clientId: "42", seq: 1, attempt: 1, outcome: "write_ok", rule: "ok", action: "succeed", backoffMs: 0, tMs: 1 } as const;
    expect(formatAttempt({ ...record, node: "n1" }, "127.0.0.1:9001")).toBe("client_id=42 seq=1 attempt=1 node=n1(127.0.0.1:9001) outcome=write_ok action=succeed backoff_ms=0 t_ms=1");
    expect(formatAttempt({ ...record, node: "n1(x)" }, "[::1]:9001")).toContain(" node=\"n1\\u0028x\\u0029\"([::1]:9001) outcome=");
  });

  test("t_ms is whole milliseconds even when the clock has fractions (a simulated one)", () => {
    const line = formatAttempt({ clientId: "42", seq: 1, attempt: 1, node: "n1", outcome: "write_ok", rule: "ok", action: "succeed", backoffMs: 0, tMs: 521.9801624707336 });
    expect(line).toBe("client_id=42 seq=1 attempt=1 node=n1 outcome=write_ok action=succeed backoff_ms=0 t_ms=522");
  });
});
