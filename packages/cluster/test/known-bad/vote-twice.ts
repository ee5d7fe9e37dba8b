/**
 * Known-bad vote rules: a vote granted to every candidate with a log as up
 * to date, even after voting for another in the same term. Two candidates
 * of one term can then both win: two leaders in one term.
 */
import { createKvNodeCore as reference, logAtLeastAsUpToDate, REFERENCE_VOTE_RULES, type KvNodeCore, type NodeConfig, type PersistentState, type VoteRules } from "../../src/index.js";

export const voteTwice: VoteRules = {
  ...REFERENCE_VOTE_RULES,
  decide(voter, request) {
    if (request.preVote || request.term !== voter.term) return REFERENCE_VOTE_RULES.decide(voter, request);
    return logAtLeastAsUpToDate(voter, request) ? { grant: true, why: "" } : { grant: false, why: "log behind" };
  },
};

export function createKvNodeCore(config: NodeConfig, restored: PersistentState | null): KvNodeCore {
  return reference({ ...config, voteRules: voteTwice }, restored);
}
