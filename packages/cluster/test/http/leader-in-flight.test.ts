/**
 * A retry while the first request is still in flight is rejected (409). The
 * front refuses a key it is itself processing (the second test, with the
 * first request held uncommitted); once the front has given up on a request (504,
 * outcome unknown) while its entry is still uncommitted in the leader's log,
 * a retry reaches the leader, which refuses it with error 1004, and the front
 * answers 409 with Retry-After. Real HTTP (fetch) against a real front on the
 * leader of a real 3-node cluster of runtimes in this process, wired by a
 * network the test can make drop every append that carries entries (the
 * followers still get heartbeats, so the leader keeps its leadership).
 */
import { createPrng, type Message } from "@dslab/protocol";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startHttpFront, type HttpFront } from "../../src/http/index.js";
import { createKvNodeCore } from "../../src/node/core.js";
import { KvNodeRuntime } from "../../src/runtime/node-runtime.js";
import { MemoryStorage } from "../../src/storage/index.js";

const IDS = ["n1", "n2", "n3"];
const REQUEST_TIMEOUT_MS = 500;
const runtimes = new Map<string, KvNodeRuntime>();
/** While on, appends that carry entries are lost: nothing new can commit. */
let dropEntries = false;
let leader: KvNodeRuntime;
let front: HttpFront;

function deliver(m: Message): void {
  const entries = (m.body as { entries?: unknown[] }).entries;
  if (dropEntries && m.body.type === "raft_append" && Array.isArray(entries) && entries.length > 0) return;
  setImmediate(() => runtimes.get(m.dest)?.deliver(m));
}

beforeAll(async () => {
  for (const id of IDS) {
    const storage = new MemoryStorage();
    const core = createKvNodeCore({ id, nodeIds: IDS, prng: createPrng(`leader-in-flight-${id}`) }, await storage.load());
    runtimes.set(id, new KvNodeRuntime({ core, storage, send: deliver, log: () => {} }));
  }
  for (const r of runtimes.values()) r.start();
  const deadline = Date.now() + 10_000;
  let found: KvNodeRuntime | undefined;
  while (!found && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    const leaders = [...runtimes.values()].filter((r) => r.status().role === "leader");
    if (leaders.length === 1) found = leaders[0];
  }
  if (!found) throw new Error("no leader within 10 s");
  leader = found;
  front = await startHttpFront({ runtime: leader, port: 0, requestTimeoutMs: REQUEST_TIMEOUT_MS });
}, 30_000);

afterAll(async () => {
  await front?.close();
  for (const r of runtimes.values()) await r.close();
});

async function post(body: unknown, idempotencyKey: string) {
  const res = await fetch(`http://127.0.0.1:${front.port}/kv/orders/append`, {
    method: "POST",
    headers: { "content-type": "application/json", "Idempotency-Key": idempotencyKey },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, headers: res.headers, json: (await res.json()) as any };
}

describe("HTTP front: the leader refuses a retry whose first request is still in its log", () => {
  test("after a 504, a retry while the entry is uncommitted gets 409 (error 1004) with Retry-After, and once it commits, a replay", async () => {
    dropEntries = true;
    // The first request's entry cannot reach a majority: the front gives up, outcome unknown.
    const first = await post({ value: "o-1" }, "pay-1");
    expect(first.status).toBe(504);
    expect(leader.status().lastLogIndex).toBeGreaterThan(leader.status().commitIndex);

    // The retry is not this front's in-flight request any more; the leader refuses it.
    const refused = await post({ value: "o-1" }, "pay-1");
    expect(leader.status().role).toBe("leader");
    expect(refused.status).toBe(409);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(refused.json.error).toMatchObject({ code: 1004, name: "idempotency-key-in-flight", definite: true });

    // The network heals, the entry commits once, and a retry replays its result.
    dropEntries = false;
    await expect.poll(() => leader.status().commitIndex, { timeout: 10_000 }).toBe(leader.status().lastLogIndex);
    const replay = await post({ value: "o-1" }, "pay-1");
    expect(replay.status).toBe(200);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.json).toEqual({ value: ["o-1"] });
    const read = await fetch(`http://127.0.0.1:${front.port}/kv/orders`, { signal: AbortSignal.timeout(10_000) });
    expect(await read.json()).toEqual({ value: ["o-1"] });
  }, 30_000);

  test("a retry while this front still processes the first request gets 409 from the front itself, not executed", async () => {
    dropEntries = true;
    const firstDone = post({ value: "r-1" }, "refund-1");
    // The first request's entry is in the leader's log and cannot commit: the front is waiting for it.
    const appended = leader.status().lastLogIndex;
    await expect.poll(() => leader.status().lastLogIndex, { timeout: 10_000 }).toBeGreaterThan(appended);
    const retry = await post({ value: "r-1" }, "refund-1");
    expect(retry.status).toBe(409);
    expect(retry.headers.get("retry-after")).toBe("1");
    expect(retry.json.error.message).toMatch(/still being processed/);
    const reused = await post({ value: "r-2" }, "refund-1");
    expect(reused.status).toBe(422);
    dropEntries = false;
    expect([200, 504]).toContain((await firstDone).status); // answered, or given up on: the outcome is the entry's
    await expect.poll(() => leader.status().commitIndex, { timeout: 10_000 }).toBe(leader.status().lastLogIndex);
    const read = await fetch(`http://127.0.0.1:${front.port}/kv/orders`, { signal: AbortSignal.timeout(10_000) });
    expect(await read.json()).toEqual({ value: ["o-1", "r-1"] }); // the first request once; neither the 409 nor the 422 applied
  }, 30_000);
});
