/**
 * The vote rules, the part of leader election a student writes: how a node
 * reacts to a term it sees in a message, whether to grant a vote, and how
 * long to wait before standing for election. Raft consults them through
 * this interface; `REFERENCE_VOTE_RULES` is the reference's own
 * implementation, and `NodeConfig.voteRules` plugs in another (the
 * workbook's). Every input is plain data, so a rule is a pure function a
 * model checker can call on any state.
 *
 * The order Raft asks them in, for every message from a peer:
 *
 * 1. `observeTerm(node, seenTerm)` for every message whose term is a term
 *    some node is in: vote requests and their replies, AppendEntries,
 *    snapshots and their replies. Not for a pre-vote request, nor for a
 *    granted pre-vote's reply: their term is only the one a pre-candidate
 *    would stand for, and a pre-vote changes nothing. (A vote request of a
 *    higher term that arrives while the node hears from a live leader is
 *    ignored before this step, its term not adopted: the check-quorum lease.)
 *    Raft applies the state it returns, persists a new term and vote before
 *    it replies to anything, and then follows the sender of an AppendEntries
 *    or a snapshot as the new term's leader.
 * 2. `decide(voter, request)` for a vote or pre-vote request, so a real vote
 *    request reaches it with `request.term === voter.term` when step 1
 *    adopted the candidate's term.
 *
 * Raft treats an `observeTerm` result that breaks the rule it states (a
 * lower term, a term it did not see, a change on a term that is not higher,
 * a node still candidate or leader after adopting a higher term, a leader
 * named for the new term, a role or vote that is not one) as a bug in the
 * rules: it throws a `VoteRulesError`
 * naming the input and the output, and changes nothing.
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

/** A node's place in the election, as `observeTerm` sees and returns it. A pre-candidate is a follower here. */
export interface TermState {
  term: number;
  /** Whom it voted for in `term`, if anyone. */
  votedFor: string | null;
  role: "follower" | "candidate" | "leader";
  /** The leader it follows in `term`, if it knows one. */
  leader: string | null;
}

export interface VoteRules {
  /**
   * §5.1: a message carrying a higher term than the node's makes it adopt
   * that term with no vote cast in it, and step down to a follower that
   * knows no leader yet; a message of the node's own or an older term
   * changes nothing here. Returns the node's new state.
   */
  observeTerm(node: TermState, seenTerm: number): TermState;
  decide(voter: VoterState, request: VoteRequest): VoteDecision;
  /** The randomized election timeout, in ticks, drawn from the node's PRNG (one draw). */
  electionTimeoutTicks(prng: Prng, minTicks: number, maxTicks: number): number;
}

/** §5.4.1: the candidate's log is at least as up to date as the voter's. */
export function logAtLeastAsUpToDate(voter: VoterState, request: VoteRequest): boolean {
  return request.lastLogTerm > voter.lastLogTerm || (request.lastLogTerm === voter.lastLogTerm && request.lastLogIndex >= voter.lastLogIndex);
}

export const REFERENCE_VOTE_RULES: VoteRules = {
  observeTerm(node, seenTerm) {
    if (seenTerm <= node.term) return node;
    return { term: seenTerm, votedFor: null, role: "follower", leader: null };
  },
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

/** Vote rules that broke their own contract (see the header): a bug in the rules, never a fault of the network. */
export class VoteRulesError extends Error {
  override readonly name = "VoteRulesError";
  /** Stable code for callers. */
  readonly code = "E_VOTE_RULES";
  constructor(
    readonly rule: "observeTerm",
    detail: string,
  ) {
    super(`vote rules: ${rule}${detail}`);
  }
}

const ROLES: ReadonlySet<string> = new Set(["follower", "candidate", "leader"]);

/**
 * Why `after = observeTerm(before, seenTerm)` is not a state Raft can take,
 * or null. `nodeIds` are the cluster's members (a vote goes to one of them).
 */
export function wrongObservation(before: TermState, seenTerm: number, after: unknown, nodeIds: readonly string[]): string | null {
  if (typeof after !== "object" || after === null) return "it is not a state object";
  const a = after as Partial<Record<keyof TermState, unknown>>;
  if (!Number.isSafeInteger(a.term)) return "its term is not an integer";
  if (typeof a.role !== "string" || !ROLES.has(a.role)) return `its role is not "follower", "candidate" or "leader"`;
  if (!nullOrMember(a.votedFor, nodeIds)) return "its votedFor is neither null nor a node of the cluster";
  if (!nullOrMember(a.leader, nodeIds)) return "its leader is neither null nor a node of the cluster";
  const term = a.term as number;
  if (term < before.term) return `its term is lower than the node's ${before.term}: a node's term never goes back`;
  if (seenTerm <= before.term) {
    const same = term === before.term && a.votedFor === before.votedFor && a.role === before.role && a.leader === before.leader;
    return same ? null : `it changes the node, but term ${seenTerm} is not higher than the node's ${before.term}: only a higher term changes anything`;
  }
  if (term !== seenTerm) return `its term is not the higher term seen (${seenTerm}): a node adopts the higher term it sees`;
  if (a.role !== "follower") return `it is still ${a.role} after adopting term ${term}: a node that adopts a higher term steps down to follower`;
  if (a.leader !== null) return `it names leader ${String(a.leader)} for the new term ${term}: a term seen in a message says nothing yet of who leads it`;
  return null;
}

/** Runs for every peer message that carries a term: a plain function, not a closure made per call. */
function nullOrMember(v: unknown, nodeIds: readonly string[]): boolean {
  return v === null || (typeof v === "string" && nodeIds.includes(v));
}

/** A TermState for an error message. */
export function showTermState(t: TermState): string {
  return `{term ${t.term}, ${t.role}, votedFor ${t.votedFor ?? "null"}, leader ${t.leader ?? "null"}}`;
}
