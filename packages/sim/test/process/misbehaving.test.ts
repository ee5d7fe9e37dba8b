import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { ProcessCluster } from "../../src/process/cluster.js";
import { probeCommand, runProcessMode } from "../../src/process/run.js";
import { DEFAULT_CONFIG, type RunConfig } from "../../src/run/config.js";

const fixture = fileURLToPath(new URL("../fixtures/misbehaving_node.py", import.meta.url));
const endlessHelp = fileURLToPath(new URL("../fixtures/endless-help.mjs", import.meta.url));
const kvSimBin = fileURLToPath(new URL("../../bin/kv-sim.js", import.meta.url));
const config = (mode: string, extra = ""): RunConfig => ({
  ...DEFAULT_CONFIG,
  seed: `misbehave-${mode}`,
  nodes: 1,
  timeLimitS: 2,
  rate: 50,
  concurrency: 2,
  workload: "exactly-once",
  nemesis: [],
  livenessBoundS: 2,
  bin: `python3 ${fixture} --mode ${mode}${extra}`,
});

let dir: string;
const pidFiles: string[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "kv-sim-misbehaving-"));
});
afterAll(async () => {
  // Whatever a failing test left running.
  for (const pid of pidFiles.flatMap(pidsIn)) if (alive(pid)) process.kill(pid, "SIGKILL");
  await rm(dir, { recursive: true, force: true });
});

