/**
 * Hidden search tests: the visible checks' searches (week-12/checks/
 * search.ts) on bigger shapes. The dedup store with two clients of three
 * appends and with one client of five; the vote rules up to term 4 with
 * three election timeouts, and up to term 5 with the network off; the store
 * as the state machine of 3 replicas whose leader crashes mid-append; and
 * the workbook's retrying client appending across that crash (its
 * identity, its redirects, its retry limit, its outcomes; each search about
 * 1 s). The client's searches run the reference store (`ReferenceStore`,
 * the cluster's own state machine and sessions) in the replicas, never the
 * workbook's: they judge the client alone, so an unfinished store lesson
 * fails only the store's checks. Each search has a time limit (scaled with
 * the grader's seed scale); one that reaches it passes on what it saw.
 */
import { criterion, LESSON } from "../../week-12/checks/index.js";
import { searchClientLeaderChangeShapes, searchLeaderChangeShapes, searchStoreShapes, searchVoteShapes } from "../../week-12/checks/search.js";
import { hidden, seeds, type HiddenTest } from "./types.js";

/** Seconds per shape: each test searches two shapes, within the grader's 60 s per test. */
const TIME_S = 20;

/** The client's leader-change shape: one append, a retry, a duplicate, a leader crash (7,654 states with the reference client). */
const CLIENT_SHAPE = { appends: 1, maxRetries: 1, leaderChanges: 1, maxDuplicates: 1, sessionsMax: 1 } as const;
/** The client's searches load the retrying client alone (the replicas run the reference store). */
const CLIENT_FILES: HiddenTest["files"] = ["src/retry-client.ts"];

/** A client-retry criterion: the student's client alone, in the shape above against the reference store, held to `invariants`. */
function clientSearch(n: number, title: string, invariants: string[]): HiddenTest {
  return hidden(criterion(LESSON.clientRetry, n), "search", {
    title,
    weight: 1,
    files: CLIENT_FILES,
    run: (ctx) => searchClientLeaderChangeShapes(ctx, [CLIENT_SHAPE], seeds(TIME_S), invariants),
  });
}

export const SEARCH_HIDDEN: HiddenTest[] = [
  hidden(criterion(LESSON.idempotentWrites, 1), "search", {
    title: "every order of 2 clients x 3 appends and of 1 client x 5 appends, with retries, lost messages and a duplicate: no append applied twice, every result one an exactly-once execution gives",
    weight: 2,
    files: ["src/dedup-kv-store.ts", "src/client-tracker.ts"],
    run: (ctx) =>
      searchStoreShapes(
        ctx,
        [
          { clients: 2, appends: 3, maxRetries: 1, maxDrops: 1, maxDuplicates: 1 },
          { clients: 1, appends: 5, maxRetries: 1, maxDrops: 1, maxDuplicates: 1 },
        ],
        seeds(TIME_S),
      ),
  }),
  hidden(criterion(LESSON.voteRules, 5), "search", {
    title: "every order of 3 nodes' elections up to term 4 (3 timeouts), and with no network: one leader per term, committed entries kept, nothing decided offline",
    weight: 2,
    files: ["src/vote-rules.ts"],
    run: (ctx) =>
      searchVoteShapes(
        ctx,
        [
          { maxTerm: 4, maxElections: 3, maxDuplicates: 0, network: 1 },
          { maxTerm: 5, maxElections: 4, maxDuplicates: 0, network: 0 },
        ],
        seeds(TIME_S),
      ),
  }),
  hidden(criterion(LESSON.dedupStore, 3), "search", {
    title: "every order of 2 appends with retries, and of 1 append with 2 retries and a duplicate, across a leader crash, the store replicated in 3 nodes: applied once, answered from the session, the session table bounded",
    weight: 1,
    files: ["src/dedup-kv-store.ts", "src/client-tracker.ts"],
    run: (ctx) =>
      searchLeaderChangeShapes(
        ctx,
        [
          { appends: 2, maxRetries: 1, leaderChanges: 1, maxDuplicates: 0, sessionsMax: 1 },
          { appends: 1, maxRetries: 2, leaderChanges: 1, maxDuplicates: 1, sessionsMax: 1 },
        ],
        seeds(TIME_S),
      ),
  }),
  clientSearch(1, "every order of an append with a retry and a duplicate across a leader crash, 3 replicas of the reference store: every attempt sends the operation's first request (client_id and seq)", ["retry-keeps-identity"]),
  clientSearch(2, "every order of an append across a leader crash, 3 replicas of the reference store: a redirect naming the leader is followed at once, without a backoff", ["redirect-at-once"]),
  clientSearch(4, "every order of an append across a leader crash, 3 replicas of the reference store: the client stops after 1 + maxRetries attempts (redirects apart), whatever comes back", ["retries-bounded"]),
  clientSearch(5, "every order of an append with a retry and a duplicate across a leader crash, 3 replicas of the reference store: applied at most once, and the outcome the client reports is true (ok only for an *_ok reply, failed only if never applied)", ["appends-at-most-once", "outcome-honest"]),
];
