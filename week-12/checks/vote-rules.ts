/**
 * The checks of the vote-rules lesson: criteria #1-#4 call the workbook's
 * src/vote-rules.ts on hand-made plain states, with frozen inputs (a rule is
 * a pure function); #5 runs the workbook's rules inside the reference Raft
 * under the simulator's partitions, crashes and pauses, with 3 and with 5
 * nodes, and lets the election-safety check (at most one leader per term,
 * from the nodes' own events) and the workload's safety checker (no
 * acknowledged write lost) decide. The runs pair the workbook's vote rules
 * with the reference session table (plug/vote-core.ts, which the replay
 * command names), so this lesson judges the vote rules alone: a tracker
 * written later, right or wrong, never changes its verdict.
 */
import { createPrng, type Prng } from "@dslab/protocol";
import { DEFAULT_CONFIG, replayCommand, type CoreFactory, type RunConfig, type RunResults } from "@dslab/sim";
import type { TermState, VoteDecision, VoteRequest, VoterState } from "../src/vote-rules.js";
import { coreFactoryFor, VOTE_CORE_MODULE } from "../plug/core-factory.js";
import { faultRuns, type FaultRunSpec } from "./fault-run.js";
import { criterion, LESSON } from "./lessons.js";
import { CheckFailure, type CheckContext, type CriterionCheck, type Workbook } from "./types.js";

interface VoteRulesModule {
  observeTerm(node: TermState, seenTerm: number): TermState;
  decide(voter: VoterState, request: VoteRequest): VoteDecision;
  electionTimeoutTicks(prng: Prng, minTicks: number, maxTicks: number): number;
}

const FILE = "src/vote-rules.ts" as const;

async function load(workbook: Workbook): Promise<VoteRulesModule> {
  const mod = await workbook.import<Partial<VoteRulesModule>>(FILE);
  for (const f of ["observeTerm", "decide", "electionTimeoutTicks"] as const) {
    if (typeof mod[f] !== "function") throw new CheckFailure(`${FILE} does not export a function ${f}`);
  }
  return mod as VoteRulesModule;
}

/** A frozen copy: a rule that changes its input throws, and `pure` says so. */
function frozen<T extends object>(o: T): T {
  return Object.freeze({ ...o });
}

function pure<T>(fn: string, call: () => T): T {
  try {
    return call();
  } catch (e) {
    if (e instanceof TypeError && /read.only|not extensible|Cannot (assign|add|delete)/i.test(e.message)) {
      throw new CheckFailure(`${fn} changed the object it was given (${e.message}): return a new object instead; the vote rules are pure functions of plain data`);
    }
    throw e;
  }
}

// ------------------------------------------------------------------ decide --

const voter = (o: Partial<VoterState> = {}): VoterState => frozen({ term: 5, votedFor: null, leader: null, lastLogIndex: 10, lastLogTerm: 4, ...o });
const ask = (o: Partial<VoteRequest> = {}): VoteRequest => frozen({ candidate: "n2", term: 5, lastLogIndex: 10, lastLogTerm: 4, preVote: false, ...o });

interface DecideCase {
  /** The situation, as the failure message tells it. */
  situation: string;
  voter: VoterState;
  request: VoteRequest;
  grant: boolean;
  /** Why this is the answer: the rule, in words. */
  rule: string;
}

const show = {
  voter: (v: VoterState) => `voter {term ${v.term}, votedFor ${v.votedFor ?? "null"}, leader ${v.leader ?? "null"}, last log index ${v.lastLogIndex}, last log term ${v.lastLogTerm}}`,
  request: (r: VoteRequest) =>
    `${r.preVote ? "pre-vote" : "vote"} request {candidate ${r.candidate}, term ${r.term}, last log index ${r.lastLogIndex}, last log term ${r.lastLogTerm}}`,
  grant: (g: boolean) => (g ? "granted" : "refused"),
};

function checkDecisions(rules: VoteRulesModule, cases: DecideCase[]): void {
  for (const c of cases) {
    const decision = pure("decide", () => rules.decide(c.voter, c.request));
    if (typeof decision !== "object" || decision === null || typeof decision.grant !== "boolean") {
      throw new CheckFailure(`decide returned ${JSON.stringify(decision)}, not a decision { grant: boolean, why: string }`, {
        expected: `{ grant: ${c.grant}, why: ... }`,
        received: JSON.stringify(decision),
      });
    }
    if (decision.grant !== c.grant) {
      throw new CheckFailure(`${c.situation}: decide ${show.grant(decision.grant)} it, but ${c.rule}`, {
        expected: `${show.grant(c.grant)} (${show.voter(c.voter)}, ${show.request(c.request)})`,
        received: decision.grant ? "granted" : `refused: ${decision.why}`,
      });
    }
  }
}

