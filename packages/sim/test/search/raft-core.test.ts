/**
 * The raft-core-3 scenario: three real reference node cores under every
 * order of their messages and timers, with the reference (no violation)
 * and with known-bad cores and vote rules (caught with a shortest trace
 * that replays).
 */
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { describe, expect, onTestFinished, test } from "vitest";
import { loadSearchCore, loadVoteRules, randomWalkScenario, replayTrace, scenarioModel, searchScenario, type TraceFile } from "../../src/search/index.js";
import { openScenario } from "../../src/explore/index.js";

const root = fileURLToPath(new URL("../../../../", import.meta.url));
const VOTE_TWICE_CORE = fileURLToPath(new URL("../fixtures/search-cores/vote-twice.ts", import.meta.url));
const IGNORES_LOG_RULE_CORE = fileURLToPath(new URL("../fixtures/search-cores/ignores-log-rule.ts", import.meta.url));
const DRIFTING_CLOCK_CORE = fileURLToPath(new URL("../fixtures/search-cores/drifting-clock.ts", import.meta.url));
const APPLIES_AHEAD_CORE = fileURLToPath(new URL("../fixtures/search-cores/applies-ahead.ts", import.meta.url));
const VOTE_TWICE_RULES = join(root, "grader/test/mutants/vote-twice.ts");
const bin = fileURLToPath(new URL("../../bin/kv-sim.js", import.meta.url));
const kvSim = (args: string[]) => execa(process.execPath, [bin, ...args], { reject: false, cwd: root, env: { FORCE_COLOR: "0" } });

/** Two elections in term 1, no client: where a second vote in one term makes two leaders. */
const TWO_CANDIDATES = { appends: 0, maxTerm: 1, maxElections: 2 };