/** A file the fixture appends its children's pids to. */
function pidFile(name: string): string {
  const file = join(dir, name);
  pidFiles.push(file);
  return file;
}
function pidsIn(file: string): number[] {
  try {
    return readFileSync(file, "utf8").split("\n").filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
/** Whether a process exists and is not a zombie (a killed orphan waits to be reaped by init). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}
/** The pids still alive once each had up to 10 s to go (a SIGKILL is delivered at once; the bound is for a loaded machine). */
async function survivors(pids: number[]): Promise<number[]> {
  for (let i = 0; i < 100 && pids.some(alive); i++) await sleep(100);
  return pids.filter(alive);
}

describe("process mode survives a misbehaving node and reports it with the node and the line", () => {
  test("non-protocol lines on stdout are reported with node and line number, and the run goes on", async () => {
    const a = await runProcessMode(config("junk"));
    const r = a.results!;
    const lines = r.anomalies.filter((x) => x.kind === "non-protocol-line");
    expect(lines.length).toBeGreaterThan(0);
    expect(lines[0]!.message).toMatch(/^n1 stdout:\d+: not a protocol message .*"DEBUG handling/);
    expect(r.checks.nodes!.valid).toBe(false);
    expect(r.ops.ok).toBeGreaterThan(10);
  });

  test("a flood of stdout (a 3 MiB line, then 20,000 junk lines) is skipped and counted, not buffered", async () => {
    const a = await runProcessMode(config("flood"));
    const r = a.results!;
    expect(r.anomalies.some((x) => x.kind === "oversized-line" && /^n1 stdout:2: line longer than the bound/.test(x.message))).toBe(true);
    expect(r.anomalies.some((x) => /more bad stdout lines not listed/.test(x.message))).toBe(true);
    expect(r.ops.ok).toBeGreaterThan(10);
  });

  test("a line that never ends is reported once it passes the bound, while the node still writes it", async () => {
    const a = await runProcessMode(config("endless-line"));
    const r = a.results!;
    const long = r.anomalies.filter((x) => x.kind === "oversized-line");
    expect(long.map((x) => x.message)).toEqual(["n1 stdout:2: line longer than the bound, skipped"]);
    expect(r.checks.nodes!.valid).toBe(false);
  });

  test("a node that crashes is reported with its exit code, restarted at the heal, and the run completes", async () => {
    const a = await runProcessMode(config("crash"));
    const r = a.results!;
    expect(r.anomalies.some((x) => x.kind === "crashed" && /n1 exited on its own \(exit code 3\)/.test(x.message))).toBe(true);
    expect(r.verdict).toBe("invalid");
  });

  test("a node that crashes after a very long stderr line is reported in one short line: the line's start and its length", async () => {
    const a = await runProcessMode(config("crash-long-log"));
    const crashed = a.results!.anomalies.filter((x) => x.kind === "crashed");
    expect(crashed.length).toBeGreaterThan(0);
    expect(crashed[0]!.message).toMatch(/^node n1 exited on its own \(exit code 3\); last stderr: panic: x{100,}\.\.\. \(50007 characters\)$/);
    expect(crashed[0]!.message.length).toBeLessThan(1_000);
  });

  test("a node that hangs makes every request time out: the liveness check fails, the run still ends", async () => {
    const t0 = performance.now();
    const a = await runProcessMode(config("hang"));
    const r = a.results!;
    expect(r.ops.ok).toBe(0);
    expect(r.checks.liveness!.valid).toBe(false);
    expect(r.anomalies.some((x) => x.kind === "final-reads-failed")).toBe(true);
    expect(performance.now() - t0).toBeLessThan(30_000);
  });

  test.each([
    ["wrong-src", /^n1 stdout:\d+: "src" is "n9", not n1; the message is dropped$/],
    ["unknown-dest", /^n1 stdout:\d+: "dest" is "x1", neither a node nor a client of this run; the message is dropped$/],
  ])("a message with a wrong address (%s) is reported with the node and the line, and dropped, not shown as delivered", async (mode, message) => {
    const a = await runProcessMode(config(mode));
    const r = a.results!;
    const wrong = r.anomalies.filter((x) => x.kind === "misaddressed");
    expect(wrong.length).toBeGreaterThan(0);
    expect(wrong[0]!.message).toMatch(message);
    expect(r.checks.nodes!.valid).toBe(false);
    expect(a.trace.entries.some((e) => e.kind === "message" && (e.src === "n9" || e.dest === "x1"))).toBe(false);
  });

  test("big node-to-node messages are delivered, and the trace keeps each as its fields' first characters", async () => {
    const a = await runProcessMode({ ...config("big-peer"), nodes: 2 });
    const big = a.trace.entries.filter((e) => e.kind === "message" && e.type === "append_entries");
    expect(big.length).toBe(100);
    for (const e of big) {
      if (e.kind !== "message") continue;
      expect(e.fate).toBe("delivered");
      expect(JSON.stringify(e.body).length).toBeLessThan(4096);
      expect(e.body).toMatchObject({ type: "append_entries", term: 1, entries: expect.stringMatching(/^\["e{100}","e+\.\.\. \(61801 characters\)$/) });
    }
  });

  test("a flood of stderr (2,000 lines of 60,000 characters) is kept as its last MiB, not whole", async () => {
    const a = await runProcessMode(config("stderr-flood"));
    expect(a.results!.ops.ok).toBeGreaterThan(10);
    const logs = a.nodeLogs!.n1!;
    expect(logs.reduce((n, line) => n + line.length, 0)).toBeLessThanOrEqual(1 << 20);
    expect(logs.at(-1)).toBe("last log line");
  });

  test("a node that stops reading its stdin while another floods it: what waits for it is bounded, the rest dropped, and the node reported once", async () => {
    const a = await runProcessMode({ ...config("flood-peer"), nodes: 2 });
    const full = a.results!.anomalies.filter((x) => x.kind === "stdin-full");
    expect(full.map((x) => x.message)).toEqual(["n2 is not reading its stdin: 8 MiB wait unread there; messages to it are dropped until it reads"]);
    expect(a.trace.entries.some((e) => e.kind === "message" && e.src === "n1" && e.dest === "n2" && e.fate === "dropped-node-down")).toBe(true);
  });

  test("a node's own child processes holding its stdout and stderr are killed with it when the run ends", async () => {
    const file = pidFile("spawn.pids");
    const a = await runProcessMode(config("spawn", ` --pid-file ${file}`));
    expect(a.results!.ops.ok).toBeGreaterThan(10);
    const pids = pidsIn(file);
    expect(pids.length).toBe(1);
    expect(await survivors(pids)).toEqual([]);
  });

  test("a node that crashes while its child keeps its pipes open is reported as crashed with its exit code, and the child is killed", async () => {
    const file = pidFile("spawn-crash.pids");
    const a = await runProcessMode(config("spawn-crash", ` --pid-file ${file}`));
    const r = a.results!;
    expect(r.anomalies.some((x) => x.kind === "crashed" && /n1 exited on its own \(exit code 3\)/.test(x.message))).toBe(true);
    expect(r.verdict).toBe("invalid");
    // The crashed node's child and the child of the node restarted at the heal.
    const pids = pidsIn(file);
    expect(pids.length).toBe(2);
    expect(await survivors(pids)).toEqual([]);
  });
});


describe("process mode: what the harness keeps of a node's stderr", () => {
  test("the answers a node logs as given from its session are remembered up to 100,000 per node, however many it logs", async () => {
    const cluster = new ProcessCluster({
      command: `python3 ${fixture} --mode dedup-log-flood`,
      nodeIds: ["n1"],
      dataRoot: null,
      extraArgs: () => [],
      route: () => {},
      isClient: () => false,
      onProblem: () => {},
      now: () => 0,
    });
    try {
      await cluster.start(15_000);
      const node = cluster.nodes.get("n1")!;
      for (let i = 0; i < 600 && node.logs.at(-1) !== "dedup log done"; i++) await sleep(100);
      expect(node.logs.at(-1)).toBe("dedup log done");
      expect(cluster.stats.dedupHits).toBe(150_000);
      expect(cluster.dedupHits.get("n1")!.size).toBe(100_000);
    } finally {
      cluster.stopAll();
    }
  }, 90_000);
});

describe("process mode: asking the command what it takes (--help)", () => {
  test("a --help that leaves a child holding its output open: the answer comes when the command exits, and the child is killed", async () => {
    const file = pidFile("spawn-on-help.pids");
    const caps = await probeCommand(`python3 ${fixture} --mode spawn-on-help --pid-file ${file}`);
    expect(caps).toMatchObject({ dataDir: false, seed: false });
    const pids = pidsIn(file);
    expect(pids.length).toBe(1);
    expect(await survivors(pids)).toEqual([]);
  }, 60_000);

  test("a --help that never ends is read up to 64 KiB and killed there: the options named in those 64 KiB are taken, and the answer says it was cut", async () => {
    const file = pidFile("endless-help.pids");
    const command = `node ${endlessHelp} --pid-file ${file}`;
    const started = performance.now();
    const caps = await probeCommand(command);
    // Well before the probe's own 15 s limit: stopped at the bound, not at the limit.
    expect(performance.now() - started).toBeLessThan(10_000);
    // --seed is in the first line; --data-dir only after 128 KiB.
    expect(caps).toMatchObject({ seed: true, dataDir: false });
    expect(caps.warning).toBe(`--bin: ${JSON.stringify(command)} --help printed more than 64 KiB; it was stopped there, and what the command takes was read from those 64 KiB`);
    const pids = pidsIn(file);
    expect(pids.length).toBe(1);
    expect(await survivors(pids)).toEqual([]);
  }, 60_000);

  /** A shell script in the temp directory, made executable. */
  function script(name: string, body: string): string {
    const file = join(dir, name);
    writeFileSync(file, `#!/bin/sh\n${body}`);
    chmodSync(file, 0o755);
    return file;
  }
  /** Pids a test's command wrote; killed after each test (a process started with setsid is out of the harness's reach). */
  const strays: string[] = [];
  afterEach(async () => {
    const pids = strays.splice(0).flatMap(pidsIn);
    for (const pid of pids) if (alive(pid)) process.kill(pid, "SIGKILL");
    expect(await survivors(pids)).toEqual([]);
  });
  /** The pids in `file` once it has `count` of them (the command writes them as its children start). */
  async function pidsOnceWritten(file: string, count: number): Promise<number[]> {
    for (let i = 0; i < 100 && pidsIn(file).length < count; i++) await sleep(100);
    return pidsIn(file);
  }

  test("a --help that starts a process with setsid, outside its group, holding its output open: the answer comes within a grace after the command exits, not when that process ends", async () => {
    const file = join(dir, "setsid-on-help.pids");
    strays.push(file);
    const bin = script("setsid-on-help.sh", `setsid sh -c 'echo $$ >> ${file}; exec sleep 30' &\nwhile [ ! -s ${file} ]; do sleep 0.05; done\necho "usage: setsid-on-help [--seed SEED] [--data-dir DIR]"\n`);
    const started = performance.now();
    const caps = await probeCommand(bin);
    // The probe's own limit is 15 s and the held-open output would last 30 s: both far above this bound.
    // (The script prints its help once that process has left the script's group, out of its reach.)
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(caps).toMatchObject({ seed: true, dataDir: true });
    expect(caps.warning).toBeUndefined();
    expect(await pidsOnceWritten(file, 1)).toHaveLength(1);
  }, 60_000);

  test("a --help that does not end within the time limit is stopped with every process of its group, and the answer says so", async () => {
    const file = join(dir, "hanging-help.pids");
    strays.push(file);
    const bin = script("hanging-help.sh", `sleep 30 &\necho $! >> ${file}\necho $$ >> ${file}\necho "usage: hanging-help [--seed SEED]"\nwait\n`);
    const started = performance.now();
    const caps = await probeCommand(bin, { timeoutMs: 1_000 });
    expect(performance.now() - started).toBeLessThan(8_000);
    expect(caps).toMatchObject({ seed: true, dataDir: false });
    expect(caps.warning).toBe(`--bin: ${JSON.stringify(bin)} --help did not end within 1 s; it was stopped there, and what the command takes was read from what it had printed`);
    const pids = await pidsOnceWritten(file, 2);
    expect(pids).toHaveLength(2);
    // Killed by the probe, not by the clean-up after the test.
    expect(await survivors(pids)).toEqual([]);
  }, 60_000);

  test("kv-sim run with such a command says so on stderr and goes on with the run", async () => {
    const command = `node ${endlessHelp}`;
    const r = await execa(process.execPath, [kvSimBin, "run", "--bin", command, "--nodes", "1", "--time-limit-s", "1", "--rate", "20", "--nemesis", "none", "--workload", "exactly-once", "--out", join(dir, "out-endless-help")], {
      reject: false,
      env: { FORCE_COLOR: "0" },
      timeout: 90_000,
      killSignal: "SIGKILL",
    });
    expect(r.timedOut).toBe(false);
    expect(r.stderr.split("\n")[0]).toBe(`kv-sim: --bin: ${JSON.stringify(command)} --help printed more than 64 KiB; it was stopped there, and what the command takes was read from those 64 KiB`);
    expect(r.stdout).toMatch(/^verdict: VALID$/m);
    expect(r.exitCode).toBe(0);
  }, 120_000);
});
