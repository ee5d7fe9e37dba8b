/**
 * Benchmark (`npm run bench`): simulated seconds per wall second for a
 * 5-node in-process cluster under every fault at a 100 ops/s target, with
 * the events and operations per second behind it, and the swarm's seeds per
 * minute on 1 and 2 jobs (each a `kv-sim swarm` process, start-up included).
 *
 *   tsx bench/sim.ts [--repeat 3] [--swarm-seeds 1000] [--no-swarm | --swarm-only] [--with-sources]
 *
 * The figures are those of the code a user runs: `kv-sim run` and `kv-sim
 * swarm` run kv-sim's compiled bundle (scripts/bins/launch.js), so the
 * speed rows (bench/sim-speed.ts) run in a child process, compiled by the
 * builder that compiles the commands (scripts/bins/build.js, the same
 * esbuild options) into a temp dir; and kv-sim's bundle is rebuilt first
 * when it is not fresh, so that the swarm rows run it too (each says which
 * it ran: a source changed during the run sends kv-sim to its sources).
 * The measured runs are made `--repeat` times over in that process, and
 * each row is its median pass by wall time (a single pass on a shared
 * machine moves by a third from the next). --with-sources also runs the
 * speed rows from the TypeScript sources
 * through tsx, as kv-sim ran before it had a bundle, after the compiled
 * runs.
 *
 * Then whole `kv-sim run` commands (5 nodes, 60 s simulated, every fault,
 * 32 clients, seeds 1-3), start-up, checkers and outputs included, each
 * seed from the bundle and then from the sources (DSLAB_RUN_SOURCES=1):
 * wall and CPU seconds of the command (its user and system time), and
 * simulated seconds per each.
 */
import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import type { EventBreakdown, SpeedRow } from "./sim-speed.js";