const ONE_VOTE_PER_TERM: DecideCase[] = [
  {
    situation: "a first vote request in the voter's term, from a log as up to date",
    voter: voter(),
    request: ask(),
    grant: true,
    rule: "a voter that has not voted in its term and knows no leader of it grants the first up-to-date candidate",
  },
  {
    situation: "n2 asks again in term 5 after the voter voted for n2 in term 5",
    voter: voter({ votedFor: "n2" }),
    request: ask(),
    grant: true,
    rule: "the same candidate asking again (a retried request) is granted again: it is still one vote",
  },
  {
    situation: "n3 asks for a vote in term 5 after the voter voted for n2 in term 5",
    voter: voter({ votedFor: "n2" }),
    request: ask({ candidate: "n3" }),
    grant: false,
    rule: "a vote was already granted in this term: at most one vote per term, so a second candidate is refused",
  },
  {
    situation: "n2 asks for a vote in term 5 while the voter follows n3 as the leader of term 5",
    voter: voter({ leader: "n3" }),
    request: ask(),
    grant: false,
    rule: "term 5 already has a leader: no vote once a leader of the term is known",
  },
  {
    situation: "n2 asks for a vote in term 4 while the voter is in term 5",
    voter: voter(),
    request: ask({ term: 4 }),
    grant: false,
    rule: "a vote is cast only in the voter's own term (a request of an older term is stale)",
  },
  {
    situation: "n2 asks for a pre-vote for term 6 after the voter voted for n3 in term 5",
    voter: voter({ votedFor: "n3" }),
    request: ask({ term: 6, preVote: true }),
    grant: true,
    rule: "a pre-vote is not a vote: it is granted for a later term to an up-to-date log, whatever the voter voted in its own term",
  },
  {
    situation: "n2 asks for a pre-vote for term 5, the voter's own term",
    voter: voter(),
    request: ask({ preVote: true }),
    grant: false,
    rule: "a pre-vote is granted only for a term later than the voter's",
  },
];

const UP_TO_DATE_LOG: DecideCase[] = [
  {
    situation: "a candidate whose last log term (3) is older than the voter's (4), though its log is longer (99 entries against 10)",
    voter: voter(),
    request: ask({ lastLogTerm: 3, lastLogIndex: 99 }),
    grant: false,
    rule: "the log whose last entry has the higher term is the more up to date, whatever the lengths: the candidate is behind",
  },
  {
    situation: "a candidate with the same last log term (4) as the voter but a shorter log (9 entries against 10)",
    voter: voter(),
    request: ask({ lastLogIndex: 9 }),
    grant: false,
    rule: "with the same last term the longer log is the more up to date: the candidate is behind",
  },
  {
    situation: "a candidate whose log equals the voter's (last index 10, last term 4)",
    voter: voter(),
    request: ask(),
    grant: true,
    rule: "a log exactly as up to date is enough (at least as up to date)",
  },
  {
    situation: "a candidate whose last log term (5) is newer than the voter's (4), though its log is shorter (1 entry against 10)",
    voter: voter(),
    request: ask({ lastLogTerm: 5, lastLogIndex: 1 }),
    grant: true,
    rule: "the log whose last entry has the higher term is the more up to date, however short",
  },
  {
    situation: "a pre-vote for term 6 from a candidate with the same last log term but a shorter log",
    voter: voter(),
    request: ask({ term: 6, preVote: true, lastLogIndex: 9 }),
    grant: false,
    rule: "a pre-vote follows the same log rule as a vote: the candidate is behind",
  },
];

// ------------------------------------------------------------- observeTerm --

const node = (o: Partial<TermState> = {}): TermState => frozen({ term: 3, votedFor: null, role: "follower", leader: null, ...o });
const showNode = (t: TermState) => `{term ${t.term}, ${t.role}, votedFor ${t.votedFor ?? "null"}, leader ${t.leader ?? "null"}}`;

interface ObserveCase {
  situation: string;
  node: TermState;
  seen: number;
  after: TermState;
}

