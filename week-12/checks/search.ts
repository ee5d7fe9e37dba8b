/**
 * Search checks: the workbook's pieces in the model checker's scenarios
 * (`kv-sim search`), every order of deliveries, retries, lost messages,
 * duplicates and timers explored, the invariants checked in every state.
 * Random fault runs meet an old copy of a request delivered three
 * operations late, or two elections whose messages cross, only by luck; the
 * search meets every such order within its bounds.
 *
 * - w11-l04#1: the workbook's DedupKVStore, with the workbook's
 *   ClientTracker inside it, in `dedup-single` (appends at most once,
 *   appends linearizable, results ok).
 * - vote rules #5: the workbook's observeTerm and decide in `vote-rules-3`
 *   (one leader per term, committed entries kept, the rules' contract), and
 *   the same with the network off (nothing is decided).
 *
 * - (hidden) the client-retry quest: the workbook's retrying client in
 *   `leader-change-3`, the reference store (`ReferenceStore`: the
 *   cluster's own state machine and sessions) in the replicas, so the
 *   client is judged alone, whatever state the store lesson is in: every
 *   retry keeps its identity, a redirect is followed at once, the client
 *   stops by its own maxRetries, an outcome it reports is true
 *   (`searchClientLeaderChangeShapes`).
 *
 * `npm run check` decides one criterion with one check, so a search check
 * joins the check its criterion already has (`withSearchChecks`): the
 * criterion's own check runs first, then the search. Each search has a time
 * limit; a search that reaches it passes on what it saw.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { ReferenceStore, searchScenario, type DedupStoreClass, type RetryClientLike, type SearchReport } from "@dslab/sim";
import type { VoteDecision, VoteRequest, VoterState, TermState } from "@dslab/cluster/core";
import { criterion, LESSON } from "./lessons.js";
import { CheckFailure, type CheckContext, type CriterionCheck, type WorkbookFile } from "./types.js";
import { REPOSITORY_ROOT } from "./workbook.js";

/** The dedup-single shapes searched: each is exhausted in about a second or less on the reference store. */
export const SEARCH_SHAPES = [
  { clients: 1, appends: 4, maxRetries: 1, maxDrops: 1, maxDuplicates: 1 },
  { clients: 2, appends: 1, maxRetries: 1, maxDrops: 1, maxDuplicates: 1 },
  { clients: 2, appends: 2, maxRetries: 1, maxDrops: 1, maxDuplicates: 1 },
] as const;

/** The vote-rules-3 shapes searched (exhausted in a second or two with the reference rules). */
export const VOTE_SEARCH_SHAPES = [
  { maxTerm: 3, maxElections: 2, maxDuplicates: 1, network: 1 },
  { maxTerm: 3, maxElections: 3, maxDuplicates: 0, network: 0 },
] as const;

/** Seconds each search may take before it stops without a verdict (the check then passes on what it saw). */
export const SEARCH_TIME_S = 4;

type TrackerClass = new (options: { sessionTimeoutMs: number }, state: unknown) => unknown;

/** The workbook's DedupKVStore with the workbook's ClientTracker in it (as the store's own import gives it, and as a replaced tracker file must). */
export async function workbookStore(ctx: CheckContext): Promise<DedupStoreClass> {
  const { DedupKVStore } = await ctx.workbook.import<{ DedupKVStore: DedupStoreClass }>("src/dedup-kv-store.ts");
  const { ClientTracker } = await ctx.workbook.import<{ ClientTracker?: TrackerClass }>("src/client-tracker.ts");
  if (typeof ClientTracker !== "function") return DedupKVStore;
  const Base = DedupKVStore as unknown as new (options: { sessionTimeoutMs: number }, state?: never) => { state: { tracker?: unknown }; tracker?: unknown };
  class WithTracker extends Base {
    constructor(options: { sessionTimeoutMs: number }, state?: never) {
      super(options, state);
      if (this.state?.tracker !== undefined) this.tracker = new ClientTracker!({ sessionTimeoutMs: options.sessionTimeoutMs }, this.state.tracker);
    }
  }
  return WithTracker as unknown as DedupStoreClass;
}

type StoreShape = { clients: number; appends: number; maxRetries: number; maxDrops: number; maxDuplicates: number };
type VoteShape = { maxTerm: number; maxElections: number; maxDuplicates: number; network: number };

/** The workbook's store in dedup-single, shape by shape; the first violation fails with its shortest trace. */
export async function searchStoreShapes(ctx: CheckContext, shapes: readonly StoreShape[], timeS: number): Promise<void> {
  const store = await workbookStore(ctx);
  for (const shape of shapes) {
    const report = searchScenario({ scenario: "dedup-single", store, ...shape, maxTimeS: timeS });
    if (report.violation) throw failure(ctx, report, storeShapeText(shape), "src/dedup-kv-store.ts");
  }
}

