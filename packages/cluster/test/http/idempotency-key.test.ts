/**
 * HTTP front with Idempotency-Key: each rule with a real HTTP
 * client (fetch) against a real 3-node cluster, including failover between
 * the first request and its retry.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { ProcessCluster } from "../../src/testing/processes.js";
import { startHttpCluster } from "./http-cluster.js";

let cluster: ProcessCluster;
let leaderUrl: string;
let uniq = 0;
const key = (name: string) => `${name}-${Date.now()}-${uniq++}`;

async function call(
  url: string,
  init: { method?: string; body?: unknown; idempotencyKey?: string; headers?: Record<string, string>; redirect?: "follow" | "manual" } = {},
) {
  const headers: Record<string, string> = { "content-type": "application/json", ...init.headers };
  if (init.idempotencyKey !== undefined) headers["Idempotency-Key"] = init.idempotencyKey;
  const res = await fetch(url, {
    method: init.method ?? "GET",
    headers,
    body: init.body === undefined ? undefined : typeof init.body === "string" ? init.body : JSON.stringify(init.body),
    redirect: init.redirect ?? "follow",
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: text ? (JSON.parse(text) as any) : undefined };
}

beforeAll(async () => {
  const started = await startHttpCluster(3);
  cluster = started.cluster;
  leaderUrl = cluster.url(started.leader);
}, 30_000);

afterAll(async () => {
  await cluster?.stop();
});

describe("HTTP front: Idempotency-Key rules against a real cluster", () => {
  test("the first request with a key executes once; a retry replays the same status and body, marked Idempotent-Replayed", async () => {
    const k = key("once");
    const url = `${leaderUrl}/kv/${k}/append`;
    const first = await call(url, { method: "POST", body: { value: "a" }, idempotencyKey: "idem-" + k });
    expect(first.status).toBe(200);
    expect(first.json).toEqual({ value: ["a"] });
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    // Same request, different JSON spacing: still the same request.
    const retry = await call(url, { method: "POST", body: '{ "value" : "a" }', idempotencyKey: "idem-" + k });
    expect(retry.status).toBe(200);
    expect(retry.text).toBe(first.text);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect((await call(`${leaderUrl}/kv/${k}`)).json).toEqual({ value: ["a"] });
  }, 30_000);

  test("a stored error is replayed too: same status and body", async () => {
    const k = key("cas-miss");
    const url = `${leaderUrl}/kv/${k}/cas`;
    const first = await call(url, { method: "POST", body: { from: 1, to: 2 }, idempotencyKey: "idem-" + k });
    expect(first.status).toBe(404);
    const retry = await call(url, { method: "POST", body: { from: 1, to: 2 }, idempotencyKey: "idem-" + k });
    expect([retry.status, retry.text]).toEqual([404, first.text]);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
  }, 30_000);

  test("the same key with a different request is rejected with 422 and nothing is applied", async () => {
    const k = key("reuse");
    const idem = "idem-" + k;
    expect((await call(`${leaderUrl}/kv/${k}/append`, { method: "POST", body: { value: 1 }, idempotencyKey: idem })).status).toBe(200);
    const otherBody = await call(`${leaderUrl}/kv/${k}/append`, { method: "POST", body: { value: 2 }, idempotencyKey: idem });
    expect(otherBody.status).toBe(422);
    expect(otherBody.json.error.name).toBe("idempotency-key-reused");
    const otherPath = await call(`${leaderUrl}/kv/${k}/incr`, { method: "POST", body: { delta: 1 }, idempotencyKey: idem });
    expect(otherPath.status).toBe(422);
    expect((await call(`${leaderUrl}/kv/${k}`)).json).toEqual({ value: [1] });
  }, 30_000);

  test("copies of one request sent at once execute once: each other copy is a 409 (still in flight) or a replay", async () => {
    const k = key("inflight");
    const idem = "idem-" + k;
    const send = () => call(`${leaderUrl}/kv/${k}/append`, { method: "POST", body: { value: "x" }, idempotencyKey: idem });
    const results = await Promise.all([send(), send(), send()]);
    // Which copies find the first in flight depends on timing; a 409 with the first held in flight is in leader-in-flight.test.ts.
    expect(results.filter((r) => r.status === 200 && r.headers.get("idempotent-replayed") === null)).toHaveLength(1);
    for (const r of results) expect([200, 409]).toContain(r.status);
    for (const r of results.filter((r) => r.status === 409)) expect(r.headers.get("retry-after")).toBe("1");
    expect((await call(`${leaderUrl}/kv/${k}`)).json).toEqual({ value: ["x"] });
  }, 30_000);

  test("a POST without an Idempotency-Key is rejected with 400; PUT, DELETE and GET need none", async () => {
    const k = key("nokey");
    const post = await call(`${leaderUrl}/kv/${k}/incr`, { method: "POST", body: { delta: 1 } });
    expect(post.status).toBe(400);
    expect(post.json.error.name).toBe("idempotency-key-missing");
    expect((await call(`${leaderUrl}/kv/${k}`, { method: "PUT", body: { value: 5 } })).status).toBe(200);
    expect((await call(`${leaderUrl}/kv/${k}`)).json).toEqual({ value: 5 });
    expect((await call(`${leaderUrl}/kv/${k}`, { method: "DELETE" })).status).toBe(200);
    expect((await call(`${leaderUrl}/kv/${k}`)).status).toBe(404);
  }, 30_000);

  test("a PUT retried with its key is replayed, not re-applied over a later write", async () => {
    const k = key("put");
    const idem = "idem-" + k;
    expect((await call(`${leaderUrl}/kv/${k}`, { method: "PUT", body: { value: 1 }, idempotencyKey: idem })).status).toBe(200);
    await call(`${leaderUrl}/kv/${k}`, { method: "PUT", body: { value: 2 } });
    const late = await call(`${leaderUrl}/kv/${k}`, { method: "PUT", body: { value: 1 }, idempotencyKey: idem });
    expect(late.headers.get("idempotent-replayed")).toBe("true");
    expect((await call(`${leaderUrl}/kv/${k}`)).json).toEqual({ value: 2 });
  }, 30_000);

  test("a follower redirects with 307 to the leader's HTTP URL, and fetch follows it with the key", async () => {
    const leader = await cluster.waitForLeader();
    const follower = cluster.ids.find((id) => id !== leader) as string;
    const k = key("redirect");
    const manual = await call(`${cluster.url(follower)}/kv/${k}/append`, {
      method: "POST",
      body: { value: 1 },
      idempotencyKey: "idem-" + k,
      redirect: "manual",
    });
    expect(manual.status).toBe(307);
    expect(manual.headers.get("location")).toBe(`${cluster.url(leader)}/kv/${k}/append`);
    const followed = await call(`${cluster.url(follower)}/kv/${k}/append`, { method: "POST", body: { value: 1 }, idempotencyKey: "idem-" + k });
    expect(followed.status).toBe(200);
    expect(followed.json).toEqual({ value: [1] });
  }, 30_000);

  test("a follower refuses a request with a query string (400 bad-query) rather than redirecting it, and nothing is applied", async () => {
    const leader = await cluster.waitForLeader();
    const follower = cluster.ids.find((id) => id !== leader) as string;
    const k = key("query");
    const read = await call(`${cluster.url(follower)}/kv/${k}?consistent=false`, { redirect: "manual" });
    expect(read.status).toBe(400);
    expect(read.headers.get("location")).toBeNull();
    expect(read.json.error).toMatchObject({ code: "bad-query", definite: true, message: expect.stringContaining('"?consistent=false"') });
    const append = await call(`${cluster.url(follower)}/kv/${k}/append?ttl=5`, { method: "POST", body: { value: 1 }, idempotencyKey: "idem-" + k, redirect: "manual" });
    expect(append.status).toBe(400);
    expect(append.headers.get("location")).toBeNull();
    expect(append.json.error.code).toBe("bad-query");
    expect((await call(`${cluster.url(leader)}/kv/${k}`)).status).toBe(404);
  }, 30_000);

  test("errors map to statuses: 404 missing key, 409 cas mismatch, 412 If-Match mismatch, 400 bad JSON, 405 wrong method", async () => {
    const k = key("errors");
    expect((await call(`${leaderUrl}/kv/${k}`)).status).toBe(404);
    await call(`${leaderUrl}/kv/${k}`, { method: "PUT", body: { value: 1 } });
    expect((await call(`${leaderUrl}/kv/${k}/cas`, { method: "POST", body: { from: 7, to: 8 }, idempotencyKey: "c-" + k })).status).toBe(409);
    expect((await call(`${leaderUrl}/kv/${k}`, { method: "PUT", body: { value: 9 }, headers: { "If-Match": "7" } })).status).toBe(412);
    expect((await call(`${leaderUrl}/kv/${k}`, { method: "PUT", body: { value: 9 }, headers: { "If-Match": "1" } })).status).toBe(200);
    expect((await call(`${leaderUrl}/kv/${k}`, { method: "PUT", body: "{not json" })).status).toBe(400);
    const wrong = await call(`${leaderUrl}/kv/${k}/append`, { method: "GET" });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("POST");
  }, 30_000);

  // Last: it kills the leader.
  test("failover between the first request and its retry: the retry is replayed by the new leader, applied once", async () => {
    const leader = await cluster.waitForLeader();
    const k = key("failover");
    const idem = "idem-" + k;
    const body = { value: "once" };
    const first = await call(`${cluster.url(leader)}/kv/${k}/append`, { method: "POST", body, idempotencyKey: idem });
    expect(first.status).toBe(200);
    await cluster.kill(leader);

    const survivor = cluster.ids.find((id) => id !== leader) as string;
    const deadline = Date.now() + 15_000;
    let retry: Awaited<ReturnType<typeof call>> | undefined;
    while (Date.now() < deadline) {
      // A front may still redirect to the dead leader, or answer 503 during the election: retry like a client would.
      retry = await call(`${cluster.url(survivor)}/kv/${k}/append`, { method: "POST", body, idempotencyKey: idem }).catch(() => undefined);
      if (retry?.status === 200) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(retry?.status).toBe(200);
    expect(retry?.text).toBe(first.text);
    expect(retry?.headers.get("idempotent-replayed")).toBe("true");
    const read = await call(`${cluster.url(survivor)}/kv/${k}`);
    expect(read.json).toEqual({ value: ["once"] });
  }, 40_000);
});