const OBSERVE_CASES: ObserveCase[] = [
  { situation: "a leader of term 3 sees term 5", node: node({ role: "leader", votedFor: "n1", leader: "n1" }), seen: 5, after: node({ term: 5 }) },
  { situation: "a candidate of term 3 sees term 5", node: node({ role: "candidate", votedFor: "n1" }), seen: 5, after: node({ term: 5 }) },
  { situation: "a follower that voted for n2 in term 3 sees term 4", node: node({ votedFor: "n2", leader: "n2" }), seen: 4, after: node({ term: 4 }) },
  { situation: "a leader of term 3 sees term 3", node: node({ role: "leader", votedFor: "n1", leader: "n1" }), seen: 3, after: node({ role: "leader", votedFor: "n1", leader: "n1" }) },
  { situation: "a candidate of term 3 sees term 2", node: node({ role: "candidate", votedFor: "n1" }), seen: 2, after: node({ role: "candidate", votedFor: "n1" }) },
  { situation: "a follower of term 3 that voted for n2 sees term 3", node: node({ votedFor: "n2", leader: "n2" }), seen: 3, after: node({ votedFor: "n2", leader: "n2" }) },
];

function observeMistake(c: ObserveCase, got: TermState): string {
  const higher = c.seen > c.node.term;
  if (!higher) return `a term that is not higher than the node's changes nothing: return the node as it was`;
  if (got.term !== c.seen) return `a node adopts the higher term it sees (term ${c.seen}), before anything else`;
  if (got.votedFor !== null) return `its vote (for ${got.votedFor}) was cast in term ${c.node.term}; in the new term ${c.seen} it has not voted yet, so votedFor must be null`;
  if (got.role !== "follower") return `a node that adopts a higher term steps down to follower (a ${got.role} of an old term is no longer one)`;
  return `a term seen in a message says nothing of who leads it: leader must be null until the new leader's own messages arrive`;
}

function checkObserve(rules: VoteRulesModule): void {
  for (const c of OBSERVE_CASES) {
    const got = pure("observeTerm", () => rules.observeTerm(c.node, c.seen));
    const ok = typeof got === "object" && got !== null && (["term", "votedFor", "role", "leader"] as const).every((f) => got[f] === c.after[f]);
    if (ok) continue;
    if (typeof got !== "object" || got === null) {
      throw new CheckFailure(`observeTerm returned ${JSON.stringify(got)} when ${c.situation}, not a state {term, votedFor, role, leader}`, {
        expected: showNode(c.after),
        received: String(got),
      });
    }
    throw new CheckFailure(`${c.situation}: ${observeMistake(c, got)}`, {
      expected: showNode(c.after),
      received: showNode(got),
    });
  }
  // A fresh vote in the new term: observeTerm first, then decide, as Raft does.
  const before = node({ term: 3, votedFor: "n2", leader: "n2" });
  const after = pure("observeTerm", () => rules.observeTerm(before, 5));
  const v = voter({ term: after.term, votedFor: after.votedFor, leader: after.leader });
  const decision = pure("decide", () => rules.decide(v, ask({ candidate: "n3", term: 5 })));
  if (typeof decision !== "object" || decision === null || typeof decision.grant !== "boolean") {
    throw new CheckFailure(`decide returned ${JSON.stringify(decision) ?? "undefined"}, not a decision { grant: boolean, why: string }`, {
      expected: "{ grant: true, why: ... }",
      received: JSON.stringify(decision) ?? "undefined",
    });
  }
  if (decision.grant !== true) {
    throw new CheckFailure(
      "a follower that voted for n2 in term 3 gets n3's vote request for term 5: after observeTerm it is in term 5 with no vote cast, so decide must grant n3 (an up-to-date log)",
      { expected: "granted", received: `refused: ${decision.why} (state after observeTerm: ${showNode(after)})` },
    );
  }
}

// ---------------------------------------------------- electionTimeoutTicks --

/** A PRNG that counts how often the code under test draws from it. */
function counting(prng: Prng): { prng: Prng; draws: () => number } {
  let n = 0;
  const wrapped: Prng = {
    seed: prng.seed,
    next: () => (n++, prng.next()),
    int: (lo, hi) => (n++, prng.int(lo, hi)),
    chance: (p) => (n++, prng.chance(p)),
    pick: (items) => (n++, prng.pick(items)),
    fork: (label) => (n++, prng.fork(label)),
  };
  return { prng: wrapped, draws: () => n };
}

