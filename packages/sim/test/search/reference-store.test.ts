/**
 * The reference store (`ReferenceStore`): the cluster's own state machine
 * and session table behind the contract the search scenarios run. Its
 * replies are a `KvStateMachine`'s, request for request, though each one
 * is made by a fresh store restored from the last one's state (as the
 * search makes them); its state is plain, canonical data; it keeps every
 * invariant of dedup-single and of leader-change-3; and `kv-sim search`
 * and `kv-sim explore` with `--client FILE` run it in the replicas when no
 * store is chosen.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { describe, expect, onTestFinished, test } from "vitest";
import { KvStateMachine, NODE_DEFAULTS } from "@dslab/cluster/core";
import { ErrorCode } from "@dslab/protocol";
import { loadRetryClient, ReferenceStore, searchScenario, stableStringify, type ReferenceStoreState } from "../../src/search/index.js";
import { notPlainData } from "../../src/search/leader-change-3.js";
import type { AppendRequest, StoreReply } from "../../src/search/dedup-single.js";

const root = fileURLToPath(new URL("../../../../", import.meta.url));
const CLIENT = join(root, "grader/solutions/week-12/src/retry-client.ts");
const mutant = (name: string) => join(root, "grader/test/mutants", `${name}.ts`);
const bin = fileURLToPath(new URL("../../bin/kv-sim.js", import.meta.url));
const kvSim = (args: string[]) => execa(process.execPath, [bin, ...args], { reject: false, cwd: root, env: { FORCE_COLOR: "0" } });

const append = (client: string | undefined, seq: number | undefined, value: string): AppendRequest =>
  ({ type: "append", key: "l", value, ...(client === undefined ? {} : { client_id: client }), ...(seq === undefined ? {} : { seq }) }) as AppendRequest;

/** Requests at their entry times, and what the reference answers each: a reply type, or an error code. */
const SCRIPT: Array<{ request: AppendRequest; nowMs: number; answer: string | number; why: string }> = [
  { request: append("c1", 1, "a"), nowMs: 1_000, answer: "append_ok", why: "a new session at seq 1: applied" },
  { request: append("c1", 1, "a"), nowMs: 1_000, answer: "append_ok", why: "the same request again: answered from the session" },
  { request: append("c1", 1, "x"), nowMs: 1_000, answer: ErrorCode.SeqReused, why: "seq 1 again with another value" },
  { request: append("c1", 2, "b"), nowMs: 1_000, answer: "append_ok", why: "the next seq: applied" },
  { request: append("c1", 1, "a"), nowMs: 1_000, answer: ErrorCode.StaleRequest, why: "below the last seq" },
  { request: append("c2", 3, "c"), nowMs: 1_000, answer: ErrorCode.SessionUnknown, why: "no session, and seq above 1" },
  { request: append("c2", 1, "c"), nowMs: 1_000, answer: ErrorCode.SessionUnknown, why: "the unknown identity stays refused" },
  { request: append(undefined, undefined, "d"), nowMs: 1_000, answer: "append_ok", why: "no identity: applied, no session" },
  { request: append("c3", 1, "e"), nowMs: 5_000, answer: "append_ok", why: "c1 idle past the timeout: its session ends" },
  { request: append("c1", 2, "b"), nowMs: 5_000, answer: ErrorCode.ReplyUnavailable, why: "the ended session's last seq" },
  { request: append("c1", 3, "f"), nowMs: 5_000, answer: ErrorCode.SessionExpired, why: "above the ended session's last seq" },
];
const TIMEOUT_MS = 3_000;