describe("raft-core-3: the real reference node cores", () => {
  test("the reference core, the default shape (an election, one append with a retry): every order is explored with no invariant broken, and the append commits in 11 events", () => {
    const r = searchScenario({ scenario: "raft-core-3" });
    expect(r.end).toBe("space-exhausted");
    expect(r.violation).toBeUndefined();
    expect(r.unique).toBeGreaterThan(10_000);
    const goal = searchScenario({ scenario: "raft-core-3", goal: ["write-committed"] });
    expect(goal.end).toBe("goal-found");
    expect(goal.trace).toHaveLength(11);
    expect(goal.trace![4]).toMatch(/LEADER of term 1/);
    expect(goal.trace!.at(-1)).toMatch(/n1: commit 2, applied 2/);
  });

  test("the reference core across elections and a restart: two candidates in term 1, and a crash restarted from the disk, are exhausted with no invariant broken", () => {
    const two = searchScenario({ scenario: "raft-core-3", ...TWO_CANDIDATES });
    expect(two.end).toBe("space-exhausted");
    expect(two.violation).toBeUndefined();
    const crash = searchScenario({ scenario: "raft-core-3", appends: 0, maxElections: 1, shape: { maxCrashes: 1 } });
    expect(crash.end).toBe("space-exhausted");
    expect(crash.violation).toBeUndefined();
    expect(crash.unique).toBeGreaterThan(1_000);
  });

  test("a known-bad core that grants two votes in one term (--core): two leaders of term 1 in a shortest trace of 10 events, which replays with it and stops applying with the reference", async () => {
    const core = await loadSearchCore(VOTE_TWICE_CORE);
    const r = searchScenario({ scenario: "raft-core-3", core, ...TWO_CANDIDATES });
    expect(r.violation).toEqual({ invariant: "one-leader-per-term", message: "n1 and n2 both became leader of term 1" });
    expect(r.trace).toHaveLength(10);
    expect(r.trace![9]).toMatch(/LEADER of term 1/);
    const trace = JSON.parse(JSON.stringify(r.traceFile)) as TraceFile;
    expect(replayTrace(trace, { core }).violation).toEqual(r.violation);
    const reference = replayTrace(trace, {});
    expect(reference.violation).toBeUndefined();
    expect(reference.diverged?.step).toBeLessThanOrEqual(10);
  });

  test("the grader's vote-twice rules inside the reference core are caught the same way; random walks of the same model find it too, in a run no shorter than the BFS trace", async () => {
    const voteRules = await loadVoteRules(VOTE_TWICE_RULES);
    const r = searchScenario({ scenario: "raft-core-3", voteRules, ...TWO_CANDIDATES });
    expect(r.violation?.invariant).toBe("one-leader-per-term");
    expect(r.trace).toHaveLength(10);
    const walk = randomWalkScenario({ scenario: "raft-core-3", voteRules, ...TWO_CANDIDATES, walks: 500 });
    expect(walk?.violation.invariant).toBe("one-leader-per-term");
    expect(walk!.steps).toBeGreaterThanOrEqual(10);
  });

  test("a known-bad core that skips the log rule: after a restart, a node without the committed no-op is elected (committed-entry-kept, 13 events); random walks of the same model take over a thousand runs to find it", async () => {
    const core = await loadSearchCore(IGNORES_LOG_RULE_CORE);
    const shape = { appends: 0, maxElections: 2, maxCrashes: 1 };
    const r = searchScenario({ scenario: "raft-core-3", core, ...shape });
    expect(r.violation?.invariant).toBe("committed-entry-kept");
    expect(r.violation?.message).toMatch(/^n\d became leader of term 2 without committed entry 1 \(term 1, no-op\)/);
    expect(r.trace).toHaveLength(13);
    expect(r.trace!.some((line) => /^restart/.test(line))).toBe(true);
    expect(replayTrace(JSON.parse(JSON.stringify(r.traceFile)) as TraceFile, { core }).violation).toEqual(r.violation);
    const walk = randomWalkScenario({ scenario: "raft-core-3", core, ...shape, walks: 1_000 });
    expect(walk).toBeUndefined();
  });

  test("the reductions (symmetry of the three nodes, stale replies out of flight) keep the verdicts: with --no-reduce the reference is exhausted clean in about six times the states, and vote-twice is found with a trace as short", async () => {
    for (const shape of [TWO_CANDIDATES, { appends: 0, maxElections: 1, maxCrashes: 1 }]) {
      const reduced = searchScenario({ scenario: "raft-core-3", ...shape });
      const full = searchScenario({ scenario: "raft-core-3", ...shape, reduce: false });
      expect([reduced.end, full.end]).toEqual(["space-exhausted", "space-exhausted"]);
      expect([reduced.violation, full.violation]).toEqual([undefined, undefined]);
      expect(full.unique).toBeGreaterThan(reduced.unique * 5);
      expect(full.unique).toBeLessThanOrEqual(reduced.unique * 6);
    }
    const core = await loadSearchCore(VOTE_TWICE_CORE);
    const full = searchScenario({ scenario: "raft-core-3", core, ...TWO_CANDIDATES, reduce: false });
    expect(full.violation?.invariant).toBe("one-leader-per-term");
    expect(full.trace).toHaveLength(10);
  });

  test("the world is plain data: each step leaves the state it was given as it was, and a state survives JSON", () => {
    const model = scenarioModel("raft-core-3", {}, { appends: 1, maxElections: 1 });
    let s = model.initial();
    for (let i = 0; i < 12; i++) {
      const events = model.events(s);
      if (events.length === 0) break;
      const before = JSON.stringify(s);
      const next = model.step(s, events[0]!);
      expect(JSON.stringify(s)).toBe(before);
      s = next;
    }
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });

  test("the explorer shows each node's Raft state in a few fields, the client, the network and the committed entries, and groups events by what they act on", () => {
    const { model, view } = openScenario({ scenario: "raft-core-3", pieces: {}, source: "the reference core" }).open(undefined);
    let s = model.initial();
    for (const line of ["timer", "pre-vote request", "pre-vote granted", "vote request", "vote granted"]) {
      const event = model.events(s).find((e) => model.describe(e, s, model.step(s, e)).includes(line));
      expect(event, line).toBeDefined();
      s = model.step(s, event!);
    }
    const columns = view!.columns(s);
    expect(columns.map((c) => c.id)).toEqual(["n1", "n2", "n3", "c1", "network", "world"]);
    const leader = columns.find((c) => c.subtitle === "leader")!;
    expect(leader.fields).toMatchObject({ term: 1, log: "1:1", commit: 0 });
    expect(columns.find((c) => c.id === "network")!.fields.inFlight).toEqual(expect.arrayContaining([expect.stringMatching(/append term 1, prev 0\/0, entries \[1:1\]/)]));
    const subjects = model.events(s).map((e) => view!.subject!(e, s));
    expect(subjects.filter((x) => x?.kind === "message").length).toBeGreaterThan(1);
    expect(subjects.some((x) => x?.action === "send" && x.text === `c1's append to ${leader.id}`)).toBe(true);
  });

  test("the explorer's disk field counts the entries on a node's disk, one in the singular", () => {
    const { model, view } = openScenario({ scenario: "raft-core-3", pieces: {}, source: "the reference core" }).open({ maxCrashes: 1 });
    let s = model.initial();
    expect(view!.columns(s).find((c) => c.id === "n1")!.fields.disk).toBe("term 0, vote -, 0 entries");
    for (const line of ["timer", "pre-vote request", "pre-vote granted", "vote request", "vote granted"]) {
      const event = model.events(s).find((e) => model.describe(e, s, model.step(s, e)).includes(line));
      expect(event, line).toBeDefined();
      s = model.step(s, event!);
    }
    const leader = view!.columns(s).find((c) => c.subtitle === "leader")!;
    expect(leader.fields).toMatchObject({ term: 1, log: "1:1", disk: `term 1, vote ${leader.id}, 1 entry` });
  });

  test("kv-sim search --scenario raft-core-3 --core: exit 1 with the trace file and its diagram; kv-sim replay re-runs it against the real core (exit 1), and --help lists the scenario", async () => {
    const dir = await mkdtemp(join(tmpdir(), "raft-core-3-"));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const out = join(dir, "trace.json");
    const r = await kvSim(["search", "--scenario", "raft-core-3", "--appends", "0", "--max-term", "1", "--max-elections", "2", "--core", VOTE_TWICE_CORE, "--trace", out]);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/violated: one-leader-per-term: n1 and n2 both became leader of term 1/);
    expect(r.stdout).toContain(`replay: npm run kv-sim -- replay ${out} --core ${VOTE_TWICE_CORE}`);
    const trace = JSON.parse(await readFile(out, "utf8")) as TraceFile;
    expect(trace.scenario).toBe("raft-core-3");
    expect(trace.shape).toMatchObject({ appends: 0, maxTerm: 1, maxElections: 2 });
    expect(existsSync(join(dir, "trace.html"))).toBe(true);
    const html = await readFile(join(dir, "trace.html"), "utf8");
    expect(html).toContain("one-leader-per-term");
    const again = await kvSim(["replay", out, "--core", VOTE_TWICE_CORE]);
    expect(again.exitCode).toBe(1);
    expect(again.stdout).toMatch(/verdict: one-leader-per-term violated/);
    const reference = await kvSim(["replay", out]);
    expect(reference.exitCode).toBe(0);
    expect(reference.stdout).toMatch(/is not possible with these pieces/);
    const help = await kvSim(["search", "--help"]);
    expect(help.stdout).toMatch(/^  raft-core-3: /m);
    expect(help.stdout).toMatch(/--max-crashes +crashes, each a restart from the node's disk at once \(default 0\)/);
    const store = await kvSim(["search", "--scenario", "raft-core-3", "--store", VOTE_TWICE_CORE]);
    expect(store.exitCode).toBe(2);
    expect(store.stderr).toMatch(/--store: raft-core-3 runs node cores/);
  });
});

describe("raft-core-3: state-machine-safety counts its entries in the singular for one", () => {
  test("two nodes that applied one entry into different state machines: \"both applied 1 entry\"", async () => {
    const core = await loadSearchCore(DRIFTING_CLOCK_CORE);
    const r = searchScenario({ scenario: "raft-core-3", core, appends: 0, maxTerm: 1, maxHeartbeats: 1 });
    expect(r.violation?.invariant).toBe("state-machine-safety");
    expect(r.violation?.message).toMatch(/^n\d and n\d both applied 1 entry but hold different state machines: /);
  });

  test("a node that applied past the one committed entry: \"only 1 entry is known committed\"", async () => {
    const core = await loadSearchCore(APPLIES_AHEAD_CORE);
    const r = searchScenario({ scenario: "raft-core-3", core, appends: 0, maxTerm: 1 });
    expect(r.violation).toEqual({ invariant: "state-machine-safety", message: "n1 applied entries up to 2, but only 1 entry is known committed" });
  });
});
