/**
 * The vote-rules-3 scenario (lesson
 * w12-leader-election-client-idempotency-d02-quest-vote-rules-2h, #5):
 * three nodes electing a leader with the reference rules and with wrong
 * ones from the mutant catalogue.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { loadVoteRules, replayTrace, scenarioModel, searchScenario } from "../../src/search/index.js";

const root = fileURLToPath(new URL("../../../../", import.meta.url));
const SOLUTION = join(root, "grader/solutions/week-12/src/vote-rules.ts");
const mutant = (name: string) => join(root, "grader/test/mutants", `${name}.ts`);

describe("vote-rules-3: 3 nodes electing a leader", () => {
  test("the reference rules: every order is explored with at most one leader per term and the committed entries kept; a leader is elected in 3 events", async () => {
    const voteRules = await loadVoteRules(SOLUTION);
    const r = searchScenario({ scenario: "vote-rules-3", voteRules });
    expect(r.end).toBe("space-exhausted");
    expect(r.violation).toBeUndefined();
    expect(r.unique).toBeGreaterThan(1_000);
    const goal = searchScenario({ scenario: "vote-rules-3", voteRules, goal: ["leader-elected"] });
    expect(goal.end).toBe("goal-found");
    expect(goal.trace).toHaveLength(3);
    expect(goal.trace![2]).toMatch(/LEADER of term 2/);
  });

  test("no network: election timers fire, no message is delivered, and nobody becomes leader (nothing-decided-offline holds; the goal is unreachable)", async () => {
    const voteRules = await loadVoteRules(SOLUTION);
    const r = searchScenario({ scenario: "vote-rules-3", voteRules, network: 0, maxElections: 3 });
    expect(r.end).toBe("space-exhausted");
    expect(r.violation).toBeUndefined();
    const goal = searchScenario({ scenario: "vote-rules-3", voteRules, network: 0, goal: ["leader-elected"] });
    expect(goal.end).toBe("space-exhausted");
  });

  test("#1 rules that vote twice in a term: two leaders of term 2, in a shortest trace of 6 events that replays", async () => {
    const voteRules = await loadVoteRules(mutant("vote-twice"));
    const r = searchScenario({ scenario: "vote-rules-3", voteRules });
    expect(r.violation?.invariant).toBe("one-leader-per-term");
    expect(r.violation?.message).toBe("n1 and n2 both became leader of term 2");
    expect(r.trace).toHaveLength(6);
    const again = replayTrace(JSON.parse(JSON.stringify(r.traceFile)), { voteRules });
    expect(again.violation).toEqual(r.violation);
  });

  test("#2 rules that vote for a shorter log: n3 leads without the committed entry 2", async () => {
    const voteRules = await loadVoteRules(mutant("vote-for-shorter-log"));
    const r = searchScenario({ scenario: "vote-rules-3", voteRules });
    expect(r.violation?.invariant).toBe("committed-entries-kept");
    expect(r.violation?.message).toMatch(/^n3 became leader of term 2 with the log \[1\], without the committed entries \[1,1\]/);
    expect(r.trace).toHaveLength(3);
  });

  test("#3 observeTerm that returns a state Raft refuses (still leader in a higher term) breaks the rules' contract", async () => {
    const reference = await loadVoteRules(SOLUTION);
    const voteRules = { ...reference, observeTerm: (n: Parameters<typeof reference.observeTerm>[0], seen: number) => (seen > n.term ? { ...n, term: seen, votedFor: null } : n) };
    const r = searchScenario({ scenario: "vote-rules-3", voteRules });
    expect(r.violation?.invariant).toBe("rules-keep-contract");
    expect(r.violation?.message).toMatch(/which Raft refuses/);
  });

  test("the model is plain data: scenarioModel gives the explorer the same states, and every step leaves the state it was given as it was", async () => {
    const voteRules = await loadVoteRules(SOLUTION);
    const model = scenarioModel("vote-rules-3", { voteRules });
    let s = model.initial();
    for (let i = 0; i < 6; i++) {
      const events = model.events(s);
      const before = JSON.stringify(s);
      const next = model.step(s, events[0]!);
      expect(JSON.stringify(s)).toBe(before);
      s = next;
    }
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });
});
