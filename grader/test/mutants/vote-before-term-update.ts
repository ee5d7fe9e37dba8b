/**
 * Vote rules that adopt a higher term but keep the vote cast in the old
 * one: the node then refuses every candidate of the new term but the one it
 * voted for before, and a cluster can stay without a leader.
 */
import * as solution from "../../solutions/week-12/src/vote-rules.js";
import type { TermState } from "../../../week-12/src/vote-rules.js";
import type { Mutant } from "./mutant.js";

export type { TermState, VoteDecision, VoteRequest, VoterState } from "../../../week-12/src/vote-rules.js";
export const { decide, electionTimeoutTicks } = solution;

export function observeTerm(node: TermState, seenTerm: number): TermState {
  // The mistake: votedFor is carried into the new term.
  return seenTerm > node.term ? { ...solution.observeTerm(node, seenTerm), votedFor: node.votedFor } : node;
}

export const voteRules = { observeTerm, decide, electionTimeoutTicks };

export const MUTANT: Mutant = {
  replaces: "src/vote-rules.ts",
  mistake: "a higher term adopted without forgetting the old term's vote",
  caughtBy: {
    criterion: "w12-leader-election-client-idempotency-d02-quest-vote-rules-2h#3",
    message: /was cast in term 3; in the new term 5 it has not voted yet, so votedFor must be null/,
  },
};
