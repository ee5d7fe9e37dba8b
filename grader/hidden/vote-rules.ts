/** Hidden tests of the vote-rules quest: the rules over many seeded cases, and 3- and 5-node clusters under partitions, pauses, crashes and clock faults. */
import { createPrng } from "@dslab/protocol";
import { CheckFailure, criterion, LESSON, type CheckContext } from "../../week-12/checks/index.js";
import type * as Rules from "../../week-12/src/vote-rules.js";
import { hiddenFaultRuns } from "./fault-runs.js";
import { show } from "./model.js";
import { hidden, seeds, type HiddenTest } from "./types.js";

const c = (n: number) => criterion(LESSON.voteRules, n);
const FILES: HiddenTest["files"] = ["src/vote-rules.ts"];
const load = (ctx: CheckContext) => ctx.workbook.import<typeof Rules>("src/vote-rules.ts");

interface Case {
  voter: Rules.VoterState;
  request: Rules.VoteRequest;
}

function cases(seed: string, n: number, votedFor: (prng: ReturnType<typeof createPrng>) => string | null): Case[] {
  const prng = createPrng(seed);
  return Array.from({ length: n }, () => {
    const term = prng.int(1, 50);
    const lastLogTerm = prng.int(0, term);
    const voter: Rules.VoterState = { term, votedFor: votedFor(prng), leader: null, lastLogIndex: prng.int(lastLogTerm, lastLogTerm + 20), lastLogTerm };
    const reqLogTerm = Math.max(0, Math.min(term, lastLogTerm + prng.int(-2, 2)));
    const request: Rules.VoteRequest = { candidate: `n${prng.int(2, 5)}`, term, lastLogIndex: Math.max(reqLogTerm, voter.lastLogIndex + prng.int(-3, 3)), lastLogTerm: reqLogTerm, preVote: false };
    return { voter, request };
  });
}

const upToDate = (k: Case) => k.request.lastLogTerm > k.voter.lastLogTerm || (k.request.lastLogTerm === k.voter.lastLogTerm && k.request.lastLogIndex >= k.voter.lastLogIndex);

async function onePerTerm(ctx: CheckContext): Promise<void> {
  const m = await load(ctx);
  for (const k of cases("one-vote", seeds(600), (p) => (p.next() < 0.5 ? "n9" : null))) {
    const d = m.decide(k.voter, k.request);
    if (k.voter.votedFor !== null && d.grant) {
      throw new CheckFailure(`at most one vote per term: a voter that already voted for ${k.voter.votedFor} in term ${k.voter.term} granted a second vote to ${k.request.candidate} in the same term`, {
        expected: "grant: false",
        received: `grant: ${String(d.grant)} for voter ${show(k.voter)}, request ${show(k.request)}`,
      });
    }
    if (k.voter.votedFor === null && upToDate(k) && !d.grant) {
      throw new CheckFailure(`a voter that has not voted in term ${k.voter.term} refused an up-to-date candidate (${d.why}): without those votes no leader is elected`, {
        expected: "grant: true",
        received: `grant: false for voter ${show(k.voter)}, request ${show(k.request)}`,
      });
    }
    const old = m.decide(k.voter, { ...k.request, term: k.voter.term - 1 });
    if (old.grant && k.voter.term > 1) {
      throw new CheckFailure(`a request from an older term (${k.voter.term - 1}, the voter is at ${k.voter.term}) was granted: refuse every request below the voter's term`, {
        expected: "grant: false",
        received: `grant: true for voter ${show(k.voter)}`,
      });
    }
  }
}

async function logRule(ctx: CheckContext): Promise<void> {
  const m = await load(ctx);
  for (const k of cases("log-rule", seeds(800), () => null)) {
    const d = m.decide(k.voter, k.request);
    if (d.grant !== upToDate(k)) {
      throw new CheckFailure(
        `the candidate's log (last term ${k.request.lastLogTerm}, last index ${k.request.lastLogIndex}) against the voter's (last term ${k.voter.lastLogTerm}, last index ${k.voter.lastLogIndex}): ${upToDate(k) ? "it is at least as up to date and must be granted" : "it is less up to date and must be refused"} (compare last terms first, then last indexes)`,
        { expected: `grant: ${String(upToDate(k))}`, received: `grant: ${String(d.grant)} (${d.why})` },
      );
    }
  }
}

