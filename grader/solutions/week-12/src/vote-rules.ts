/**
 * Reference solution of week-12/src/vote-rules.ts (lesson
 * w12-leader-election-client-idempotency-d02-quest-vote-rules-2h, criteria
 * #1-#5): the same rules as the reference Raft's own.
 */
import type { Prng } from "@dslab/protocol";
import type { TermState, VoteDecision, VoteRequest, VoterState } from "@dslab/week-12/src/vote-rules.js";

export type { TermState, VoteDecision, VoteRequest, VoterState };

export function observeTerm(node: TermState, seenTerm: number): TermState {
  // §5.1: behind the sender, the node adopts its term with no vote cast in it, and follows.
  if (seenTerm <= node.term) return node;
  return { term: seenTerm, votedFor: null, role: "follower", leader: null };
}

export function decide(voter: VoterState, request: VoteRequest): VoteDecision {
  const upToDate = logAtLeastAsUpToDate(voter, request);
  if (request.preVote) {
    // A pre-vote changes nothing here, and is granted only for a later term.
    if (request.term <= voter.term) return { grant: false, why: `term ${request.term} is not after ours (${voter.term})` };
    return upToDate ? { grant: true, why: "" } : { grant: false, why: behind(voter, request) };
  }
  if (request.term !== voter.term) return { grant: false, why: `term ${request.term} is not ours (${voter.term})` };
  // §5.2: at most one vote per term (and none once a leader of this term is known).
  const free = voter.votedFor === request.candidate || (voter.votedFor === null && voter.leader === null);
  if (!free) return { grant: false, why: `already voted for ${voter.votedFor ?? voter.leader} in term ${voter.term}` };
  return upToDate ? { grant: true, why: "" } : { grant: false, why: behind(voter, request) };
}

export function electionTimeoutTicks(prng: Prng, minTicks: number, maxTicks: number): number {
  return prng.int(minTicks, maxTicks);
}

export const voteRules = { observeTerm, decide, electionTimeoutTicks };

/** §5.4.1: a later last term wins; with the same last term, the longer log. */
function logAtLeastAsUpToDate(voter: VoterState, request: VoteRequest): boolean {
  return request.lastLogTerm > voter.lastLogTerm || (request.lastLogTerm === voter.lastLogTerm && request.lastLogIndex >= voter.lastLogIndex);
}

function behind(voter: VoterState, request: VoteRequest): string {
  return `its log (last index ${request.lastLogIndex}, term ${request.lastLogTerm}) is behind ours (last index ${voter.lastLogIndex}, term ${voter.lastLogTerm})`;
}
