/**
 * The vote rules, the part of leader election a student writes: whether to
 * grant a vote, and how long to wait before standing for election. Raft
 * consults them through this interface; `REFERENCE_VOTE_RULES` is the
 * reference's own implementation, and `NodeConfig.voteRules` plugs in
 * another (the workbook's). Both inputs are plain data, so a rule is a pure
 * function a model checker can call on any state.
 *
 * Raft itself keeps what is not a rule about voting: adopting a higher term
 * seen in any message (and stepping down) happens before `decide` is asked,
 * so a real vote request reaches `decide` with `request.term === voter.term`.
 */
import type { Prng } from "@dslab/protocol";

/** What the voter knows when a request arrives. */
export interface VoterState {
  /** The voter's current term. */
  term: number;
  /** Whom it voted for in `term`, if anyone. */
  votedFor: string | null;
  /** The leader it follows in `term`, if it knows one. */
  leader: string | null;
  lastLogIndex: number;
  lastLogTerm: number;
}

export interface VoteRequest {
  candidate: string;
  /** The term the candidate stands for. */
  term: number;
  lastLogIndex: number;
  lastLogTerm: number;
  /** A pre-vote asks "would you vote for me?" and changes nothing at the voter. */
  preVote: boolean;
}

export interface VoteDecision {
  grant: boolean;
  /** Why not, for the log line (empty when granted). */
  why: string;
}

export interface VoteRules {
  decide(voter: VoterState, request: VoteRequest): VoteDecision;
  /** The randomized election timeout, in ticks, drawn from the node's PRNG (one draw). */
  electionTimeoutTicks(prng: Prng, minTicks: number, maxTicks: number): number;
}

/** §5.4.1: the candidate's log is at least as up to date as the voter's. */
export function logAtLeastAsUpToDate(voter: VoterState, request: VoteRequest): boolean {
  return request.lastLogTerm > voter.lastLogTerm || (request.lastLogTerm === voter.lastLogTerm && request.lastLogIndex >= voter.lastLogIndex);
}

export const REFERENCE_VOTE_RULES: VoteRules = {
  decide(voter, request) {
    const upToDate = logAtLeastAsUpToDate(voter, request);
    if (request.preVote) {
      // Granted only for a later term: a live term's leader is not replaced on a whim.
      if (request.term <= voter.term) return { grant: false, why: `term ${request.term} is not after ours (${voter.term})` };
      return upToDate ? { grant: true, why: "" } : { grant: false, why: behind(voter, request) };
    }
    if (request.term !== voter.term) return { grant: false, why: `term ${request.term} is not ours (${voter.term})` };
    // §5.2: at most one vote per term (and none once a leader of this term is known).
    const free = voter.votedFor === request.candidate || (voter.votedFor === null && voter.leader === null);
    if (!free) return { grant: false, why: `already voted for ${voter.votedFor ?? voter.leader}` };
    return upToDate ? { grant: true, why: "" } : { grant: false, why: behind(voter, request) };
  },
  electionTimeoutTicks(prng, minTicks, maxTicks) {
    return prng.int(minTicks, maxTicks);
  },
};

function behind(voter: VoterState, request: VoteRequest): string {
  return `its log (last index ${request.lastLogIndex}, term ${request.lastLogTerm}) is behind ours (last index ${voter.lastLogIndex}, term ${voter.lastLogTerm})`;
}