const { values: args } = parseArgs({
  options: {
    "swarm-seeds": { type: "string", default: "1000" },
    "no-swarm": { type: "boolean", default: false },
    "swarm-only": { type: "boolean", default: false },
    "with-sources": { type: "boolean", default: false },
    repeat: { type: "string", default: "3" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (args.help) {
  console.log(
    "Usage: tsx bench/sim.ts [--repeat 3] [--swarm-seeds 1000] [--no-swarm | --swarm-only] [--with-sources]\n\n" +
      "  --repeat N        passes over the speed rows' runs; each row prints its median pass by wall time\n" +
      "  --with-sources    the speed rows from the TypeScript sources through tsx too, after the bundle's\n" +
      "  --swarm-seeds N   seeds of each swarm row (kv-sim swarm, 1 job, 2 jobs, two halves at once)\n" +
      "  --no-swarm        skip the swarm rows\n" +
      "  --swarm-only      only the swarm rows",
  );
  process.exit(0);
}
const repeat = Number(args.repeat);
if (!Number.isSafeInteger(repeat) || repeat < 1 || !/^\d+$/.test(args.repeat!)) {
  console.error(`bench/sim: --repeat must be a whole number of at least 1; got ${JSON.stringify(args.repeat)}`);
  process.exit(2);
}
const swarmSeeds = Number(args["swarm-seeds"]);
if (!Number.isSafeInteger(swarmSeeds) || swarmSeeds < 2 || !/^\d+$/.test(args["swarm-seeds"]!)) {
  console.error(`bench/sim: --swarm-seeds must be a whole number of at least 2; got ${JSON.stringify(args["swarm-seeds"])}`);
  process.exit(2);
}

const LAUNCHER = fileURLToPath(new URL("../bin/kv-sim.js", import.meta.url));
const SPEED = fileURLToPath(new URL("./sim-speed.ts", import.meta.url));
const SCRIPTS = new URL("../../../scripts/bins/", import.meta.url);
const BUILDER = fileURLToPath(new URL("build.js", SCRIPTS));
const { staleReason } = (await import(new URL("compiled.js", SCRIPTS).href)) as { staleReason: (launcher: string) => string | undefined };
const { compileModule } = (await import(pathToFileURL(BUILDER).href)) as { compileModule: (name: string, source: string, dir: string) => Promise<unknown> };

type From = "bundle" | "sources";

/** The speed rows and the event breakdown, run in a child process from `dir`'s compiled copy of bench/sim-speed.ts or from its sources. */
function speedRows(from: From, dir: string): { rows: SpeedRow[]; breakdown: EventBreakdown } {
  const argv = [...(from === "bundle" ? ["--enable-source-maps", join(dir, "sim-speed.js")] : ["--import", "tsx", SPEED]), "--repeat", String(repeat)];
  const r = spawnSync(process.execPath, argv, { encoding: "utf8", maxBuffer: 16 << 20 });
  if (r.status !== 0) throw new Error(`bench/sim-speed.ts (${from}): exit ${r.status}\n${r.stderr}`);
  const lines = r.stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as SpeedRow | EventBreakdown);
  const breakdown = lines.find((l): l is EventBreakdown => "breakdown" in l);
  if (breakdown === undefined) throw new Error(`bench/sim-speed.ts (${from}) printed no event breakdown`);
  return { rows: lines.filter((l): l is SpeedRow => !("breakdown" in l)), breakdown };
}

/**
 * Where the wall time of the 5-node exactly-once runs goes: each kind of
 * event, and the time between events (the clients' and the workload
 * driver's async code, run as the microtask queue drains, and the
 * scheduler's own loop).
 */
function breakdownTable(b: EventBreakdown): string {
  const inside = b.kinds.reduce((s, k) => s + k.ms, 0);
  const share = (ms: number) => `${((100 * ms) / b.wallMs).toFixed(1)}%`;
  const rows = b.kinds.map((k) => [k.kind, String(k.events), k.ms.toFixed(1), ((1000 * k.ms) / k.events).toFixed(2), share(k.ms)]);
  rows.push(["between events (clients' and driver's async code, scheduler loop)", "", (b.wallMs - inside).toFixed(1), "", share(b.wallMs - inside)]);
  rows.push(["all", String(b.events), b.wallMs.toFixed(1), ((1000 * b.wallMs) / b.events).toFixed(2), "100%"]);
  return table(["event", "events", "wall ms", "us/event", "share"], rows);
}

function row(label: string, simulatedMs: number, wallMs: number, cpuMs: number, ops: number, events: number, verdict: string): string[] {
  const wallS = wallMs / 1000;
  return [
    label,
    (simulatedMs / 1000).toFixed(1),
    wallS.toFixed(2),
    `${(simulatedMs / wallMs).toFixed(0)}x`,
    `${(simulatedMs / cpuMs).toFixed(0)}x`,
    String(ops),
    (ops / (simulatedMs / 1000)).toFixed(0),
    String(events),
    (events / wallS / 1000).toFixed(0) + "k",
    (ops / wallS).toFixed(0),
    verdict,
  ];
}

/** Of the same run's passes (the same seed, so the same ops and events), the one with the median wall time. */
function medianPass(passes: SpeedRow[]): SpeedRow {
  return [...passes].sort((a, b) => a.wallMs - b.wallMs)[Math.floor((passes.length - 1) / 2)]!;
}

/**
 * The printed rows: each run's median pass, with the 5-node exactly-once
 * total (the median of each pass's total) after its last seed.
 */
function speedTable(runs: SpeedRow[]): string {
  const byLabel = new Map<string, SpeedRow[]>();
  for (const r of runs) byLabel.set(r.label, [...(byLabel.get(r.label) ?? []), r]);
  const totalsByPass = new Map<number, SpeedRow>();
  for (const r of runs) {
    if (!r.total) continue;
    const t = totalsByPass.get(r.pass) ?? { ...r, label: "5 nodes exactly-once, seeds 1-3", simulatedMs: 0, wallMs: 0, cpuMs: 0, ops: 0, events: 0, verdict: "" };
    totalsByPass.set(r.pass, { ...t, simulatedMs: t.simulatedMs + r.simulatedMs, wallMs: t.wallMs + r.wallMs, cpuMs: t.cpuMs + r.cpuMs, ops: t.ops + r.ops, events: t.events + r.events });
  }
  const rows: string[][] = [];
  const labels = [...byLabel.keys()];
  labels.forEach((label, i) => {
    const m = medianPass(byLabel.get(label)!);
    rows.push(row(label, m.simulatedMs, m.wallMs, m.cpuMs, m.ops, m.events, m.verdict));
    if (m.total && !byLabel.get(labels[i + 1] ?? "")?.[0]?.total) {
      const t = medianPass([...totalsByPass.values()]);
      rows.push(row(t.label, t.simulatedMs, t.wallMs, t.cpuMs, t.ops, t.events, ""));
    }
  });
  return table(["run", "sim s", "wall s", "speed", "cpu speed", "ops", "ops/s", "events", "events/s", "ops/wall s", "verdict"], rows);
}

function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => r.map((c, i) => c.padStart(w[i]!)).join("  ");
  return [line(head), w.map((n) => "-".repeat(n)).join("  "), ...rows.map(line)].join("\n");
}

const load = (): string => loadavg().map((l) => l.toFixed(1)).join(" ");

/** Rebuilds kv-sim's bundle unless it is fresh; a bundle that cannot be built stops the bench. */
function freshBundle(): void {
  const stale = staleReason(LAUNCHER);
  if (stale === undefined) return;
  process.stdout.write(`kv-sim's bundle is not fresh (${stale}); building it\n`);
  const b = spawnSync(process.execPath, [BUILDER, "kv-sim"], { stdio: "inherit" });
  const still = staleReason(LAUNCHER);
  if (b.status !== 0 || still !== undefined) throw new Error(`kv-sim's bundle could not be built (${still ?? `exit ${b.status}`}); the swarm rows would measure the sources through tsx`);
}

/** User + system seconds of the children this process has waited for (Linux). */
function childrenCpuS(): number {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[13]) + Number(fields[14])) / 100; // cutime, cstime in clock ticks
}