function checkTimeouts(rules: VoteRulesModule): void {
  const draw = (prng: Prng, min: number, max: number): number => rules.electionTimeoutTicks(prng, min, max);
  const ranges: Array<[number, number]> = [
    [10, 20],
    [150, 300],
    [7, 7],
  ];
  for (const [min, max] of ranges) {
    const seen = new Set<number>();
    for (let seed = 1; seed <= 8; seed++) {
      const real = createPrng(`vote-rules/${seed}`);
      const twin = createPrng(`vote-rules/${seed}`);
      const { prng, draws } = counting(real);
      for (let call = 1; call <= 250; call++) {
        const before = draws();
        const t = draw(prng, min, max);
        const made = draws() - before;
        if (made !== 1) {
          throw new CheckFailure(
            `electionTimeoutTicks(prng, ${min}, ${max}) drew ${made} times from the PRNG in one call: draw exactly once (e.g. prng.int(min, max)), so every node's timeouts replay from the seed${made === 0 ? " (Math.random or a fixed value is not the injected PRNG)" : ""}`,
            { expected: "1 draw per call", received: `${made} draws` },
          );
        }
        // The twin, one draw behind: the stream must be where one draw leaves it.
        twin.next();
        if (real.next() !== twin.next()) {
          throw new CheckFailure(`electionTimeoutTicks(prng, ${min}, ${max}) moved the PRNG by more than one draw (through a fork or a copy of it): draw exactly once from the prng you are given`);
        }
        if (!Number.isInteger(t) || t < min || t > max) {
          throw new CheckFailure(`electionTimeoutTicks(prng, ${min}, ${max}) returned ${t}, ${Number.isInteger(t) ? "outside" : "not an integer in"} [${min}, ${max}]: a timeout is a whole number of ticks between min and max, both included`, {
            expected: `an integer in [${min}, ${max}]`,
            received: String(t),
          });
        }
        seen.add(t);
      }
    }
    if (min === max) continue;
    if (seen.size === 1) {
      throw new CheckFailure(`electionTimeoutTicks(prng, ${min}, ${max}) returned ${[...seen][0]} every time: the timeout must be random, or nodes time out together and split the vote forever`);
    }
    for (const end of [min, max]) {
      if (!seen.has(end)) {
        throw new CheckFailure(`electionTimeoutTicks(prng, ${min}, ${max}) never returned ${end} in 2000 draws: the range [${min}, ${max}] includes both ends (prng.int(min, max) covers it)`, {
          expected: `values from ${min} to ${max}`,
          received: `values from ${Math.min(...seen)} to ${Math.max(...seen)}`,
        });
      }
    }
  }
  const run = (seed: string) => {
    const prng = createPrng(seed);
    return Array.from({ length: 10 }, () => draw(prng, 10, 20)).join(",");
  };
  if (run("vote-rules/a") === run("vote-rules/b")) {
    throw new CheckFailure("electionTimeoutTicks gave the same ten timeouts for two different seeds: draw from the prng you are given, not from a generator of your own");
  }
}

// --------------------------------------------------------------- fault runs --

interface ClusterRun {
  nodes: 3 | 5;
  workload: RunConfig["workload"];
  firstSeed: number;
  defaultSeeds: number;
  timeLimitS: number;
}

/**
 * Sized so both together take a few seconds against the reference solution
 * (a run is 0.1-0.4 s of wall time). Five nodes under partitions make split
 * elections, where a second vote in one term elects two leaders: rules that
 * vote twice show it within these seeds (seeds 4, 13 and 15).
 */
export const VOTE_RULES_FAULT_RUNS: readonly ClusterRun[] = [
  { nodes: 3, workload: "exactly-once", firstSeed: 1, defaultSeeds: 4, timeLimitS: 5 },
  { nodes: 5, workload: "lin-kv", firstSeed: 1, defaultSeeds: 16, timeLimitS: 10 },
];

const NEMESIS: RunConfig["nemesis"] = ["partition", "kill", "pause"];

