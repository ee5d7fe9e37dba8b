import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa, parseCommandString } from "execa";
import { describe, expect, onTestFinished, test } from "vitest";
import { fnv1a64, loadStore, randomWalkScenario, replayTrace, searchScenario, stableStringify, type TraceFile } from "../../src/search/index.js";

const root = fileURLToPath(new URL("../../../../", import.meta.url));
const SOLUTION = join(root, "grader/solutions/week-12/src/dedup-kv-store.ts");
const MUTANT = join(root, "grader/test/mutants/stale-rewinds-last-seq.ts");
const bin = fileURLToPath(new URL("../../bin/kv-sim.js", import.meta.url));
const kvSim = (args: string[]) => execa(process.execPath, [bin, ...args], { reject: false, cwd: root, env: { FORCE_COLOR: "0" } });
const VOTE_TWICE = join(root, "grader/test/mutants/vote-twice.ts");

describe("search: every order of the dedup-single scenario", () => {
  test("the reference store: the space is exhausted with no violation, and states are deduplicated", async () => {
    const store = await loadStore(SOLUTION);
    const r = searchScenario({ scenario: "dedup-single", store, clients: 1, appends: 2 });
    expect(r.end).toBe("space-exhausted");
    expect(r.violation).toBeUndefined();
    expect(r.unique).toBe(r.explored);
    expect(r.unique).toBeGreaterThan(100);
    const two = searchScenario({ scenario: "dedup-single", store, clients: 2, appends: 1 });
    expect(two.end).toBe("space-exhausted");
    expect(two.depth).toBeGreaterThan(r.depth - 4);
  });

  test("a stale refusal that rewinds the last seq: BFS finds the double append with a shortest trace of 5 events, and random DFS finds it too", async () => {
    const store = await loadStore(MUTANT);
    const r = searchScenario({ scenario: "dedup-single", store, clients: 1, appends: 2 });
    expect(r.end).toBe("invariant-violated");
    expect(r.violation?.invariant).toBe("appends-at-most-once");
    expect(r.violation?.message).toMatch(/append "c1:2" was applied twice/);
    expect(r.trace).toHaveLength(5);
    expect(r.trace!.join("\n")).toMatch(/append "c1:1" \(client c1 seq 1\) => error 1000/);
    const dfs = searchScenario({ scenario: "dedup-single", store, clients: 1, appends: 2, strategy: "random-dfs", seed: 7 });
    expect(dfs.end).toBe("invariant-violated");
    expect(dfs.trace!.length).toBeGreaterThanOrEqual(5);
  });

  test("random walks of the same model, for comparison: the first walk that finds the double append is no shorter than BFS's trace", async () => {
    const store = await loadStore(MUTANT);
    const walk = randomWalkScenario({ scenario: "dedup-single", store, clients: 1, appends: 2, walks: 1000 });
    // In a model this small, random walks meet the bad order too (within a few seeds): the search's gain is the shortest trace and the proof that no order was missed.
    expect(walk?.steps).toBeGreaterThanOrEqual(5);
    const reference = randomWalkScenario({ scenario: "dedup-single", store: await loadStore(SOLUTION), clients: 1, appends: 2, walks: 1000 });
    expect(reference).toBeUndefined();
  });

  test("goal and prune: clients-done is reached, and pruning at it still exhausts the space", async () => {
    const store = await loadStore(SOLUTION);
    const goal = searchScenario({ scenario: "dedup-single", store, clients: 1, appends: 2, goal: ["clients-done"] });
    expect(goal.end).toBe("goal-found");
    expect(goal.trace).toHaveLength(4); // deliver, reply, deliver, reply
    const pruned = searchScenario({ scenario: "dedup-single", store, clients: 1, appends: 2, prune: ["clients-done"] });
    expect(pruned.end).toBe("space-exhausted");
    expect(pruned.explored).toBeGreaterThan(0);
  });

  test("a trace file replays step by step: the violation again with the mutant, every invariant holding with the reference store", async () => {
    const r = searchScenario({ scenario: "dedup-single", store: await loadStore(MUTANT), clients: 1, appends: 2 });
    const trace = JSON.parse(JSON.stringify(r.traceFile)) as TraceFile;
    const again = replayTrace(trace, await loadStore(MUTANT));
    expect(again.lines).toEqual(r.trace);
    expect(again.violation).toEqual(r.violation);
    const reference = replayTrace(trace, await loadStore(SOLUTION));
    expect(reference.violation).toBeUndefined();
  });

  test("hashing: stable JSON ignores key order; FNV-1a 64 matches the published vectors", () => {
    expect(stableStringify({ b: 1, a: [{ d: 2, c: 3 }] })).toBe(stableStringify({ a: [{ c: 3, d: 2 }], b: 1 }));
    const hex = (s: string) => fnv1a64(s).split(":").map((p) => parseInt(p, 36).toString(16).padStart(8, "0")).join("");
    expect(hex("")).toBe("cbf29ce484222325");
    expect(hex("a")).toBe("af63dc4c8601ec8c");
    expect(hex("foobar")).toBe("85944171f73967e8");
  });
});

