/**
 * The vote rules as a table (§5.2 one vote per term, §5.4.1 the up-to-date
 * log, pre-votes change nothing), and the seam through which Raft consults
 * another implementation.
 */
import { createPrng } from "@dslab/protocol";
import { describe, expect, test } from "vitest";
import { REFERENCE_VOTE_RULES, type VoteRequest, type VoterState } from "../../src/raft/vote-rules.js";
import { voteTwice } from "../known-bad/vote-twice.js";
import { raft } from "./helpers.js";

const voter = (o: Partial<VoterState> = {}): VoterState => ({ term: 5, votedFor: null, leader: null, lastLogIndex: 10, lastLogTerm: 4, ...o });
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
