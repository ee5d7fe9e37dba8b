/**
 * Vote rules that compare the last log terms alone: with the same last term,
 * a candidate with a shorter log gets the vote, though it lacks entries the
 * voter holds (committed ones among them).
 */
import * as solution from "../../solutions/week-12/src/vote-rules.js";
import type { VoteDecision, VoteRequest, VoterState } from "../../../week-12/src/vote-rules.js";
import type { Mutant } from "./mutant.js";

export type { TermState, VoteDecision, VoteRequest, VoterState } from "../../../week-12/src/vote-rules.js";
export const { observeTerm, electionTimeoutTicks } = solution;

export function decide(voter: VoterState, request: VoteRequest): VoteDecision {
  // The mistake: a last term as recent is taken for a log as up to date, whatever the lengths.
  const asLong = request.lastLogTerm === voter.lastLogTerm ? { ...request, lastLogIndex: Math.max(request.lastLogIndex, voter.lastLogIndex) } : request;
  return solution.decide(voter, asLong);
}

export const voteRules = { observeTerm, decide, electionTimeoutTicks };

export const MUTANT: Mutant = {
  replaces: "src/vote-rules.ts",
  mistake: "a vote granted to a candidate with a shorter log",
  caughtBy: {
    criterion: "w12-leader-election-client-idempotency-d02-quest-vote-rules-2h#2",
    message: /same last log term .* but a shorter log.*the candidate is behind/,
  },
};