type LeaderChangeShape = { appends: number; maxRetries: number; leaderChanges: number; maxDuplicates: number; sessionsMax: number };

/** The workbook's store (with its tracker) as the state machine of leader-change-3, shape by shape. */
export async function searchLeaderChangeShapes(ctx: CheckContext, shapes: readonly LeaderChangeShape[], timeS: number): Promise<void> {
  const store = await workbookStore(ctx);
  for (const shape of shapes) {
    const report = searchScenario({ scenario: "leader-change-3", store, ...shape, maxTimeS: timeS });
    if (report.violation) {
      throw failure(ctx, report, `3 replicas, ${shape.appends} append${shape.appends > 1 ? "s" : ""} with retries and a duplicate across ${shape.leaderChanges} leader change${shape.leaderChanges > 1 ? "s" : ""}`, "src/dedup-kv-store.ts");
    }
  }
}

/** The invariants of leader-change-3 that judge the client (the others judge the store and the replication). */
export const CLIENT_INVARIANTS = ["retry-keeps-identity", "retries-bounded", "outcome-honest", "redirect-at-once"] as const;

/** The workbook's retrying client, as leader-change-3 calls it. */
export async function workbookRetryClient(ctx: CheckContext): Promise<RetryClientLike> {
  const mod = await ctx.workbook.import<Partial<Record<keyof RetryClientLike, unknown>>>("src/retry-client.ts");
  const names = ["newClient", "newOperation", "onResult", "classify", "afterOperation"] as const;
  const missing = names.filter((n) => typeof mod[n] !== "function");
  if (missing.length > 0) throw new CheckFailure(`src/retry-client.ts does not export ${missing.join(", ")}`);
  return Object.fromEntries(names.map((n) => [n, mod[n]])) as unknown as RetryClientLike;
}

/**
 * The workbook's retrying client in leader-change-3, the reference store
 * as the replicas' state machine (the client's checks judge the client
 * alone, not the store lesson's files), shape by shape; `invariants` are
 * the ones judged (default: the client's).
 */
export async function searchClientLeaderChangeShapes(
  ctx: CheckContext,
  shapes: readonly LeaderChangeShape[],
  timeS: number,
  invariants: readonly string[] = CLIENT_INVARIANTS,
): Promise<void> {
  const client = await workbookRetryClient(ctx);
  for (const shape of shapes) {
    let report: SearchReport;
    try {
      report = searchScenario({ scenario: "leader-change-3", store: ReferenceStore, client, ...shape, invariants, maxTimeS: timeS });
    } catch (e) {
      // An answer that breaks the client's contract (not plain data, an unknown next step) fails the check; anything else is as thrown.
      if ((e as { code?: unknown }).code === "E_CLIENT_CONTRACT") throw new CheckFailure(`src/retry-client.ts: ${(e as Error).message}`);
      throw e;
    }
    if (report.violation) {
      const text = `3 replicas, ${shape.appends} append${shape.appends > 1 ? "s" : ""} of the retrying client (maxRetries ${shape.maxRetries}) with ${shape.maxDuplicates} duplicate${shape.maxDuplicates === 1 ? "" : "s"} across ${shape.leaderChanges} leader change${shape.leaderChanges > 1 ? "s" : ""}`;
      throw failure(ctx, report, text, "src/retry-client.ts");
    }
  }
}

const searchStore = (ctx: CheckContext) => searchStoreShapes(ctx, SEARCH_SHAPES, SEARCH_TIME_S);
const searchVoteRules = (ctx: CheckContext) => searchVoteShapes(ctx, VOTE_SEARCH_SHAPES, SEARCH_TIME_S);

interface VoteRulesModule {
  voteRules?: { observeTerm(node: TermState, seen: number): TermState; decide(voter: VoterState, request: VoteRequest): VoteDecision };
}

/** The workbook's vote rules in vote-rules-3, shape by shape; the first violation fails with its shortest trace. */
export async function searchVoteShapes(ctx: CheckContext, shapes: readonly VoteShape[], timeS: number): Promise<void> {
  const mod = await ctx.workbook.import<VoteRulesModule>("src/vote-rules.ts");
  const rules = mod.voteRules;
  if (typeof rules?.observeTerm !== "function" || typeof rules.decide !== "function") throw new CheckFailure("src/vote-rules.ts does not export voteRules = { observeTerm, decide, electionTimeoutTicks }");
  const voteRules = { observeTerm: rules.observeTerm.bind(rules), decide: rules.decide.bind(rules) };
  for (const shape of shapes) {
    const report = searchScenario({ scenario: "vote-rules-3", voteRules, ...shape, maxTimeS: timeS });
    if (report.violation) throw failure(ctx, report, voteShapeText(shape), "src/vote-rules.ts");
  }
}