describe("ReferenceStore: the reference cluster's state machine and sessions as a search store", () => {
  test("each reply is the one a KvStateMachine applying the same entries in order gives, with the reference's codes (1000, 1005, 1006, 1007, 1001)", () => {
    const machine = new KvStateMachine({ sessionTimeoutMs: TIMEOUT_MS, maxSessions: NODE_DEFAULTS.maxSessions, idempotencyTtlMs: NODE_DEFAULTS.idempotencyTtlMs, maxIdempotencyKeys: NODE_DEFAULTS.maxIdempotencyKeys, maxValueBytes: NODE_DEFAULTS.maxValueBytes });
    let state: ReferenceStoreState | undefined;
    for (const [i, step] of SCRIPT.entries()) {
      const store = new ReferenceStore({ sessionTimeoutMs: TIMEOUT_MS }, structuredClone(state));
      const reply = store.handleRequest(structuredClone(step.request), step.nowMs);
      state = structuredClone(store.state);
      expect(reply, `${i + 1}: ${step.why}`).toEqual(machine.apply({ kind: "client", ts: step.nowMs, request: step.request as never }, i + 1));
      expect(reply.type === "error" ? reply.code : reply.type, `${i + 1}: ${step.why}`).toBe(step.answer);
    }
    expect(state!.data.l).toEqual(["a", "b", "d", "e"]);
    expect(Object.keys(state!.tracker.sessions)).toEqual(["c3"]);
  });

  test("the state is plain data in the scenarios' shape (data.l, tracker.sessions), and a request answered from the session leaves it as it was", () => {
    const store = new ReferenceStore({ sessionTimeoutMs: 1e12 });
    const empty = stableStringify(store.state);
    const first: StoreReply = store.handleRequest(append("c1", 1, "c1:1"), 1_000);
    expect(first).toEqual({ type: "append_ok", value: ["c1:1"] });
    expect(notPlainData(store.state, "state")).toBeNull();
    expect(store.state.data).toEqual({ l: ["c1:1"] });
    expect(store.state.tracker.sessions.c1).toMatchObject({ lastSeq: 1, response: { type: "append_ok", value: ["c1:1"] } });
    const after = stableStringify(store.state);
    expect(after).not.toBe(empty);
    expect(store.handleRequest(append("c1", 1, "c1:1"), 1_000)).toEqual(first);
    expect(stableStringify(store.state)).toBe(after);
  });

  test.each([
    { clients: 1, appends: 4 },
    { clients: 2, appends: 1 },
    { clients: 2, appends: 2 },
  ])("dedup-single, $clients client(s) x $appends appends with a retry, a lost message and a duplicate: every order explored, no invariant broken", (shape) => {
    const r = searchScenario({ scenario: "dedup-single", store: ReferenceStore, ...shape, maxRetries: 1, maxDrops: 1, maxDuplicates: 1 });
    expect(r.end).toBe("space-exhausted");
    expect(r.violation).toBeUndefined();
  });

  test("leader-change-3 with the reference retrying client in 3 replicas of the reference store: every order explored, no invariant broken", async () => {
    const r = searchScenario({ scenario: "leader-change-3", store: ReferenceStore, client: await loadRetryClient(CLIENT) });
    expect(r.end).toBe("space-exhausted");
    expect(r.violation).toBeUndefined();
    expect(r.unique).toBeGreaterThan(5_000);
  });
});

describe("kv-sim search and explore --scenario leader-change-3 --client FILE with no store chosen: the replicas run the reference store", () => {
  test("a known-bad client is caught (exit 1) whatever the workbook's store is; the replay line names --client alone and replays it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "lc3-ref-"));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const trace = join(dir, "t.json");
    const bad = await kvSim(["search", "--scenario", "leader-change-3", "--client", mutant("new-identity-per-retry"), "--invariant", "appends-at-most-once", "--trace", trace]);
    expect(bad.exitCode, bad.stderr).toBe(1);
    expect(bad.stdout).toMatch(/violated: appends-at-most-once: .*\["c1:1","c1:1"\]/);
    expect(bad.stdout).toMatch(/\nreplay: npm run kv-sim -- replay \S+t\.json --client \S+new-identity-per-retry\.ts$/m);
    const again = await kvSim(["replay", trace, "--client", mutant("new-identity-per-retry")]);
    expect(again.exitCode, again.stderr).toBe(1);
    const help = await kvSim(["search", "--help"]);
    expect(help.stdout).toMatch(/--client FILE with no --store, --workbook or --solution: the client against the reference store/);
  });

  test("kv-sim explore with --client alone blames the client for an initial state it cannot give (the workbook's stub client): exit 2 naming --client", async () => {
    const stub = join(root, "week-12/src/retry-client.ts");
    const r = await kvSim(["explore", "--scenario", "leader-change-3", "--client", stub, "--no-open"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.split("\n")[0]).toBe(`kv-sim: --client: ${stub}: the scenario's initial state threw NotImplementedError: not implemented yet: newClient`);
  });
});