/** One whole `kv-sim run --json`: its wall and CPU time, and what it simulated. */
function commandRow(seed: string, from: From, outDir: string): string[] {
  const env = { ...process.env, DSLAB_RUN_SOURCES: from === "sources" ? "1" : "" };
  const argv = [LAUNCHER, "run", "--seed", seed, "--nodes", "5", "--time-limit-s", "60", "--rate", "100", "--concurrency", "32", "--nemesis", "all", "--json", "--out", join(outDir, `${from}-${seed}`)];
  const cpu0 = childrenCpuS();
  const t0 = performance.now();
  const r = spawnSync(process.execPath, argv, { encoding: "utf8", maxBuffer: 16 << 20, env });
  const wallS = (performance.now() - t0) / 1000;
  const cpuS = childrenCpuS() - cpu0;
  if (r.status !== 0 && r.status !== 1) throw new Error(`kv-sim run --seed ${seed} (${from}): exit ${r.status}\n${r.stderr}`);
  const ran = from === "sources" ? "sources" : staleReason(LAUNCHER) === undefined ? "bundle" : `sources (${staleReason(LAUNCHER)})`;
  const res = JSON.parse(r.stdout) as { simulatedMs: number; ops: { invoked: number }; verdict: string };
  const simS = res.simulatedMs / 1000;
  return [`seed ${seed}`, ran, wallS.toFixed(2), cpuS.toFixed(2), `${(simS / wallS).toFixed(0)}x`, `${(simS / cpuS).toFixed(0)}x`, String(res.ops.invoked), res.verdict];
}

/** The speed rows, then whole `kv-sim run` commands from the bundle and from the sources. */
async function speedAndCommands(): Promise<void> {
  const compiledDir = mkdtempSync(join(tmpdir(), "dslab-sim-bench-"));
  try {
    await speedAndCommandsIn(compiledDir);
  } finally {
    rmSync(compiledDir, { recursive: true, force: true });
  }
}

async function speedAndCommandsIn(compiledDir: string): Promise<void> {
  await compileModule("sim-speed", SPEED, compiledDir);
  const note =
    "Simulation speed, every fault, 100 ops/s target, 32 clients. speed: simulated s per wall s of the simulation (checkers excluded);\n" +
    "cpu speed: per CPU s of the process meanwhile; ops/s: simulated; events/s and ops/wall s: per wall second";
  console.log(`load average before: ${load()}`);
  const bundleRuns = speedRows("bundle", compiledDir);
  const sourceRuns = args["with-sources"] ? speedRows("sources", compiledDir) : undefined;
  console.log(`load average after: ${load()}`);
  const passes = repeat > 1 ? `, the median of ${repeat} passes` : "";
  console.log(`\n${note}\n\nFrom the bundle (bench/sim-speed.ts compiled as kv-sim's bundle is, in a child process${passes}):\n`);
  console.log(speedTable(bundleRuns.rows));
  console.log(`\nWhere the wall time goes: the 5-node exactly-once runs (seeds 1-3) once more, from the bundle, every event timed:\n`);
  console.log(breakdownTable(bundleRuns.breakdown));
  if (sourceRuns) {
    console.log(`\nFrom the sources through tsx (node --import tsx bench/sim-speed.ts${passes}):\n`);
    console.log(speedTable(sourceRuns.rows));
  }
  freshBundle();
  const commandRows: string[][] = [];
  const loadBefore = load();
  for (const seed of ["1", "2", "3"]) for (const from of ["bundle", "sources"] as const) commandRows.push(commandRow(seed, from, compiledDir));
  console.log(
    `\nWhole commands: kv-sim run --seed S --nodes 5 --time-limit-s 60 --rate 100 --concurrency 32 --nemesis all --json --out DIR\n` +
      `(start-up, checkers and outputs included; speed: simulated s per wall s of the command; cpu speed: per its CPU s; load average ${loadBefore} before, ${load()} after)\n`,
  );
  console.log(table(["run", "ran", "wall s", "cpu s", "speed", "cpu speed", "ops", "verdict"], commandRows));
}

