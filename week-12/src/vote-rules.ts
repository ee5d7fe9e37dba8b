/**
 * The vote rules: the part of leader election that decides who may lead.
 *
 * Lesson w12-leader-election-client-idempotency-d02-quest-vote-rules-2h,
 * criteria:
 *   #1 at most one vote per term (`decide`)
 *   #2 no vote for a candidate whose log is less up to date (`decide`)
 *   #3 a higher term is adopted, and the node steps down, before deciding (`observeTerm`)
 *   #4 the election timeout comes from the injected PRNG, within [min, max] (`electionTimeoutTicks`)
 *   #5 under partitions and crashes, 3 and 5 nodes elect at most one leader
 *      per term and lose no committed entry (all three, inside the reference Raft)
 *
 * The reference Raft asks these functions and does the rest (messages,
 * persistence, counting votes). For every message from a peer it first calls
 * `observeTerm` with the term the message carries, applies the state you
 * return (and writes the new term and vote to disk before it replies), then,
 * for a vote request, calls `decide`. It draws each election timeout with
 * `electionTimeoutTicks`.
 *
 * Everything here is a pure function of plain data: no `Math.random`, no
 * clock, no state kept between calls. Randomness comes in as `prng`.
 * Replace each `todo(...)` with your code.
 */
import type { TermState, VoteDecision, VoteRequest, VoteRules, VoterState } from "@dslab/cluster/core";
import type { Prng } from "@dslab/protocol";
import { todo } from "./todo.js";

// The shapes Raft hands you, as the reference cluster defines them (read
// packages/cluster/src/raft/vote-rules.ts for each field):
// - VoterState: term, votedFor, leader (whom it follows in term, if anyone),
//   lastLogIndex, lastLogTerm (0 and 0 for an empty log);
// - VoteRequest: candidate, term, lastLogIndex, lastLogTerm, preVote;
// - VoteDecision: grant, and why not in words (empty when granted);
// - TermState: term, votedFor, role ("follower" | "candidate" | "leader";
//   a node waiting for pre-votes is a follower), leader.
export type { TermState, VoteDecision, VoteRequest, VoterState } from "@dslab/cluster/core";

/**
 * A node in state `node` sees a message carrying `seenTerm` (§5.1 of the
 * Raft paper). Return the node's new state:
 *
 * - `seenTerm` higher than `node.term`: the node is behind. It adopts
 *   `seenTerm`, has cast no vote in it yet (`votedFor: null`), and steps down
 *   to `"follower"` with no known `leader` (whoever leads the new term will
 *   say so with its own messages). A leader or candidate of an old term stops
 *   being one here.
 * - `seenTerm` equal to or lower than `node.term`: nothing changes; return
 *   `node` as it is (Raft answers a stale sender with its own term).
 *
 * Raft refuses a result that breaks these rules (a lower term, a term it did
 * not see, a node still leading after adopting a higher term) with an error
 * that names it.
 */
export function observeTerm(node: TermState, seenTerm: number): TermState {
  return todo("observeTerm");
}

/**
 * Whether `voter` grants `request` (§5.2, §5.4.1). Raft has already called
 * `observeTerm`, so a real vote request of a higher term arrives here with
 * `request.term === voter.term`.
 *
 * A real vote (`preVote: false`):
 * - only for the voter's own term: refuse a request whose term is not `voter.term`;
 * - one vote per term: grant if the voter has not voted in this term and
 *   knows no leader of it, or if it already voted for this same candidate
 *   (a retried request); refuse any other candidate;
 * - only to a candidate whose log is at least as up to date as the voter's:
 *   the log whose last entry has the higher term is more up to date; with the
 *   same last term, the longer log is (a higher last index). Equal logs are
 *   fine.
 *
 * A pre-vote (`preVote: true`) changes nothing at the voter and ignores its
 * vote: grant it only for a term later than `voter.term`, and only to a log
 * at least as up to date.
 *
 * When you refuse, say why in `why` (it goes to the node's log).
 */
export function decide(voter: VoterState, request: VoteRequest): VoteDecision {
  return todo("decide");
}

/**
 * The randomized election timeout, in ticks: an integer in [minTicks,
 * maxTicks] (both included), drawn with exactly ONE draw from `prng` (for
 * instance `prng.int(lo, hi)`). The randomness keeps nodes from timing out
 * together and splitting the vote forever; the injected PRNG makes a run
 * replayable from its seed.
 */
export function electionTimeoutTicks(prng: Prng, minTicks: number, maxTicks: number): number {
  return todo("electionTimeoutTicks");
}

/** What the reference Raft plugs in (leave as it is). */
export const voteRules: VoteRules = { observeTerm, decide, electionTimeoutTicks };