describe("kv-sim search and replay", () => {
  test.each([
    ["no-state.ts", "a new DedupKVStore has no `state`"],
    ["cyclic-state.ts", "a new DedupKVStore has a `state` that cannot be written as JSON"],
  ])("a --store whose state is not plain data (%s) is a usage error naming the file, not a crash", async (fixture, why) => {
    const file = join(root, "packages/sim/test/fixtures/search-stores", fixture);
    const r = await kvSim(["search", "--scenario", "dedup-single", "--clients", "1", "--appends", "1", "--store", file]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`kv-sim: --store: cannot load ${file}: ${why}`);
    expect(r.stderr).not.toMatch(/internal error|a bug/);
  }, 60_000);

  test("a --store that throws while it loads says what it threw and where, at its own line", async () => {
    const file = join(root, "packages/sim/test/fixtures/search-stores/throws-at-load.ts");
    const r = await kvSim(["search", "--scenario", "dedup-single", "--clients", "1", "--appends", "1", "--store", file]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.split("\n")[0]).toBe(`kv-sim: --store: cannot load ${file}: it threw ReferenceError: hi is not defined at packages/sim/test/fixtures/search-stores/throws-at-load.ts:3:1`);
  }, 60_000);

  test("--help lists every scenario with its shape options and their defaults, its invariants, goals and prunes, and the exit codes; a bad scenario or shape option is a usage error (exit 2)", async () => {
    const h = await kvSim(["search", "--help"]);
    expect(h.exitCode).toBe(0);
    expect(h.stdout).toMatch(/Usage: kv-sim search --scenario NAME/);
    expect(h.stdout).toMatch(/^  dedup-single: /m);
    expect(h.stdout).toMatch(/^  vote-rules-3: /m);
    expect(h.stdout).toMatch(/--max-retries +retries per append after its first attempt \(default 1\)/);
    expect(h.stdout).toMatch(/--max-term +no election timer fires at this term or later \(default 3\)/);
    expect(h.stdout).toMatch(/invariants \(--invariant; default all\): one-leader-per-term, committed-entries-kept, rules-keep-contract, nothing-decided-offline/);
    expect(h.stdout).toMatch(/goals and prunes \(--goal, --prune\): clients-done/);
    expect(h.stdout).toMatch(/Exit 0: space exhausted/);
    const bad = await kvSim(["search", "--scenario", "raft-9"]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/--scenario: expected one of dedup-single, vote-rules-3, leader-change-3, raft-core-3, got "raft-9"/);
    const wrongShape = await kvSim(["search", "--scenario", "vote-rules-3", "--clients", "2", "--solution"]);
    expect(wrongShape.exitCode).toBe(2);
    expect(wrongShape.stderr).toMatch(/--clients: vote-rules-3 has no such shape option/);
  });

  test("exit 0 for an exhausted space, 3 for the time limit, 1 for a violation with its trace file, which kv-sim replay re-runs", async () => {
    const dir = await mkdtemp(join(tmpdir(), "kv-sim-search-"));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const ok = await kvSim(["search", "--scenario", "dedup-single", "--clients", "1", "--appends", "2", "--solution"]);
    expect(ok.exitCode).toBe(0);
    expect(ok.stdout).toMatch(/^end: space exhausted$/m);
    expect(ok.stdout).toMatch(/^unique states: \d+$/m);
    expect(ok.stdout).toMatch(/^states per second: \d+$/m);
    const slow = await kvSim(["search", "--scenario", "dedup-single", "--clients", "2", "--appends", "3", "--max-time-s", "0.2", "--solution"]);
    expect(slow.exitCode).toBe(3);
    expect(slow.stdout).toMatch(/^end: time limit$/m);
    const trace = join(dir, "t.json");
    const bad = await kvSim(["search", "--scenario", "dedup-single", "--clients", "1", "--appends", "2", "--store", MUTANT, "--trace", trace]);
    expect(bad.exitCode).toBe(1);
    expect(bad.stdout).toMatch(/^violated: appends-at-most-once: append "c1:2" was applied twice/m);
    expect(bad.stdout).toMatch(/^trace \(5 events\):$/m);
    expect(JSON.parse(await readFile(trace, "utf8")).kind).toBe("dslab-search-trace");
    expect(bad.stdout).toContain(`message diagram: ${join(dir, "t.html")}`);
    const html = await readFile(join(dir, "t.html"), "utf8");
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain("appends-at-most-once");
    expect(html).toMatch(/<svg[^>]*>/);
    expect(html).not.toMatch(/<script src=|<link /);
    const replay = await kvSim(["replay", trace, "--store", MUTANT]);
    expect(replay.exitCode).toBe(1);
    expect(replay.stdout).toMatch(/^verdict: appends-at-most-once violated/m);
    const fixed = await kvSim(["replay", trace, "--solution"]);
    expect(fixed.exitCode).toBe(0);
    expect(fixed.stdout).toMatch(/^verdict: every invariant holds/m);
  });

  test("a --trace or --html that cannot be written is said in one line after the verdict (search exit 1 for its violation, replay 4 when nothing is violated), not an internal error", async () => {
    const dir = await mkdtemp(join(tmpdir(), "kv-sim-search-unwritable-"));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, "a-file");
    await writeFile(file, "x");
    const search = await kvSim(["search", "--scenario", "dedup-single", "--clients", "1", "--appends", "2", "--store", MUTANT, "--trace", dir]);
    expect(search.exitCode).toBe(1);
    expect(search.stdout).toMatch(/^violated: appends-at-most-once: /m);
    expect(search.stderr).toMatch(new RegExp(`^kv-sim: --trace ${dir}: cannot write the trace and its diagram: EISDIR: .*; the verdict above stands$`));
    // Under /proc a recursive mkdir would never return: the directory is made a level at a time and refused at once.
    const proc = await kvSim(["search", "--scenario", "dedup-single", "--clients", "1", "--appends", "2", "--store", MUTANT, "--trace", "/proc/kv-sim-no-such/t.json"]);
    expect(proc.exitCode).toBe(1);
    expect(proc.stderr).toBe(
      "kv-sim: --trace /proc/kv-sim-no-such/t.json: cannot write the trace and its diagram: cannot create /proc/kv-sim-no-such: " +
        "/proc allows no new directory there (ENOENT; /proc and /sys hold no data); the verdict above stands",
    );
    const trace = join(dir, "t.json");
    await kvSim(["search", "--scenario", "dedup-single", "--clients", "1", "--appends", "2", "--store", MUTANT, "--trace", trace]);
    const replay = await kvSim(["replay", trace, "--solution", "--html", join(file, "t.html")]);
    expect(replay.exitCode).toBe(4);
    expect(replay.stdout).toMatch(/^verdict: every invariant holds/m);
    expect(replay.stderr).toMatch(new RegExp(`^kv-sim: --html ${join(file, "t.html")}: cannot write the diagram: ENOTDIR: `));
    expect(search.stderr + replay.stderr).not.toMatch(/internal error/);
  });

  test("replay refuses a trace file whose shape, invariants or lines its scenario cannot take (exit 4, naming the field), rather than replaying it under defaults", async () => {
    const dir = await mkdtemp(join(tmpdir(), "kv-sim-replay-fields-"));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const trace = join(dir, "t.json");
    await kvSim(["search", "--scenario", "dedup-single", "--clients", "1", "--appends", "2", "--store", MUTANT, "--trace", trace]);
    const good = JSON.parse(await readFile(trace, "utf8")) as Record<string, unknown>;
    const cases: [string, Record<string, unknown>, string][] = [
      ["appends-text", { shape: { ...(good.shape as object), appends: "x" } }, '"shape": appends: expected an integer >= 0, got "x"'],
      ["shape-list", { shape: [1] }, '"shape": expected an object of numbers'],
      ["unknown-invariant", { invariants: ["no-such-invariant"] }, '"invariants": dedup-single has no invariant "no-such-invariant" (it has appends-at-most-once, appends-linearizable, results-ok)'],
      ["lines-numbers", { lines: [1, 2] }, '"lines": expected a list of strings'],
    ];
    for (const [name, change, message] of cases) {
      const file = join(dir, `${name}.json`);
      await writeFile(file, JSON.stringify({ ...good, ...change }));
      const r = await kvSim(["replay", file, "--store", MUTANT]);
      expect(r.exitCode, name).toBe(4);
      expect(r.stderr, name).toBe(`kv-sim: ${file}: ${message}`);
      expect(r.stdout, name).toBe("");
    }
    // A file without its lines still says which step diverged, by the event itself.
    const noLines = join(dir, "no-lines.json");
    await writeFile(noLines, JSON.stringify({ ...good, lines: undefined, events: [{ kind: "no-such-event" }] }));
    const r = await kvSim(["replay", noLines, "--store", MUTANT]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('step 1 of the trace ({"kind":"no-such-event"}) is not possible with these pieces');
  });

  test("without --trace a violation's trace and diagram go to the OS temp directory, never the current directory, and the output says where", async () => {
    const cwd = await mkdtemp(join(tmpdir(), "kv-sim-search-cwd-"));
    onTestFinished(() => rm(cwd, { recursive: true, force: true }));
    const r = await execa(process.execPath, [bin, "search", "--scenario", "dedup-single", "--clients", "1", "--appends", "2", "--store", MUTANT], { reject: false, cwd, env: { FORCE_COLOR: "0" } });
    expect(r.exitCode, r.stderr).toBe(1);
    expect(await readdir(cwd)).toEqual([]);
    const trace = join(tmpdir(), "kv-sim-search-dedup-single", "trace.json");
    expect(r.stdout).toContain(`trace file: ${trace}\nmessage diagram: ${join(tmpdir(), "kv-sim-search-dedup-single", "trace.html")}\n`);
    expect(JSON.parse(await readFile(trace, "utf8")).kind).toBe("dslab-search-trace");
    const help = await kvSim(["search", "--help"]);
    expect(help.stdout).toContain(`(default ${join(tmpdir(), "kv-sim-search-SCENARIO", "trace.json")},\n                         outside the repository)`);
  });

  test("a workbook store not written yet is blamed on its file and what chose it (--workbook, DSLAB_WORKBOOK, the default week-12/), with exit 2 from search and replay alike", async () => {
    const dir = await mkdtemp(join(tmpdir(), "kv-sim-stub-"));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const store = join(dir, "src", "dedup-kv-store.ts");
    await mkdir(join(dir, "src"));
    await writeFile(join(dir, "package.json"), `{ "type": "module" }\n`);
    await writeFile(join(dir, "src", "todo.ts"), `export function todo(fn: string): never {\n  const e = new Error("not implemented yet: " + fn);\n  e.name = "NotImplementedError";\n  throw e;\n}\n`);
    await writeFile(store, `import { todo } from "./todo.ts";\n\nexport class DedupKVStore {\n  handleRequest(): never {\n    return todo("handleRequest");\n  }\n  state = { data: {}, tracker: { sessions: {} } };\n}\n`);
    const threw = (who: string) => `kv-sim: ${who}: ${store}: threw NotImplementedError: not implemented yet: handleRequest\n  at ${store}:5:`;
    const search = await kvSim(["search", "--scenario", "dedup-single", "--workbook", dir]);
    expect(search.exitCode).toBe(2);
    expect(search.stderr).toContain(threw("--workbook"));
    const fromEnv = await execa(process.execPath, [bin, "search", "--scenario", "dedup-single"], { reject: false, cwd: root, env: { FORCE_COLOR: "0", DSLAB_WORKBOOK: dir } });
    expect(fromEnv.exitCode).toBe(2);
    expect(fromEnv.stderr).toContain(threw(`DSLAB_WORKBOOK=${dir}`));
    const trace = join(dir, "t.json");
    await kvSim(["search", "--scenario", "dedup-single", "--clients", "1", "--appends", "2", "--store", MUTANT, "--trace", trace]);
    const replay = await kvSim(["replay", trace, "--workbook", dir]);
    expect(replay.exitCode).toBe(2);
    expect(replay.stderr).toContain(threw("--workbook"));
    expect(replay.stderr).not.toContain(`${trace}:`);
    const untouched = await execa(process.execPath, [bin, "search", "--scenario", "dedup-single"], { reject: false, cwd: root, env: { FORCE_COLOR: "0", DSLAB_WORKBOOK: "" } });
    expect(untouched.exitCode).toBe(2);
    expect(untouched.stderr).toMatch(/^kv-sim: the default workbook \(week-12\/\): week-12\/src\/dedup-kv-store\.ts: threw NotImplementedError: not implemented yet: handleRequest\n  at week-12\/src\/dedup-kv-store\.ts:\d+:\d+$/m);
    expect(untouched.stderr).not.toMatch(/--core|--client/);
  });

  test("vote-rules-3 from the command line: rules that vote twice give two leaders of term 2 (exit 1, a trace file and its diagram), replay --html draws it again, and with the reference rules the no-network check is exhausted (exit 0)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "kv-sim-search-"));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const trace = join(dir, "votes.json");
    const bad = await kvSim(["search", "--scenario", "vote-rules-3", "--rules", VOTE_TWICE, "--trace", trace]);
    expect(bad.exitCode).toBe(1);
    expect(bad.stdout).toMatch(/^violated: one-leader-per-term: n1 and n2 both became leader of term 2$/m);
    expect(bad.stdout).toContain(`replay: npm run kv-sim -- replay ${trace} --rules ${VOTE_TWICE}`);
    // The printed line runs as it is from the repository root, as run's and swarm's replay commands do.
    const printed = /^replay: npm run kv-sim -- (.*)$/m.exec(bad.stdout)![1]!;
    const again = await kvSim(parseCommandString(printed));
    expect(again.exitCode).toBe(1);
    expect(again.stdout).toMatch(/^verdict: one-leader-per-term violated/m);
    const replay = await kvSim(["replay", trace, "--rules", VOTE_TWICE, "--html", join(dir, "again.html")]);
    expect(replay.exitCode).toBe(1);
    expect(await readFile(join(dir, "again.html"), "utf8")).toContain("one-leader-per-term");
    const fixed = await kvSim(["replay", trace, "--solution"]);
    expect(fixed.exitCode).toBe(0);
    expect(fixed.stdout).toMatch(/^step 6 of the trace .* is not possible with these pieces/m);
    const offline = await kvSim(["search", "--scenario", "vote-rules-3", "--network", "0", "--solution"]);
    expect(offline.exitCode).toBe(0);
    expect(offline.stdout).toMatch(/^end: space exhausted$/m);
    const store = await kvSim(["search", "--scenario", "vote-rules-3", "--store", MUTANT]);
    expect(store.exitCode).toBe(2);
    expect(store.stderr).toMatch(/--store: vote-rules-3 runs vote rules; give --rules FILE/);
  });
});