if (!args["swarm-only"]) await speedAndCommands();

interface SwarmSummary {
  ops: number;
  invalid: number;
  unknown: number;
}

/** One whole `kv-sim swarm ... --json` command from the launcher; resolves with its summary line. */
function swarm(seeds: number, startSeed: number, jobs: number): Promise<SwarmSummary> {
  const argv = [LAUNCHER, "swarm", "--seeds", String(seeds), "--start-seed", String(startSeed), "--jobs", String(jobs), "--nodes", "3", "--time-limit-s", "5", "--concurrency", "8", "--json"];
  return new Promise<SwarmSummary>((resolve, reject) =>
    execFile(process.execPath, argv, { maxBuffer: 64 * 1024 * 1024 }, (err, stdout) => {
      if (err && err.code !== 1) reject(err);
      else resolve((JSON.parse(stdout.trim().split("\n").at(-1)!) as { summary: SwarmSummary }).summary);
    }),
  );
}

if (!args["no-swarm"]) {
  const seeds = swarmSeeds;
  const half = Math.ceil(seeds / 2);
  // 1 job, 2 jobs, and two independent 1-job swarms of half the seeds each
  // at once (no swarm between them: the most two processes get from this
  // machine, which 2 jobs cannot beat).
  const runs: Array<[label: string, jobs: string, start: () => Promise<SwarmSummary[]>]> = [
    ["1 job", "1", () => Promise.all([swarm(seeds, 1, 1)])],
    ["2 jobs", "2", () => Promise.all([swarm(seeds, 1, 2)])],
    [`2 x 1 job, ${half} + ${seeds - half} seeds at once`, "1 + 1", () => Promise.all([swarm(half, 1, 1), swarm(seeds - half, 1 + half, 1)])],
  ];
  const swarmRows: string[][] = [];
  const walls: number[] = [];
  for (const [label, jobs, start] of runs) {
    freshBundle();
    const loadBefore = load();
    const cpu0 = childrenCpuS();
    const t0 = performance.now();
    const summaries = await start();
    const wallS = (performance.now() - t0) / 1000;
    // The commands and their workers, waited for (the launcher execs node, which waits for its workers).
    const cpuS = childrenCpuS() - cpu0;
    // Fresh before and after: the commands and their workers ran the bundle.
    const stale = staleReason(LAUNCHER);
    const ran = stale === undefined ? "bundle" : `sources (${stale})`;
    const total = (k: keyof SwarmSummary) => String(summaries.reduce((n, x) => n + x[k], 0));
    walls.push(wallS);
    swarmRows.push([label, String(seeds), jobs, total("ops"), wallS.toFixed(1), cpuS.toFixed(1), (cpuS / wallS).toFixed(2), ((seeds / wallS) * 60).toFixed(0), total("invalid"), total("unknown"), loadBefore, ran]);
  }
  console.log(`\nSwarm: kv-sim swarm --seeds N --jobs J --nodes 3 --time-limit-s 5 --concurrency 8 (workloads in turn, every fault), wall time of the whole command`);
  console.log(table(["run", "seeds", "jobs", "ops", "wall s", "cpu s", "cores busy", "seeds/min", "invalid", "unknown", "load before", "ran"], swarmRows));
  const [one, two, halves] = walls;
  // One job is one JavaScript thread, but V8 compiles and collects garbage on
  // threads of its own beside it, so 1 job keeps more than one core busy, and
  // N cores give 2 jobs at most N / (cores busy on 1 job) times its CPU rate.
  const busyOne = Number(swarmRows[0]![6]);
  const cores = availableParallelism();
  console.log(`2 jobs / 1 job speed-up: ${(one! / two!).toFixed(2)}x; two independent halves at once: ${(one! / halves!).toFixed(2)}x (what two processes get from this machine)`);
  console.log(
    `1 job kept ${busyOne.toFixed(2)} cores busy, so ${cores} cores give 2 jobs at most ${(cores / busyOne).toFixed(2)}x the CPU time per second it had ` +
      `(2 jobs beat that only by needing less CPU in all)`,
  );
}