function explain(label: string, safety: string) {
  return (r: RunResults): string => {
    const first = (check: string) => r.anomalies.find((a) => a.check === check);
    const elections = first("elections");
    if (elections) return `${label}, seed ${r.seed}: two leaders in one term: ${elections.message}`;
    const lost = first(safety);
    if (lost || r.checks[safety]?.valid === false) {
      return `${label}, seed ${r.seed}: the ${safety} check failed (${lost ? `${lost.kind}: ${lost.message}` : "an invalid history"}): a leader elected without every committed entry overwrites them`;
    }
    const stuck = first("liveness");
    return `${label}, seed ${r.seed}: no leader served the final reads after the faults healed${stuck ? ` (${stuck.message})` : ""}: votes must be granted to up-to-date candidates, and timeouts must differ between nodes`;
  };
}

async function checkClusterRuns(ctx: CheckContext): Promise<void> {
  await clusterRuns(ctx, await coreFactoryFor(ctx.workbook, { sessionStore: false }), VOTE_CORE_MODULE);
}

async function clusterRuns(ctx: CheckContext, createCore: CoreFactory, coreModule: string): Promise<void> {
  const plans = VOTE_RULES_FAULT_RUNS.map((run) => ({ run, seeds: ctx.seeds ?? run.defaultSeeds }));
  const total = plans.reduce((n, p) => n + p.seeds, 0);
  let done = 0;
  for (const { run, seeds } of plans) {
    const label = `your vote rules in a ${run.nodes}-node cluster (${run.workload}, partitions, crashes and pauses)`;
    const safety = run.workload === "lin-kv" ? "linearizability" : "exactly-once";
    const config: Omit<RunConfig, "seed"> = {
      ...DEFAULT_CONFIG,
      nodes: run.nodes,
      workload: run.workload,
      nemesis: NEMESIS,
      timeLimitS: run.timeLimitS,
      // Named so the replay command loads the same core; the run itself uses `createCore`.
      core: coreModule,
    };
    const spec: FaultRunSpec = {
      label,
      config,
      firstSeed: run.firstSeed,
      defaultSeeds: 1,
      createCore,
      // Safety decides; liveness makes sure leaders were elected at all (no election is trivially safe).
      checks: ["elections", safety, "liveness"],
      explain: explain(label, safety),
    };
    for (let i = 0; i < seeds; i++) {
      const seed = run.firstSeed + i;
      try {
        await faultRuns({ ...ctx, seeds: 1 }, { ...spec, firstSeed: seed }, { offset: done, total });
      } catch (e) {
        throw brokenContract(e, label, { ...config, seed: String(seed) }, ctx.workbook) ?? e;
      }
      done++;
    }
  }
}

/** Raft refused what the rules returned (a VoteRulesError): the student's rules, named with the seed that shows it. */
function brokenContract(e: unknown, label: string, config: RunConfig, workbook: Workbook): CheckFailure | undefined {
  if (!(e instanceof Error) || e.name !== "VoteRulesError") return undefined;
  return new CheckFailure(`${label}, seed ${config.seed}: Raft refused what your rules returned: ${e.message}`, {
    replay: { seed: Number(config.seed), command: workbook.replayEnv + replayCommand(config) },
  });
}

// ------------------------------------------------------------------ checks --

const files: CriterionCheck["files"] = [FILE];

export const VOTE_RULES_CHECKS: CriterionCheck[] = [
  {
    criterion: criterion(LESSON.voteRules, 1),
    title: "at most one vote per term: a second candidate in the same term is refused",
    files,
    async run(ctx) {
      checkDecisions(await load(ctx.workbook), ONE_VOTE_PER_TERM);
    },
  },
  {
    criterion: criterion(LESSON.voteRules, 2),
    title: "a candidate whose log is less up to date than the voter's is refused",
    files,
    async run(ctx) {
      checkDecisions(await load(ctx.workbook), UP_TO_DATE_LOG);
    },
  },
  {
    criterion: criterion(LESSON.voteRules, 3),
    title: "a higher term makes the node adopt it and step down before deciding",
    files,
    async run(ctx) {
      checkObserve(await load(ctx.workbook));
    },
  },
  {
    criterion: criterion(LESSON.voteRules, 4),
    title: "the election timeout is drawn from the injected PRNG, within [min, max]",
    files,
    async run(ctx) {
      checkTimeouts(await load(ctx.workbook));
    },
  },
  {
    criterion: criterion(LESSON.voteRules, 5),
    title: "under partitions and crashes, 3 and 5 nodes elect at most one leader per term and lose no committed entry",
    files: [FILE, "src/client-tracker.ts"],
    faultRun: true,
    run: checkClusterRuns,
  },
];
