/**
 * The client-retry quest's hidden searches (grader/hidden/search.ts): the
 * workbook's retrying client in leader-change-3, 3 replicas of the
 * reference store (never the workbook's: the client is judged alone), a
 * leader crash mid-append. The reference client passes every one, with the
 * workbook's store left as its untouched stub; a client that gives a retry
 * a fresh seq, one that backs off before a redirect, one with no retry
 * limit and one that reports failed when the outcome is unknown are each
 * caught by their criterion's search, with a shortest trace, beside the
 * same stub.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { searchScenario } from "@dslab/sim";
import { CheckFailure, openWorkbook, REPOSITORY_ROOT, SOLUTION_DIR, type CheckContext, type Workbook, type WorkbookFile } from "../../../week-12/checks/index.js";
import { workbookRetryClient, workbookStore } from "../../../week-12/checks/search.js";
import { SEARCH_HIDDEN } from "../../hidden/search.js";
import { MUTANTS_DIR } from "./search-versus-seeds.js";

const outDir = mkdtempSync(path.join(tmpdir(), "lc3-client-"));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

const context = (workbook: Workbook): CheckContext => ({ workbook, seeds: undefined, outDir, progress: () => {} });
/** The student's workbook as it ships (every store file a stub) with this retrying client. */
const stubWorkbookWith = (client: string, label: string) => openWorkbook({ source: "workbook", overrides: { "src/retry-client.ts": client }, label });
const withClient = (name: string) => stubWorkbookWith(path.join(MUTANTS_DIR, `${name}.ts`), name);
const CLIENT_RETRY = "w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h";
const hiddenSearch = (n: number) => {
  const t = SEARCH_HIDDEN.find((h) => h.id === `hidden:${CLIENT_RETRY}#${n}:search`);
  if (t === undefined) throw new Error(`no hidden search for criterion ${n}`);
  return t;
};

/** The failure a hidden search throws for `workbook`, or undefined if it passes. */
async function failureOf(n: number, workbook: Workbook): Promise<CheckFailure | undefined> {
  try {
    await hiddenSearch(n).run(context(workbook));
    return undefined;
  } catch (e) {
    if (e instanceof CheckFailure) return e;
    throw e;
  }
}

describe("leader-change-3 with the workbook's retrying client", () => {
  test("the reference solution: every order is explored, every invariant of leader-change-3 holds, and each client-retry hidden search passes", async () => {
    const ctx = context(openWorkbook({ source: "solution" }));
    const r = searchScenario({ scenario: "leader-change-3", store: await workbookStore(ctx), client: await workbookRetryClient(ctx) });
    expect(r.end).toBe("space-exhausted");
    expect(r.violation).toBeUndefined();
    expect(r.unique).toBeGreaterThan(5_000);
    for (const n of [1, 2, 4, 5]) expect(await failureOf(n, ctx.workbook)).toBeUndefined();
  });

  test("the reference client beside the workbook's untouched store stub: the store cannot answer an append, and each client-retry hidden search passes (the replicas run the reference store), loading no store file", async () => {
    const workbook = stubWorkbookWith(path.join(SOLUTION_DIR, "src/retry-client.ts"), "stub-store");
    const Store = await workbookStore(context(workbook));
    expect(() => new Store({ sessionTimeoutMs: 1_000 }).handleRequest({ type: "append", key: "l", value: "c1:1", client_id: "c1", seq: 1 }, 0)).toThrow(/not implemented yet: handleRequest/);
    const loaded: string[] = [];
    const watched: Workbook = {
      ...workbook,
      import<T>(file: WorkbookFile): Promise<T> {
        loaded.push(file);
        return workbook.import<T>(file);
      },
    };
    for (const n of [1, 2, 4, 5]) {
      expect(await failureOf(n, watched), `#${n}`).toBeUndefined();
      expect(hiddenSearch(n).files).toEqual(["src/retry-client.ts"]);
    }
    expect([...new Set(loaded)]).toEqual(["src/retry-client.ts"]);
  });

  test(`${CLIENT_RETRY}#1 new-identity-per-retry: the hidden search finds the retry sent as seq 2 in a shortest trace of 2 events, with the command that replays it`, async () => {
    const f = await failureOf(1, withClient("new-identity-per-retry"));
    expect(f?.message).toMatch(/^the client sent operation 1 again as .*"seq":2\}, but its first attempt sent .*"seq":1\}/);
    expect(f?.message).toMatch(/a retry sent under a new seq is a new request/);
    expect(f?.message).toMatch(/\n {2}1\. timer c1: the attempt to n1 times out; c1: classify retry-other-node, waits \d+ ms, then n2\n {2}2\. timer c1: the backoff of \d+ ms ends; resends seq 2 to n2 \(retry 1\)\n/);
    expect(f?.message).toMatch(/replay: npm run kv-sim -- replay \S+search-trace-leader-change-3\.json --client \S+new-identity-per-retry\.ts$/);
    const trace = JSON.parse(readFileSync(path.join(outDir, "search-trace-leader-change-3.json"), "utf8")) as { events: unknown[]; violation: { invariant: string } };
    expect(trace.events).toHaveLength(2);
    expect(trace.violation.invariant).toBe("retry-keeps-identity");
    // #5's search sees the consequence: the retry under its fresh seq is applied a second time.
    expect((await failureOf(5, withClient("new-identity-per-retry")))?.message).toMatch(/its list is \["c1:1","c1:1"\]: an append applied twice/);
  });

  test(`${CLIENT_RETRY}#2 backoff-on-redirect: the hidden search finds a redirect answered with a backoff (here, given up as past maxRetries) in 4 events`, async () => {
    const f = await failureOf(2, withClient("backoff-on-redirect"));
    expect(f?.message).toMatch(/^n2 redirected operation 1 to the leader n1 \(redirect 1 of 2\), and the client answered \{"done"/);
    expect(f?.message).toMatch(/follow it at once, without a backoff/);
    expect(f?.message.match(/\n {2}\d+\. /g)).toHaveLength(4);
  });

  test(`${CLIENT_RETRY}#4 unbounded-retries: the hidden search finds a second retry past maxRetries 1 in 4 events`, async () => {
    const f = await failureOf(4, withClient("unbounded-retries"));
    expect(f?.message).toMatch(/^the client sent operation 1 \(seq 1\) a retry 2, past maxRetries 1/);
    expect(f?.message.match(/\n {2}\d+\. /g)).toHaveLength(4);
    expect(await failureOf(1, withClient("unbounded-retries"))).toBeUndefined();
  });

  test(`${CLIENT_RETRY}#5 failed-when-unknown: the hidden search finds a failed outcome for an append n1 applied, in 5 events`, async () => {
    const f = await failureOf(5, withClient("failed-when-unknown"));
    expect(f?.message).toMatch(/^the client reported operation 1 \("c1:1"\) failed, but n1 has applied it/);
    expect(f?.message.match(/\n {2}\d+\. /g)).toHaveLength(5);
  });

  test(`${CLIENT_RETRY}#1 a client that answers outside its contract (a wait with no node) fails the search check with what it returned`, async () => {
    const fixture = path.join(REPOSITORY_ROOT, "packages/sim/test/fixtures/search-clients/wait-without-node.ts");
    const f = await failureOf(1, stubWorkbookWith(fixture, "wait-without-node"));
    expect(f?.message).toMatch(/^src\/retry-client\.ts: onResult returned next = \{"wait":\d+\}: expected \{ send: node \}/);
  });
});
