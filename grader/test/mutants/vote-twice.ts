/**
 * Vote rules that forget "one vote per term": any candidate with an
 * up-to-date log gets the vote, even after the voter voted for another in
 * the same term. Two candidates of one term can then both win.
 */
import * as solution from "../../solutions/week-12/src/vote-rules.js";
import type { VoteDecision, VoteRequest, VoterState } from "../../../week-12/src/vote-rules.js";
import type { Mutant } from "./mutant.js";

export type { TermState, VoteDecision, VoteRequest, VoterState } from "../../../week-12/src/vote-rules.js";
export const { observeTerm, electionTimeoutTicks } = solution;

export function decide(voter: VoterState, request: VoteRequest): VoteDecision {
  if (request.preVote || request.term !== voter.term) return solution.decide(voter, request);
  // The mistake: the vote already cast in this term is not consulted.
  return solution.decide({ ...voter, votedFor: null, leader: null }, request);
}

export const voteRules = { observeTerm, decide, electionTimeoutTicks };

export const MUTANT: Mutant = {
  replaces: "src/vote-rules.ts",
  mistake: "a vote granted twice in one term",
  caughtBy: {
    criterion: "w12-leader-election-client-idempotency-d02-quest-vote-rules-2h#1",
    message: /after the voter voted for n2 in term 5.*at most one vote per term/,
  },
};
