/**
 * The leader-change-3 scenario: the workbook's store as the state machine
 * of 3 replicas, the leader crashing while the client's append is in
 * flight, the client retrying (lessons w11-l04 and the dedup-store quest:
 * sessions in the replicated state).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { describe, expect, onTestFinished, test } from "vitest";
import { loadRetryClient, loadStore, replayTrace, scenarioModel, searchScenario, type DedupStoreClass, type RetryClientLike } from "../../src/search/index.js";
import { STORE_SOLUTION, withTracker } from "./tracker-store.js";

const root = fileURLToPath(new URL("../../../../", import.meta.url));
const CLIENT = join(root, "grader/solutions/week-12/src/retry-client.ts");
const mutant = (name: string) => join(root, "grader/test/mutants", `${name}.ts`);
const bin = fileURLToPath(new URL("../../bin/kv-sim.js", import.meta.url));
const kvSim = (args: string[]) => execa(process.execPath, [bin, ...args], { reject: false, cwd: root, env: { FORCE_COLOR: "0" } });

describe("leader-change-3: a retrying client across a leader change", () => {
  test("the reference store: every order of one append, a retry, a duplicate and a leader crash keeps every invariant, and the client can finish", async () => {
    const store = await loadStore(STORE_SOLUTION);
    const r = searchScenario({ scenario: "leader-change-3", store });
    expect(r.end).toBe("space-exhausted");
    expect(r.violation).toBeUndefined();
    expect(r.unique).toBeGreaterThan(1_000);
    const goal = searchScenario({ scenario: "leader-change-3", store, goal: ["clients-done"] });
    expect(goal.end).toBe("goal-found");
  });

  test("the append crosses the leader change: n1 commits it and crashes before its reply leaves, the retry to n2 is answered from the session n2 replicated, and the list holds it once", async () => {
    const store = await loadStore(STORE_SOLUTION);
    const model = scenarioModel("leader-change-3", { store });
    let s = model.initial();
    const take = (pattern: RegExp) => {
      const e = model.events(s).find((x) => pattern.test(model.describe(x, s, model.step(s, x))));
      expect(e, String(pattern)).toBeDefined();
      s = model.step(s, e!);
    };
    take(/^deliver +c1->n1 append "c1:1"/);
    take(/^replicate n1->n2: log of 1 entry, commit 1/);
    take(/^crash the leader n1; n2 is elected leader of term 2/);
    take(/^timer c1: resends seq 1 to n2/);
    take(/^deliver +c1->n2 append "c1:1"/);
    take(/^replicate n2->n3: log of 3 entries, commit 3/);
    take(/^deliver +n2->c1 reply to seq 1: append_ok \["c1:1"\]/);
    const world = s as { client: { outcomes: string }; replicas: Array<{ id: string; server: { data: { l: string[] } } }>; broken?: unknown };
    expect(world.client.outcomes).toBe("a");
    expect(world.replicas.find((r) => r.id === "n2")!.server.data.l).toEqual(["c1:1"]);
    expect(world.broken).toBeUndefined();
  });

  test("a tracker that keeps its table outside the replicated state (dedup-only-on-leader) applies a duplicate twice", async () => {
    const store = await withTracker(mutant("dedup-only-on-leader"));
    const r = searchScenario({ scenario: "leader-change-3", store });
    expect(r.violation?.invariant).toBe("appends-at-most-once");
    expect(r.violation?.message).toMatch(/applied entry 2 \(seq 1\) and its list is \["c1:1","c1:1"\]/);
  });

  test("stale-rewinds-last-seq: with two appends, a late copy rewinds the session and a replica applies seq 2 twice", async () => {
    const store = await loadStore(mutant("stale-rewinds-last-seq"));
    const r = searchScenario({ scenario: "leader-change-3", store, appends: 2 });
    expect(r.violation?.invariant).toBe("appends-at-most-once");
    expect(r.violation?.message).toMatch(/"c1:2","c1:2"/);
  });
});

describe("leader-change-3 with the workbook's retrying client (the client-retry quest: identity, retry limit, honest outcome)", () => {
  const pieces = async (client = CLIENT) => ({ store: await loadStore(STORE_SOLUTION), client: await loadRetryClient(client) });

  test("the reference client and store: every order is explored with no violation, and the client can finish", async () => {
    const p = await pieces();
    const r = searchScenario({ scenario: "leader-change-3", ...p });
    expect(r.end).toBe("space-exhausted");
    expect(r.violation).toBeUndefined();
    expect(r.unique).toBeGreaterThan(1_000);
    const goal = searchScenario({ scenario: "leader-change-3", ...p, goal: ["clients-done"] });
    expect(goal.end).toBe("goal-found");
  });

  test("the world holds the client's own states, plain data: newClient's client_id on every attempt, onResult's counters, the backoff it chose", async () => {
    const p = await pieces();
    const model = scenarioModel("leader-change-3", p);
    let s = model.initial();
    const take = (pattern: RegExp) => {
      const e = model.events(s).find((x) => pattern.test(model.describe(x, s, model.step(s, x))));
      expect(e, String(pattern)).toBeDefined();
      s = model.step(s, e!);
    };
    take(/^deliver +c1->n1 append "c1:1" \(seq 1\)/);
    take(/^replicate n1->n2: log of 1 entry, commit 1/);
    take(/^crash the leader n1; n2 is elected leader of term 2/);
    take(/^timer c1: the attempt to n1 times out; c1: classify retry-other-node, waits \d+ ms, then n2$/);
    take(/^timer c1: the backoff of \d+ ms ends; resends seq 1 to n2 \(retry 1\)/);
    take(/^deliver +c1->n2 append "c1:1" \(seq 1\)/);
    take(/^replicate n2->n3: log of 3 entries, commit 3/);
    take(/^deliver +n2->c1 reply to seq 1: append_ok \["c1:1"\]; c1: classify terminal, seq 1 settles ok$/);
    const world = s as { retry: { client: { clientId: string; nextSeq: number }; operation: null; outcomes: string }; replicas: Array<{ id: string; server: { data: { l: string[] } } }>; broken?: unknown };
    expect(world.retry.outcomes).toBe("a");
    expect(world.retry.client.clientId).toMatch(/^\d{20,}$/);
    expect(world.retry.client.nextSeq).toBe(2);
    expect(JSON.parse(JSON.stringify(world.retry))).toEqual(world.retry);
    expect(world.replicas.find((r) => r.id === "n2")!.server.data.l).toEqual(["c1:1"]);
    expect(world.broken).toBeUndefined();
  });

  test("new-identity-per-retry: the first retry carries seq 2 (retry-keeps-identity, 2 events), and the cluster applies the append twice (appends-at-most-once, 7 events)", async () => {
    const p = await pieces(mutant("new-identity-per-retry"));
    const r = searchScenario({ scenario: "leader-change-3", ...p });
    expect(r.violation?.invariant).toBe("retry-keeps-identity");
    expect(r.violation?.message).toMatch(/"seq":2\}, but its first attempt sent .*"seq":1\}/);
    expect(r.trace).toHaveLength(2);
    const twice = searchScenario({ scenario: "leader-change-3", ...p, invariants: ["appends-at-most-once"] });
    expect(twice.violation?.message).toMatch(/applied entry 3 \(seq 2\) and its list is \["c1:1","c1:1"\]/);
    expect(twice.trace).toHaveLength(7);
    const replay = replayTrace(twice.traceFile!, p);
    expect(replay.violation?.invariant).toBe("appends-at-most-once");
    expect(replayTrace(twice.traceFile!, await pieces()).violation).toBeUndefined();
  });

  test("unbounded-retries: a second retry past maxRetries 1 breaks retries-bounded in 4 events, and the search still ends", async () => {
    const p = await pieces(mutant("unbounded-retries"));
    const r = searchScenario({ scenario: "leader-change-3", ...p });
    expect(r.violation?.invariant).toBe("retries-bounded");
    expect(r.violation?.message).toMatch(/a retry 2, past maxRetries 1/);
    expect(r.trace).toHaveLength(4);
    const rest = searchScenario({ scenario: "leader-change-3", ...p, invariants: ["appends-at-most-once"] });
    expect(rest.end).toBe("space-exhausted");
  });

  test("failed-when-unknown: the client reports failed for an append n1 applied before its attempts timed out (outcome-honest)", async () => {
    const p = await pieces(mutant("failed-when-unknown"));
    const r = searchScenario({ scenario: "leader-change-3", ...p });
    expect(r.violation?.invariant).toBe("outcome-honest");
    expect(r.violation?.message).toMatch(/reported operation 1 \("c1:1"\) failed, but n1 has applied it/);
    expect(r.trace).toHaveLength(5);
  });

  test("backoff-on-redirect: a redirect to n1 counted as a retry past maxRetries, and the operation given up, breaks redirect-at-once in 4 events", async () => {
    const p = await pieces(mutant("backoff-on-redirect"));
    const r = searchScenario({ scenario: "leader-change-3", ...p });
    expect(r.violation?.invariant).toBe("redirect-at-once");
    expect(r.violation?.message).toMatch(/^n2 redirected operation 1 to the leader n1 \(redirect 1 of 2\), and the client answered \{"done":\{"outcome":"unknown"/);
    expect(r.trace).toHaveLength(4);
  });

  test("a client whose state is not plain data is refused with where it is not", async () => {
    const good = await loadRetryClient(CLIENT);
    const withMap: RetryClientLike = { ...good, newClient: (nodes, prng) => ({ ...(good.newClient(nodes, prng) as object), tried: new Map() }) };
    const store = await loadStore(STORE_SOLUTION);
    expect(() => searchScenario({ scenario: "leader-change-3", store, client: withMap })).toThrow(/newClient's client is not plain data \(newClient's client.tried is a Map\)/);
  });
});

describe("kv-sim search and replay: leader-change-3 takes the retrying client from the workbook or --client FILE", () => {
  test("--solution --client a known-bad client: exit 1 with a shortest trace; the replay line names --client, and replaying with the reference client holds", async () => {
    const dir = await mkdtemp(join(tmpdir(), "lc3-cli-"));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const trace = join(dir, "t.json");
    const bad = await kvSim(["search", "--scenario", "leader-change-3", "--solution", "--client", mutant("new-identity-per-retry"), "--invariant", "appends-at-most-once", "--trace", trace]);
    expect(bad.exitCode, bad.stderr).toBe(1);
    expect(bad.stdout).toMatch(/violated: appends-at-most-once: .*\["c1:1","c1:1"\]/);
    expect(bad.stdout).toMatch(/trace \(7 events\):/);
    expect(bad.stdout).toMatch(/replay: npm run kv-sim -- replay \S+t\.json --store \S+dedup-kv-store\.ts --client \S+new-identity-per-retry\.ts/);
    const again = await kvSim(["replay", trace, "--solution", "--client", mutant("new-identity-per-retry")]);
    expect(again.exitCode).toBe(1);
    const fixed = await kvSim(["replay", trace, "--solution"]);
    expect(fixed.exitCode).toBe(0);
    expect(fixed.stdout).toMatch(/is not possible with these pieces/);
    const ok = await kvSim(["search", "--scenario", "leader-change-3", "--solution"]);
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/end: space exhausted/);
  });

  test("--client on a scenario without a client, a client that answers outside its contract, and a file without the client's functions are usage errors (exit 2)", async () => {
    const wrong = await kvSim(["search", "--scenario", "dedup-single", "--solution", "--client", CLIENT]);
    expect(wrong.exitCode).toBe(2);
    expect(wrong.stderr).toMatch(/--client: dedup-single runs no retrying client/);
    const broken = await kvSim(["search", "--scenario", "leader-change-3", "--solution", "--client", join(root, "packages/sim/test/fixtures/search-clients/wait-without-node.ts")]);
    expect(broken.exitCode).toBe(2);
    expect(broken.stderr).toMatch(/^kv-sim: --client: packages\/sim\/test\/fixtures\/search-clients\/wait-without-node\.ts: onResult returned next = \{"wait":\d+\}: expected \{ send: node \}, \{ wait: ms, then: node \}/);
    const notClient = await kvSim(["search", "--scenario", "leader-change-3", "--solution", "--client", STORE_SOLUTION]);
    expect(notClient.exitCode).toBe(2);
    expect(notClient.stderr).toMatch(/--client: cannot load \S+dedup-kv-store\.ts: .* exports no newClient, newOperation, onResult, classify, afterOperation/);
  });
});

describe("leader-change-3: sessions-bounded counts its sessions in the singular for one", () => {
  test("with --sessions-max 0, the first session a replica holds: \"holds 1 session, more than 0\"", async () => {
    const store = await loadStore(STORE_SOLUTION);
    const r = searchScenario({ scenario: "leader-change-3", store, sessionsMax: 0 });
    expect(r.violation?.invariant).toBe("sessions-bounded");
    expect(r.violation?.message).toMatch(/^n\d holds 1 session, more than 0 for one client$/);
  });
});