const storeShapeText = (s: StoreShape) =>
  `${s.clients} client${s.clients > 1 ? "s" : ""} x ${s.appends} appends, retries, lost messages and a duplicated request`;
const voteShapeText = (s: VoteShape) =>
  s.network === 0 ? `3 nodes' election timers with no message delivered` : `3 nodes electing up to term ${s.maxTerm} (${s.maxElections} election timeouts), lost and duplicated messages`;

const WHY: Record<string, string> = {
  "appends-at-most-once": "a repeated (client_id, seq) must be answered from the table, never applied again",
  "appends-linearizable": "an append adds its own value at the end of the list, once",
  "results-ok": "no exactly-once execution answers that",
  "one-leader-per-term": "at most one vote per term, so at most one leader per term",
  "committed-entries-kept": "a vote goes only to a candidate whose log is at least as up to date",
  "rules-keep-contract": "observeTerm must return a state Raft can take",
  "nothing-decided-offline": "a leader needs the votes of a majority",
  "committed-entry-kept": "a new leader holds every committed entry",
  "sessions-bounded": "one session per client",
  "retry-keeps-identity": "a retry sent under a new seq is a new request, and the cluster applies it again",
  "retries-bounded": "an operation stops after 1 + maxRetries attempts (redirects apart)",
  "outcome-honest": "ok only for an *_ok reply; failed only when no copy was or will be applied, else unknown",
  "redirect-at-once": "a redirect names the leader: follow it at once, without a backoff, and it is not a retry",
};

function failure(ctx: CheckContext, report: SearchReport, shapeText: string, file: WorkbookFile): CheckFailure {
  const lines = (report.trace ?? []).map((l, i) => `  ${i + 1}. ${l}`);
  let replay = "";
  try {
    mkdirSync(ctx.outDir, { recursive: true });
    const out = join(ctx.outDir, `search-trace-${report.scenario}.json`);
    writeFileSync(out, JSON.stringify(report.traceFile, null, 2) + "\n");
    const option = file === "src/vote-rules.ts" ? "--rules" : "--store";
    // The client's searches run the reference store, which kv-sim runs for --client alone.
    const piece =
      file === "src/retry-client.ts"
        ? ` --client ${shown(ctx.workbook.path(file))}`
        : ctx.workbook.label === "workbook" && ctx.workbook.replayEnv === ""
          ? ""
          : ` ${option} ${shown(ctx.workbook.path(file))}`;
    replay = `\nreplay: npm run kv-sim -- replay ${shown(out)}${piece}`;
  } catch {
    // the trace stays in the message
  }
  const v = report.violation!;
  return new CheckFailure(`${v.message}: ${WHY[v.invariant] ?? v.invariant}, in this order (a shortest one, found by searching every order of ${shapeText}):\n${lines.join("\n")}${replay}`, {
    expected: `every invariant of ${report.scenario} in every reachable state`,
    received: `${v.invariant} violated after ${lines.length} events`,
  });
}

/** A path relative to the repository root (where `npm run kv-sim` runs), or absolute outside it. */
function shown(file: string): string {
  const r = relative(REPOSITORY_ROOT, file);
  return r.startsWith("..") ? file : r;
}

/** The search part of each criterion it strengthens. */
export const SEARCH_CHECKS: readonly CriterionCheck[] = [
  {
    criterion: criterion(LESSON.idempotentWrites, 1),
    title: "every order of retries, lost messages and a duplicated request: no append is applied twice",
    files: ["src/client-tracker.ts", "src/dedup-kv-store.ts"],
    run: searchStore,
  },
  {
    criterion: criterion(LESSON.voteRules, 5),
    title: "every order of 3 nodes' elections: one leader per term, committed entries kept",
    files: ["src/vote-rules.ts"],
    run: searchVoteRules,
  },
];

/** `checks` with each criterion's check followed by its search check (one check per criterion, as the plan takes it). */
export function withSearchChecks(checks: readonly CriterionCheck[]): CriterionCheck[] {
  return checks.map((check) => {
    const search = SEARCH_CHECKS.find((s) => s.criterion === check.criterion);
    if (search === undefined) return check;
    return {
      ...check,
      files: [...new Set([...check.files, ...search.files])],
      async run(ctx: CheckContext) {
        await check.run(ctx);
        await search.run(ctx);
      },
    };
  });
}
