/**
 * The vote rules as a table (§5.1 a higher term is adopted and the node
 * steps down, §5.2 one vote per term, §5.4.1 the up-to-date log, pre-votes
 * change nothing), and the seam through which Raft consults another
 * implementation, refusing one that breaks the rules' contract.
 */
import { createPrng } from "@dslab/protocol";
import { describe, expect, test } from "vitest";
import { REFERENCE_VOTE_RULES, VoteRulesError, type TermState, type VoteRequest, type VoteRules, type VoterState } from "../../src/raft/vote-rules.js";
import { voteTwice } from "../known-bad/vote-twice.js";
import { persisted, raft, tickUntil } from "./helpers.js";

const voter = (o: Partial<VoterState> = {}): VoterState => ({ term: 5, votedFor: null, leader: null, lastLogIndex: 10, lastLogTerm: 4, ...o });
const node = (o: Partial<TermState> = {}): TermState => ({ term: 3, votedFor: null, role: "follower", leader: null, ...o });
const ask = (o: Partial<VoteRequest> = {}): VoteRequest => ({ candidate: "n2", term: 5, lastLogIndex: 10, lastLogTerm: 4, preVote: false, ...o });

describe("the reference vote rules", () => {
  test.each<[string, VoterState, VoteRequest, boolean]>([
    ["a first vote in the term, to a log as up to date: granted", voter(), ask(), true],
    ["the same candidate asking again in the term: granted (a retry)", voter({ votedFor: "n2" }), ask(), true],
    ["another candidate after a vote in the term: refused (one vote per term)", voter({ votedFor: "n3" }), ask(), false],
    ["a known leader of the term: refused", voter({ leader: "n3" }), ask(), false],
    ["a candidate whose last log term is older: refused", voter(), ask({ lastLogTerm: 3, lastLogIndex: 99 }), false],
    ["a candidate with the same last term but a shorter log: refused", voter(), ask({ lastLogIndex: 9 }), false],
    ["a candidate whose last log term is newer, however short: granted", voter(), ask({ lastLogTerm: 5, lastLogIndex: 1 }), true],
    ["a request for another term (Raft adopts a higher one first): refused", voter(), ask({ term: 4 }), false],
    ["a pre-vote for a later term with an up-to-date log: granted", voter({ votedFor: "n3" }), ask({ term: 6, preVote: true }), true],
    ["a pre-vote for the current term: refused", voter(), ask({ preVote: true }), false],
    ["a pre-vote from a shorter log: refused", voter(), ask({ term: 6, preVote: true, lastLogIndex: 2 }), false],
  ])("%s", (_title, v, r, grant) => {
    expect(REFERENCE_VOTE_RULES.decide(v, r).grant).toBe(grant);
  });

  test.each<[string, TermState, number, TermState]>([
    ["a leader of term 3 seeing term 5: a follower of term 5, no vote, no leader", node({ role: "leader", leader: "n1" }), 5, node({ term: 5, votedFor: null })],
    ["a candidate of term 3 seeing term 4: a follower of term 4, its own vote gone", node({ role: "candidate", votedFor: "n1" }), 4, node({ term: 4 })],
    ["a follower that voted in term 3 seeing term 9: free to vote in term 9", node({ votedFor: "n2", leader: "n2" }), 9, node({ term: 9 })],
    ["a leader seeing its own term: unchanged", node({ role: "leader", leader: "n1" }), 3, node({ role: "leader", leader: "n1" })],
    ["a candidate seeing an older term: unchanged", node({ role: "candidate", votedFor: "n1" }), 2, node({ role: "candidate", votedFor: "n1" })],
  ])("observeTerm: %s", (_title, before, seen, after) => {
    expect(REFERENCE_VOTE_RULES.observeTerm(before, seen)).toEqual(after);
  });

  test("a refusal says why", () => {
    expect(REFERENCE_VOTE_RULES.decide(voter({ votedFor: "n3" }), ask()).why).toBe("already voted for n3");
  });

  test("the election timeout is one draw from the node's PRNG, within the bounds", () => {
    const a = createPrng(9);
    const b = createPrng(9);
    const drawn = Array.from({ length: 100 }, () => REFERENCE_VOTE_RULES.electionTimeoutTicks(a, 10, 20));
    expect(drawn.every((t) => t >= 10 && t <= 20)).toBe(true);
    expect(drawn[0]).toBe(b.int(10, 20));
  });
});

describe("Raft consults the vote rules it is given", () => {
  test("with rules that vote twice, a node that voted for n2 in a term also grants n3", () => {
    const r = raft("n1", { voteRules: voteTwice });
    const request = (candidate: string) => ({
      src: candidate,
      dest: "n1",
      body: { type: "raft_request_vote", term: 1, candidate, last_log_index: 0, last_log_term: 0 },
    });
    r.step(request("n2"), 0);
    r.step(request("n3"), 0);
    const granted = r.takeReady().send.filter((m) => m.body.type === "raft_request_vote_ok" && m.body.granted).map((m) => m.dest);
    expect(granted).toEqual(["n2", "n3"]);
    const reference = raft("n1");
    reference.step(request("n2"), 0);
    reference.step(request("n3"), 0);
    expect(reference.takeReady().send.filter((m) => m.body.granted).map((m) => m.dest)).toEqual(["n2"]);
  });
});

