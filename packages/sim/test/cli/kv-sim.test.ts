import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa, parseCommandString } from "execa";
import { onTestFinished, describe, expect, test } from "vitest";

const bin = fileURLToPath(new URL("../../bin/kv-sim.js", import.meta.url));
const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));
const kvSim = (args: string[], opts: { cwd?: string } = {}) =>
  execa(process.execPath, [bin, ...args], { reject: false, cwd: opts.cwd ?? repoRoot, env: { FORCE_COLOR: "0" } });

describe("kv-sim CLI: run, swarm, --help everywhere; a failing seed prints the command that replays it", () => {
  test.each([[["--help"]], [["run", "--help"]], [["swarm", "--help"]]])("kv-sim %j prints usage and exits 0", async (args) => {
    const r = await kvSim(args);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/Usage:/);
    expect(r.stdout).toMatch(/--nemesis/);
  });

  test("kv-sim with no command is a usage error in two lines on stderr, as every dslab command's, not the whole help on stdout", async () => {
    const r = await kvSim([]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe("kv-sim: missing command: one of run, swarm, search, replay, explore\nRun `kv-sim --help` for usage.");
    expect(r.stdout).toBe("");
  });

  test("a bad option is a usage error (exit 2) that names the option", async () => {
    const r = await kvSim(["run", "--nodez", "3"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^kv-sim: unknown option --nodez \(did you mean --nodes\?\)/);
    const w = await kvSim(["run", "--workload", "bank"]);
    expect(w.exitCode).toBe(2);
    expect(w.stderr).toMatch(/--workload: expected one of lin-kv, exactly-once, sessions, got "bank"/);
    const c = await kvSim(["run", "--client", "no/such/client.ts", "--time-limit-s", "1"]);
    expect(c.stderr).toMatch(/--client: cannot load no\/such\/client\.ts/);
    const x = await kvSim(["run", "--bin", "no-such-command-xyz", "--time-limit-s", "1"]);
    expect(x.exitCode).toBe(2);
    expect(x.stderr).toMatch(/--bin: cannot start "no-such-command-xyz": .*ENOENT/);
  });

  test.each([
    [["run", "extra"], 'kv-sim: unexpected argument "extra": kv-sim run takes only options (kv-sim run --help lists them)'],
    [["swarm", "10"], 'kv-sim: unexpected argument "10": kv-sim swarm takes only options (kv-sim swarm --help lists them)'],
    [["search", "dedup-single"], 'kv-sim: unexpected argument "dedup-single": kv-sim search takes only options (kv-sim search --help lists them)'],
    [["replay", "t.json", "more"], 'kv-sim: unexpected argument "more": kv-sim replay takes one trace file, then options (kv-sim replay --help lists them)'],
    [["explore", "dedup-single"], 'kv-sim: unexpected argument "dedup-single": kv-sim explore takes only options (kv-sim explore --help lists them)'],
  ])("kv-sim %j: a stray argument is a usage error that names the subcommand and what it takes", async (args, message) => {
    const r = await kvSim(args);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.split("\n")[0]).toBe(message);
  });

  test("search --max-time-s 0 is a usage error, not a search stopped before its first state", async () => {
    const r = await kvSim(["search", "--scenario", "dedup-single", "--solution", "--max-time-s", "0"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.split("\n")[0]).toBe('kv-sim: --max-time-s: expected a number of seconds above 0, got "0"');
  });

  test("swarm --help's usage line names every option its list documents", async () => {
    const r = await kvSim(["swarm", "--help"]);
    const usage = r.stdout.slice(r.stdout.indexOf("Usage:"), r.stdout.indexOf("\n\n", r.stdout.indexOf("Usage:")));
    const listed = [...r.stdout.matchAll(/^  (--[a-z-]+)/gm)].map((m) => m[1]!);
    expect(listed.length).toBeGreaterThan(10);
    for (const option of listed) expect(usage).toContain(option);
  });

  test("an option that takes one value, given twice, is a usage error naming it (exit 2), not the last one silently", async () => {
    const r = await kvSim(["run", "--seed", "1", "--time-limit-s", "1", "--seed", "2"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^kv-sim: --seed: given twice \("1", then "2"\); give it once/);
    expect(r.stdout).toBe("");
  });

  test.each([
    [["run", "--time-limit-s", "1", "--bin", ""], /^kv-sim: --bin: empty; give the command that starts a node/],
    [["run", "--time-limit-s", "1", "--bin=  "], /^kv-sim: --bin: empty;/],
    [["run", "--time-limit-s", "1", "--core", ""], /^kv-sim: --core: empty; give a module exporting createKvNodeCore/],
    [["run", "--time-limit-s", "1", "--client="], /^kv-sim: --client: empty; give a module exporting createClient/],
    [["swarm", "--seeds", "1", "--time-limit-s", "1", "--core", ""], /^kv-sim: --core: empty;/],
    [["search", "--scenario", "dedup-single", "--store", ""], /^kv-sim: --store: empty; give a module file/],
  ])("kv-sim %j: an empty module or command is a usage error (exit 2), never the in-process default", async (args, message) => {
    const r = await kvSim(args);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe("");
  });

  test.each([
    [["run", "--time-limit-s", "1", "--seed", ""], /^kv-sim: --seed: empty; give a seed \(a number or any word\), or leave the option out$/m],
    [["run", "--time-limit-s", "1", "--nemesis", ""], /^kv-sim: --nemesis: empty; give a comma-separated list of faults, "all" or "none", or leave the option out$/m],
    [["swarm", "--seeds", "1", "--time-limit-s", "1", "--nemesis", " , "], /^kv-sim: --nemesis: empty;/m],
    [["search", "--scenario", "raft-core-3", "--trace", ""], /^kv-sim: --trace: empty; give a file for the trace, or leave the option out$/m],
    [["replay", "/nonexistent/trace.json", "--html", ""], /^kv-sim: --html: empty; give a file for the message diagram, or leave the option out$/m],
    [["explore", "--trace", "", "--no-open"], /^kv-sim: --trace: empty; give a trace file written by kv-sim search --trace, or leave the option out$/m],
  ])("kv-sim %j: an option given empty is a usage error naming it (exit 2), never its default nor the current directory", async (args, message) => {
    const r = await kvSim(args);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe("");
  });

  test.each([
    [["search", "--scenario", "raft-core-3", "--invariant", ""], /^kv-sim: --invariant: empty; give one or more of one-leader-per-term, .*, core-keeps-running, or leave the option out$/m],
    [["search", "--scenario", "raft-core-3", "--goal", " , "], /^kv-sim: --goal: empty; give one or more of leader-elected, write-committed, clients-done, or leave the option out$/m],
    [["search", "--scenario", "dedup-single", "--prune", ""], /^kv-sim: --prune: empty; give one or more of clients-done, or leave the option out$/m],
    [["search", "--scenario", "dedup-single", "--appends", "0"], /^kv-sim: --appends: dedup-single takes at least 1 append per client, got 0$/m],
  ])("kv-sim %j: a list of names given empty, or a shape the scenario cannot take, is a usage error naming the option", async (args, message) => {
    const r = await kvSim(args);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe("");
  });

  test("swarm's error for an unknown --workload names \"all\" too, which swarm takes", async () => {
    const r = await kvSim(["swarm", "--workload", "bank"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^kv-sim: --workload: expected all, lin-kv, exactly-once or sessions, got "bank"$/m);
  });

  test("replay TRACE --help prints the usage and replays nothing", async () => {
    const r = await kvSim(["replay", "/nonexistent/trace.json", "--help"]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^ {7}kv-sim replay TRACE /m);
    expect(r.stderr).toBe("");
  });

  test("explore --port that is not a number says the range a port takes, as for one out of range", async () => {
    const r = await kvSim(["explore", "--scenario", "raft-core-3", "--port", "http", "--no-open"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^kv-sim: --port: expected an integer from 0 to 65535, got "http"$/m);
  });

  test("kv-sim --help's paragraph on exit codes is filled: no line broken short mid-sentence", async () => {
    const r = await kvSim(["--help"]);
    const lines = r.stdout.split("\n");
    const start = lines.findIndex((l) => l.startsWith("Here: "));
    const end = lines.indexOf("", start);
    const paragraph = lines.slice(start, end);
    expect(paragraph.length).toBeGreaterThan(2);
    for (const line of paragraph.slice(0, -1)) expect(line.length, line).toBeGreaterThanOrEqual(60);
    for (const line of paragraph) expect(line.length, line).toBeLessThanOrEqual(80);
  });

  test("run's summary lists the first anomaly of every check, so two split-brain nodes' bad stdout lines show beside the many history anomalies they cause", async () => {
    const dir = await mkdtemp(join(tmpdir(), "kv-sim-cli-"));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const fixture = fileURLToPath(new URL("../fixtures/misbehaving_node.py", import.meta.url));
    // Two nodes that do not replicate: most appends are missing from one node's final read.
    const r = await kvSim(["run", "--seed", "1", "--nodes", "2", "--time-limit-s", "2", "--nemesis", "none", "--bin", `python3 ${fixture} --mode junk`, "--out", dir]);
    expect(r.exitCode, r.stderr).toBe(1);
    const count = Number(/^anomalies \((\d+)\):$/m.exec(r.stdout)?.[1]);
    expect(count).toBeGreaterThan(10);
    const listed = r.stdout.split("\n").filter((l) => l.startsWith("  - ["));
    expect(listed.length).toBe(10);
    expect(listed[0]).toMatch(/^ {2}- \[exactly-once\] /);
    expect(listed.filter((l) => /^ {2}- \[nodes\] non-protocol-line: n[12] stdout:\d+: not a protocol message .*"DEBUG handling/.test(l)).length).toBe(1);
    expect(r.stdout).toContain(`\n  ... ${count - 10} more in results.json\n`);
  }, 60_000);

  test("run prints the verdict and the replay command, and the replay command reproduces the history byte for byte", async () => {
    const dir = await mkdtemp(join(tmpdir(), "kv-sim-cli-"));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const first = await kvSim(["run", "--seed", "77", "--time-limit-s", "3", "--nemesis", "all", "--out", join(dir, "a")]);
    expect(first.stdout).toMatch(/^verdict: (VALID|UNKNOWN|INVALID)$/m);
    const replay = /^replay: (.*)$/m.exec(first.stdout)?.[1];
    expect(replay).toBe("npm run kv-sim -- run --seed 77 --nodes 3 --time-limit-s 3 --rate 100 --concurrency 8 --workload exactly-once --nemesis partition,kill,pause,duplicate,lose-reply,replay,loss,delay,clock");
    // Run the printed command (through our bin rather than npm run, same arguments).
    const args = parseCommandString(replay!).slice(4);
    await kvSim([...args, "--out", join(dir, "b")]);
    const [a, b] = await Promise.all([readFile(join(dir, "a", "history.edn"), "utf8"), readFile(join(dir, "b", "history.edn"), "utf8")]);
    expect(a.length).toBeGreaterThan(1000);
    expect(b).toBe(a);
    // The summary counts the faults started, not the events that end one (a restart, a healed partition, a probability back to 0).
    const { faults } = JSON.parse(await readFile(join(dir, "a", "results.json"), "utf8")) as { faults: Array<{ label: string }> };
    const ending = /^(restart |resume |partition healed$|duplication off$|lost replies off$|packet loss off$|latency back to normal$|heal everything$)/;
    const started = faults.filter((f) => !ending.test(f.label)).length;
    expect(started).toBeGreaterThan(0);
    expect(started).toBeLessThan(faults.length - 1);
    expect(first.stdout).toMatch(new RegExp(`^faults: ${started} applied, healed at 3\\.0 s;`, "m"));
  });

  test("run whose history has nothing to judge is unknown (exit 3), and the summary gives the checker's reason", async () => {
    const dir = await mkdtemp(join(tmpdir(), "kv-sim-cli-"));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const r = await kvSim(["run", "--time-limit-s", "0.001", "--out", dir]);
    expect(r.exitCode).toBe(3);
    expect(r.stdout).toMatch(/^verdict: UNKNOWN$/m);
    expect(r.stdout).toMatch(/^ {2}exactly-once: unknown: no append or incr operation to judge \(the history has no client operations\)/m);
  });

  test("swarm lists a seed whose checks could not decide with the checker's reason, in its line and in --json", async () => {
    const r = await kvSim(["swarm", "--seeds", "2", "--jobs", "2", "--time-limit-s", "0.001", "--workload", "exactly-once"]);
    expect(r.exitCode).toBe(3);
    expect(r.stdout).toMatch(/^ {2}seed 1 exactly-once: unknown: exactly-once: no append or incr operation to judge/m);
    const j = await kvSim(["swarm", "--seeds", "1", "--time-limit-s", "0.001", "--workload", "exactly-once", "--json"]);
    const seed = JSON.parse(j.stdout.trim().split("\n")[0]!);
    expect(seed.unknown).toEqual([expect.stringMatching(/^exactly-once: no append or incr operation to judge/)]);
  });

  test("run with one node says \"1 node\", in the summary and in the pages' subtitles", async () => {
    const dir = await mkdtemp(join(tmpdir(), "kv-sim-cli-"));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const r = await kvSim(["run", "--seed", "3", "--nodes", "1", "--time-limit-s", "1", "--nemesis", "none", "--out", dir]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^kv-sim in-process: seed 3, exactly-once, 1 node, nemesis none$/m);
    for (const page of ["timeline.html", "messages.html"]) {
      const html = await readFile(join(dir, page), "utf8");
      expect(html).toContain("exactly-once, 1 node, in-process");
      expect(html).not.toContain("1 nodes");
    }
  });

  test("run --nemesis none reports no fault applied: the final heal ends the faults and is not counted as one", async () => {
    const dir = await mkdtemp(join(tmpdir(), "kv-sim-cli-"));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const r = await kvSim(["run", "--seed", "5", "--time-limit-s", "1", "--nemesis", "none", "--out", dir]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^faults: 0 applied, healed at 1\.0 s; time: /m);
  });

  test("swarm with --jobs 2 (this process and one worker) prints plain progress off a TTY and a summary", async () => {
    const r = await kvSim(["swarm", "--seeds", "6", "--jobs", "2", "--time-limit-s", "2"]);
    expect(r.stderr).toMatch(/progress: 6\/6 seeds/);
    expect(r.stdout).toMatch(/swarm: 6 seeds \(1\.\.6\)/);
    expect(r.stdout).toMatch(/seeds\/min, jobs 2/);
  });

  test("swarm's progress line counts the seeds asked in the singular for one", async () => {
    const r = await kvSim(["swarm", "--seeds", "1", "--time-limit-s", "1", "--nodes", "3", "--concurrency", "2"]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^progress: 1\/1 seed, 0 failing$/m);
  });

  test("swarm --json prints one line per seed with its replay command", async () => {
    const r = await kvSim(["swarm", "--seeds", "3", "--start-seed", "10", "--time-limit-s", "2", "--json"]);
    const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.slice(0, 3).map((l) => l.seed)).toEqual(["10", "11", "12"]);
    expect(lines[0].command).toMatch(/^npm run kv-sim -- run --seed 10 .*--workload (lin-kv|exactly-once|sessions)/);
    expect(lines[3].summary.seeds).toBe(3);
  });

  test("swarm --help's usage line shows the real defaults of --seeds, --start-seed and --jobs, and says when --jobs pays off", async () => {
    const r = await kvSim(["swarm", "--help"]);
    expect(r.stdout).toMatch(/^Usage: kv-sim swarm \[--seeds 100\] \[--start-seed 1\] \[--jobs 1\] /m);
    expect(r.stdout).toMatch(/--seeds N +how many seeds \(default 100\)/);
    expect(r.stdout).toMatch(/--jobs J +.*\(default 1;/);
    expect(r.stdout).toMatch(/a child takes 0\.3-0\.4 s to start and warm up, so\n +2 jobs on 2 cores pay off on long swarms \(1,000 seeds\), not on 100\n/);
  });

  test("swarm --jobs beyond the seeds runs one runner per seed and says so; --json's wall times are whole milliseconds", async () => {
    const r = await kvSim(["swarm", "--seeds", "2", "--jobs", "40", "--time-limit-s", "1"]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^swarm: 2 seeds \(1\.\.2\), 2 valid/m);
    expect(r.stdout).toMatch(/seeds\/min, jobs 2: --jobs 40 capped at one per seed\)$/m);
    const j = await kvSim(["swarm", "--seeds", "2", "--jobs", "40", "--time-limit-s", "1", "--json"]);
    const lines = j.stdout.trim().split("\n").map((l) => JSON.parse(l));
    const summary = lines.at(-1).summary;
    expect(summary).toMatchObject({ seeds: 2, seedsAsked: 2, jobs: 2 });
    expect(Number.isInteger(summary.wallMs)).toBe(true);
    for (const seed of lines.slice(0, -1)) expect(Number.isInteger(seed.wallMs)).toBe(true);
  });

  test("swarm --stop-on-failure says how many seeds ran of how many asked, in the singular for one", async () => {
    const core = "packages/cluster/test/known-bad/no-sessions.ts";
    const r = await kvSim(["swarm", "--seeds", "20", "--workload", "exactly-once", "--time-limit-s", "2", "--core", core, "--stop-on-failure"]);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/^swarm: 1 of 20 seeds run \(1\.\.20; stopped at the first failure\), 0 valid, 1 invalid, 0 unknown$/m);
    const one = await kvSim(["swarm", "--seeds", "1", "--time-limit-s", "1"]);
    expect(one.stdout).toMatch(/^swarm: 1 seed \(1\.\.1\), 1 valid/m);
  });

  test("swarm spreads node count, clients and run length across seeds with a worker process, unless a flag fixes one; each replay command names the shape drawn", async () => {
    const r = await kvSim(["swarm", "--seeds", "4", "--start-seed", "20", "--jobs", "2", "--time-limit-s", "2", "--json"]);
    const seeds = r.stdout.trim().split("\n").map((l) => JSON.parse(l)).filter((l) => l.seed !== undefined);
    const shape = (c: string) => /--nodes (\d) --time-limit-s (\S+) --rate \d+ --concurrency (\d+)/.exec(c)!.slice(1);
    const shapes = seeds.map((l: { command: string }) => shape(l.command));
    expect(shapes.map((s: string[]) => s[1])).toEqual(["2", "2", "2", "2"]);
    expect(new Set(shapes.map((s: string[]) => `${s[0]}/${s[2]}`)).size).toBeGreaterThan(1);
  });
});

describe("kv-sim swarm: many seeds, and a swarm stopped from outside", () => {
  /** Runs a swarm until `ready` holds for what it printed, then sends `signal` to kv-sim alone (not to its workers). */
  const swarmStoppedWhen = async (args: string[], ready: (out: string) => boolean, signal: NodeJS.Signals) => {
    const child = execa(process.execPath, [bin, "swarm", ...args], { reject: false, cwd: repoRoot, env: { FORCE_COLOR: "0" }, all: true, timeout: 120_000, killSignal: "SIGKILL" });
    let seen = "";
    const workers: number[] = [];
    await new Promise<void>((resolve) => {
      child.all!.on("data", (chunk: Buffer) => {
        seen += chunk.toString();
        if (ready(seen)) resolve();
      });
      void child.then(() => resolve());
    });
    if (args.includes("--jobs")) {
      const ps = await execa("ps", ["-o", "pid=,args=", "--ppid", String(child.pid)], { reject: false });
      for (const line of ps.stdout.split("\n")) if (line.includes("swarm-worker")) workers.push(Number(line.trim().split(/\s+/)[0]));
    }
    child.kill(signal);
    const r = await child;
    return { r, workers };
  };
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  test("--seeds 1000000000 starts on its first seed at once: the seeds are handed out as a range, not listed first", async () => {
    const { r } = await swarmStoppedWhen(["--seeds", "1000000000", "--time-limit-s", "1", "--json"], (out) => /"seed":"1"/.test(out), "SIGTERM");
    expect(r.timedOut).toBe(false);
    expect(r.all).toMatch(/^\{"seed":"1",/m);
    expect(r.all).not.toMatch(/heap out of memory|FATAL ERROR/);
  }, 150_000);

  test("a --start-seed and --seeds whose last seed is past the largest exact integer is a usage error, not a shorter swarm", async () => {
    const r = await kvSim(["swarm", "--start-seed", String(Number.MAX_SAFE_INTEGER), "--seeds", "2", "--time-limit-s", "1"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^kv-sim: --start-seed 9007199254740991 --seeds 2: the last seed would be past 9007199254740991/);
    expect(r.stdout).toBe("");
    const last = await kvSim(["swarm", "--start-seed", String(Number.MAX_SAFE_INTEGER), "--seeds", "1", "--time-limit-s", "1"]);
    expect(last.exitCode, last.stderr).toBe(0);
    expect(last.stdout).toMatch(/^swarm: 1 seed \(9007199254740991\.\.9007199254740991\), 1 valid/m);
  });

  test("a swarm of two jobs stopped by SIGTERM: its worker ends too, quietly, with no error about the closed channel", async () => {
    const { r, workers } = await swarmStoppedWhen(["--seeds", "3000", "--jobs", "2", "--time-limit-s", "3"], (out) => /progress: [1-9]\d*\/3000/.test(out), "SIGTERM");
    expect(workers).toHaveLength(1);
    for (let i = 0; i < 300 && alive(workers[0]!); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(alive(workers[0]!)).toBe(false);
    expect(r.all).not.toMatch(/EPIPE|Unhandled 'error'|ERR_IPC/);
  }, 150_000);
});