async function observe(ctx: CheckContext): Promise<void> {
  const m = await load(ctx);
  const prng = createPrng("observe");
  const roles = ["follower", "candidate", "leader"] as const;
  for (let i = 0; i < seeds(600); i++) {
    const node: Rules.TermState = { term: prng.int(0, 40), votedFor: prng.next() < 0.5 ? "n1" : null, role: roles[prng.int(0, 2)]!, leader: prng.next() < 0.5 ? "n2" : null };
    const seen = node.term + prng.int(-3, 3);
    const before = show(node);
    const got = m.observeTerm({ ...node }, seen);
    if (show(node) !== before) throw new CheckFailure("observeTerm changed the state it was given: return a new state, the caller's is plain data it may still use", { expected: before, received: show(node) });
    const want = seen > node.term ? { term: seen, votedFor: null, role: "follower", leader: null } : node;
    if (got.term !== want.term || got.votedFor !== want.votedFor || got.role !== want.role || (seen > node.term && got.leader !== null)) {
      throw new CheckFailure(
        seen > node.term
          ? `a ${node.role} at term ${node.term} saw term ${seen}: it must adopt the higher term, forget its vote and leader, and step down to follower before deciding anything`
          : `a ${node.role} at term ${node.term} saw term ${seen} (not higher): its term, vote and role must stay as they are`,
        { expected: show(want), received: show(got) },
      );
    }
  }
}

async function timeouts(ctx: CheckContext): Promise<void> {
  const m = await load(ctx);
  const ranges = [
    [10, 20],
    [150, 300],
    [5, 6],
    [1, 100],
    [7, 7],
  ] as const;
  for (const [lo, hi] of ranges) {
    const values: number[] = [];
    for (let s = 0; s < seeds(300); s++) {
      const v = m.electionTimeoutTicks(createPrng(`timeout-${lo}-${hi}-${s}`), lo, hi);
      const again = m.electionTimeoutTicks(createPrng(`timeout-${lo}-${hi}-${s}`), lo, hi);
      if (!Number.isInteger(v) || v < lo || v > hi) {
        throw new CheckFailure(`electionTimeoutTicks(prng, ${lo}, ${hi}) returned ${v}: a timeout is a whole number of ticks within [min, max], both ends included`, { expected: `an integer in ${lo}..${hi}`, received: String(v) });
      }
      if (again !== v) throw new CheckFailure(`two prngs with the same seed gave ${v} and ${again} ticks: draw the timeout from the injected prng only, not Math.random()`, { expected: String(v), received: String(again) });
      values.push(v);
    }
    const distinct = new Set(values).size;
    const want = Math.min(hi - lo + 1, 3);
    if (distinct < want || (hi > lo && (!values.includes(lo) || !values.includes(hi)) && hi - lo < 3)) {
      throw new CheckFailure(`over ${values.length} seeds electionTimeoutTicks(prng, ${lo}, ${hi}) gave ${distinct} distinct value(s) (${[...new Set(values)].slice(0, 8).join(", ")}): draw over the whole range, both ends included, so timeouts differ between nodes`, {
        expected: `values spread over ${lo}..${hi}`,
        received: [...new Set(values)].sort((a, b) => a - b).slice(0, 12).join(", "),
      });
    }
  }
}