describe("Raft applies what observeTerm returns, and refuses a result that breaks its contract", () => {
  const appendAt = (term: number) => ({
    src: "n2",
    dest: "n1",
    body: { type: "raft_append", term, leader: "n2", prev_log_index: 0, prev_log_term: 0, entries: [], leader_commit: 0 },
  });
  const withObserve = (observeTerm: VoteRules["observeTerm"]): VoteRules => ({ ...REFERENCE_VOTE_RULES, observeTerm });

  test("a higher term: the node persists the rules' term and vote before its reply, and follows the append's sender", () => {
    const r = raft("n1", {}, persisted(3, [], "n3"));
    r.step(appendAt(5), 0);
    const ready = r.takeReady();
    expect(ready.persist[0]).toEqual({ type: "hardState", hardState: { term: 5, votedFor: null } });
    expect(ready.send.map((m) => [m.dest, m.body.type, m.body.term])).toEqual([["n2", "raft_append_ok", 5]]);
    expect([r.term, r.votedFor, r.role, r.leader]).toEqual([5, null, "follower", "n2"]);
  });

  test("rules that keep the old vote on a higher term: Raft keeps it too (it only refuses others)", () => {
    const keepVote = withObserve((n, seen) => (seen > n.term ? { ...REFERENCE_VOTE_RULES.observeTerm(n, seen), votedFor: n.votedFor } : n));
    const r = raft("n1", { voteRules: keepVote }, persisted(3, [], "n3"));
    r.step(appendAt(5), 0);
    expect(r.takeReady().persist[0]).toEqual({ type: "hardState", hardState: { term: 5, votedFor: "n3" } });
  });

  /** A leader of term 3 in a three-node cluster. */
  const leaderOfTerm3 = (voteRules: VoteRules) => {
    const r = raft("n1", { voteRules }, persisted(2, []));
    tickUntil(r, () => r.role === "candidate");
    r.step({ src: "n2", dest: "n1", body: { type: "raft_request_vote_ok", term: 3, granted: true } }, 0);
    expect([r.term, r.role]).toEqual([3, "leader"]);
    r.takeReady();
    return r;
  };

  test.each<[string, (n: TermState, seen: number) => unknown, RegExp]>([
    ["a lower term", (n) => ({ ...n, term: n.term - 1 }), /returned \{"term":2,.*: its term is lower than the node's 3: a node's term never goes back/],
    ["a bad role", (_n, seen) => ({ term: seen, votedFor: null, role: "boss", leader: null }), /"role":"boss".*: its role is not "follower", "candidate" or "leader"/],
    ["a leader that does not step down", (n, seen) => ({ ...n, term: seen, votedFor: null, leader: null }), /it is still leader after adopting term 5: a node that adopts a higher term steps down to follower/],
    ["a higher term not adopted", (n) => n, /its term is not the higher term seen \(5\): a node adopts the higher term it sees/],
    ["a term nobody sent", (_n, seen) => ({ term: seen + 1, votedFor: null, role: "follower", leader: null }), /returned \{"term":6,.*its term is not the higher term seen \(5\)/],
    ["a vote for a node outside the cluster", (_n, seen) => ({ term: seen, votedFor: "n9", role: "follower", leader: null }), /its votedFor is neither null nor a node of the cluster/],
    ["no state at all", () => undefined, /returned undefined: it is not a state object/],
  ])("%s: a VoteRulesError naming the node and the mistake, and the leader left as it was", (_title, wrong, message) => {
    const rules = withObserve((n, seen) => (seen > n.term ? (wrong(n, seen) as TermState) : n));
    const r = leaderOfTerm3(rules);
    let thrown: unknown;
    try {
      r.step(appendAt(5), 0);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(VoteRulesError);
    expect((thrown as VoteRulesError).code).toBe("E_VOTE_RULES");
    expect((thrown as Error).message).toMatch(/^vote rules: observeTerm\(\{term 3, leader, votedFor n1, leader n1\}, 5\) on node n1 returned /);
    expect((thrown as Error).message).toMatch(message);
    expect([r.term, r.votedFor, r.role, r.leader]).toEqual([3, "n1", "leader", "n1"]);
    expect(r.takeReady().persist).toEqual([]);
  });

  test("a change on a term that is not higher is refused too", () => {
    // Wrong only for a leader, so the node can first win its election.
    const stepDownOnAnyTerm = withObserve((n, seen) => (n.role === "leader" ? { term: Math.max(n.term, seen), votedFor: null, role: "follower", leader: null } : REFERENCE_VOTE_RULES.observeTerm(n, seen)));
    const r = leaderOfTerm3(stepDownOnAnyTerm);
    expect(() => r.step({ src: "n2", dest: "n1", body: { type: "raft_append_ok", term: 3, success: true, match_index: 1 } }, 0)).toThrow(
      /it changes the node, but term 3 is not higher than the node's 3: only a higher term changes anything/,
    );
  });
});