export const VOTE_RULES_HIDDEN: HiddenTest[] = [
  hidden(c(1), "cases", { title: "seeded voter states: one vote per term, requests from older terms refused", weight: 1, files: FILES, run: onePerTerm }),
  hidden(c(1), "cluster", {
    title: "5 nodes under partitions (one-way too), pauses and crashes: never two leaders in one term",
    weight: 2,
    files: FILES,
    faultRun: true,
    run: (ctx) =>
      hiddenFaultRuns(ctx, {
        looksFor: "two leaders elected in one term",
        pieces: { core: true, client: false },
        runs: [{ nodes: 5, workload: "lin-kv", nemesis: ["partition", "pause", "kill"], timeLimitS: 8, seeds: 16, firstSeed: 301 }],
        checks: () => ["elections"],
        hint: "A node votes at most once per term.",
      }),
  }),
  hidden(c(2), "cases", { title: "seeded logs: a vote only for a candidate whose log is at least as up to date", weight: 1, files: FILES, run: logRule }),
  hidden(c(2), "cluster", {
    title: "5 nodes, the leader crashed mid-write and restarted from disk: no committed entry lost (linearizability)",
    weight: 2,
    files: FILES,
    faultRun: true,
    run: (ctx) =>
      hiddenFaultRuns(ctx, {
        looksFor: "a committed entry lost to a leader elected with a shorter log",
        pieces: { core: true, client: false },
        runs: [{ nodes: 5, workload: "lin-kv", nemesis: ["kill", "partition"], timeLimitS: 8, seeds: 10, firstSeed: 321 }],
        hint: "Refuse a candidate whose last log term is lower, or equal with a shorter log.",
      }),
  }),
  hidden(c(3), "cases", { title: "seeded term states: a higher term is adopted with the vote and leader forgotten, the node a follower", weight: 1, files: FILES, run: observe }),
  hidden(c(3), "cluster", {
    title: "3 nodes under one-way partitions and pauses: a returning node with a higher term makes the leader step down, and a leader is elected again",
    weight: 2,
    files: FILES,
    faultRun: true,
    run: (ctx) =>
      hiddenFaultRuns(ctx, {
        looksFor: "a stale leader that did not step down, or no leader after the faults healed",
        pieces: { core: true, client: false },
        runs: [{ nodes: 3, workload: "exactly-once", nemesis: ["partition", "pause"], timeLimitS: 8, seeds: 10, firstSeed: 341 }],
        checks: () => ["elections", "exactly-once", "liveness"],
        hint: "On a higher term: adopt it, forget the vote, step down, then decide.",
      }),
  }),
  hidden(c(4), "ranges", { title: "election timeouts over many seeds and ranges: whole ticks in [min, max], from the prng alone, spread", weight: 1, files: FILES, run: timeouts }),
  hidden(c(4), "cluster", {
    title: "5 nodes under pauses and crashes: a leader is elected again within the liveness bound",
    weight: 1,
    files: FILES,
    faultRun: true,
    run: (ctx) =>
      hiddenFaultRuns(ctx, {
        looksFor: "split votes that never end (timeouts that do not differ between nodes)",
        pieces: { core: true, client: false },
        runs: [{ nodes: 5, workload: "lin-kv", nemesis: ["pause", "kill"], timeLimitS: 6, seeds: 8, firstSeed: 361 }],
        checks: () => ["liveness"],
        hint: "Draw each timeout from the injected prng within [min, max].",
      }),
  }),
  hidden(c(5), "cluster", {
    title: "3 and 5 nodes under partitions, crashes, pauses, clock jumps, loss and delay: one leader per term, no committed entry lost, a leader after the heal",
    weight: 3,
    files: [...FILES, "src/client-tracker.ts"],
    faultRun: true,
    run: (ctx) =>
      hiddenFaultRuns(ctx, {
        looksFor: "two leaders in a term, a lost committed entry, or no leader after the heal",
        pieces: { core: true, client: false },
        runs: [
          { nodes: 5, workload: "exactly-once", nemesis: ["partition", "kill", "pause", "clock", "loss", "delay"], timeLimitS: 10, seeds: 10, firstSeed: 381 },
          { nodes: 3, workload: "lin-kv", nemesis: ["partition", "kill", "pause", "loss"], timeLimitS: 10, seeds: 10, firstSeed: 391 },
        ],
        checks: (run) => ["elections", run.workload === "lin-kv" ? "linearizability" : "exactly-once", "liveness"],
        hint: "Votes: one per term, only to up-to-date logs, after adopting a higher term.",
      }),
  }),
];
