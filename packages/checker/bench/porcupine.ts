/**
 * `npm run bench` (second part): the whole `history-check` command, Node's
 * start-up included, over porcupine-shaped data (bench/porcupine-data.ts:
 * 103 etcd-like register histories and porcupine's six kv cases, written as
 * EDN files in a temp dir), against the same search done in this process.
 * Porcupine's Go test binary checks its own 109 histories of these shapes in
 * about 0.7 s on a 2-core Linux machine; that is the mark for the whole
 * command.
 *
 *   tsx bench/porcupine.ts [--seed N] [--etcd N] [--runs N] [--batch-runs N]
 *                          [--with-sources] [--porcupine-test BIN]
 *
 * The command is run through its launcher (bin/history-check.js), as a user
 * runs it; its compiled bundle is rebuilt first if it is not fresh, and a
 * run during which a source changed (so that the launcher fell back to the
 * sources) is run again, so the figures are those of the compiled command. "cpu s" is the user and system
 * time of the child processes (or of the search here), which a busy machine
 * inflates far less than wall-clock time. --with-sources adds the one
 * process per file row with the command run from its TypeScript sources
 * through tsx (DSLAB_RUN_SOURCES=1), as every command started before the
 * bundles.
 *
 * The batch commands are run --batch-runs times (default 10), alternating
 * their variants, and the medians are shown: every file in one process
 * with `--model auto` (the headline: one command for the whole set, as
 * porcupine's is one binary), with one thread (`--jobs 1`, the default on
 * 2 cores) and with two; and one process per model (`--model register`
 * for the register files, `--model kv` for the kv ones). Each with NODE_EXTRA_CA_CERTS as the environment has it
 * and without it (when set, Node reads that CA bundle at every start).
 * --porcupine-test BIN runs porcupine's own Go test binary (`go test -c`
 * in a porcupine checkout; it is run in the directory it is in, where its
 * test_data is) as many times, and shows its figures beside them.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { checkLinearizability, readHistory, writeHistoryEdn } from "../src/index.js";
import { porcupineLikeFiles } from "./porcupine-data.js";

const LAUNCHER = fileURLToPath(new URL("../bin/history-check.js", import.meta.url));
const BUILDER = fileURLToPath(new URL("../../../scripts/bins/build.js", import.meta.url));
const COMPILED = pathToFileURL(fileURLToPath(new URL("../../../scripts/bins/compiled.js", import.meta.url))).href;

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
}

function textArg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
}

function median(xs: readonly number[]): number {
  return quantile([...xs].sort((a, b) => a - b), 0.5);
}

/** User + system seconds of the children this process has waited for (Linux). */
function childrenCpuS(): number {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[13]) + Number(fields[14])) / 100; // cutime, cstime in clock ticks
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

interface Verdict {
  file: string;
  valid: boolean | "unknown";
  model?: string;
}

function runCli(args: string[], env: NodeJS.ProcessEnv = process.env): { ms: number; cpuS: number; verdicts: Verdict[]; status: number | null } {
  const cpu0 = childrenCpuS();
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [LAUNCHER, ...args], { encoding: "utf8", maxBuffer: 64 << 20, env });
  const ms = performance.now() - t0;
  if (r.status !== 0 && r.status !== 1) throw new Error(`history-check ${args.slice(0, 3).join(" ")} ...: exit ${r.status}\n${r.stderr}`);
  const verdicts = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as Verdict);
  return { ms, cpuS: childrenCpuS() - cpu0, verdicts, status: r.status };
}

const { staleReason } = (await import(COMPILED)) as { staleReason: (launcher: string) => string | undefined };

/** Rebuilds history-check's bundle unless it is fresh. */
function freshBundle(): void {
  const stale = staleReason(LAUNCHER);
  if (stale === undefined) return;
  process.stdout.write(`history-check's bundle is not fresh (${stale}); rebuilding it\n`);
  const b = spawnSync(process.execPath, [BUILDER, "history-check"], { stdio: "inherit" });
  if (b.status !== 0 || staleReason(LAUNCHER) !== undefined) throw new Error("history-check's bundle could not be built; the figures would be those of the sources through tsx");
}

/**
 * Runs `phase` with a fresh bundle, again if a source changed meanwhile (the
 * launcher then ran the sources, and the figures would be theirs).
 */
function compiled<T>(what: string, phase: () => T): T {
  for (let attempt = 1; ; attempt++) {
    freshBundle();
    const result = phase();
    const stale = staleReason(LAUNCHER);
    if (stale === undefined) return result;
    if (attempt === 3) throw new Error(`${what}: the sources kept changing during the run (${stale})`);
    process.stdout.write(`${what}: ${stale} during the run; running it again\n`);
  }
}

const seed = arg("--seed", 42);
const runs = arg("--runs", 20);
const dir = mkdtempSync(join(tmpdir(), "dslab-porcupine-bench-"));
try {
  const files = porcupineLikeFiles(seed, arg("--etcd", 103)).map((f) => ({ ...f, path: join(dir, f.name) }));
  for (const f of files) writeFileSync(f.path, writeHistoryEdn(f.history));
  const ops = files.reduce((n, f) => n + f.history.filter((op) => op.type === "invoke").length, 0);
  const expected = new Map(files.map((f) => [f.path, f.expected]));
  const modelOf = new Map(files.map((f) => [f.path, f.model]));
  const check = (verdicts: Verdict[], what: string) => {
    for (const v of verdicts) {
      const want = expected.get(v.file);
      const got = v.valid === true ? "valid" : v.valid === false ? "invalid" : "unknown";
      if (got !== want) process.stdout.write(`${what}: ${v.file} is ${got}, expected ${want}\n`);
      if (v.model !== undefined && v.model !== modelOf.get(v.file)) process.stdout.write(`${what}: ${v.file} was checked as ${v.model}, expected ${modelOf.get(v.file)}\n`);
    }
  };

  // Start-up: `history-check --help`, the command doing nothing.
  const helpTimes = (env: NodeJS.ProcessEnv) => {
    const ms: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      spawnSync(process.execPath, [LAUNCHER, "--help"], { encoding: "utf8", env });
      ms.push(performance.now() - t0);
    }
    return ms.sort((a, b) => a - b);
  };
  const helpMs = compiled("history-check --help", () => helpTimes(process.env));
  const startMs = quantile(helpMs, 0.5);
  const withoutCa = { ...process.env };
  delete withoutCa.NODE_EXTRA_CA_CERTS;
  const caSet = process.env.NODE_EXTRA_CA_CERTS !== undefined;
  const helpMsNoCa = caSet ? compiled("history-check --help without the CA bundle", () => helpTimes(withoutCa)) : helpMs;
  const startMsNoCa = quantile(helpMsNoCa, 0.5);

  // The search alone, in this process (reading the files apart).
  let readMs = 0;
  let searchMs = 0;
  const cpu0 = process.cpuUsage();
  const inProcess: Verdict[] = [];
  for (const f of files) {
    const t0 = performance.now();
    const h = readHistory(readFileSync(f.path, "utf8"), { source: f.path });
    const t1 = performance.now();
    const r = checkLinearizability(h, { model: f.model, timeLimitMs: 60_000 });
    searchMs += performance.now() - t1;
    readMs += t1 - t0;
    inProcess.push({ file: f.path, valid: r.valid });
  }
  const cpu = process.cpuUsage(cpu0);
  check(inProcess, "in-process");

  // One process per file.
  const [perFileMs, perFileCpuS] = compiled("one process per file", () => {
    let ms = 0;
    let cpuS = 0;
    for (const f of files) {
      const r = runCli([f.path, "--model", f.model, "--json"]);
      ms += r.ms;
      cpuS += r.cpuS;
      check(r.verdicts, "one process per file");
    }
    return [ms, cpuS] as const;
  });

  // One process per file, from the sources.
  const withSources = process.argv.includes("--with-sources");
  const sourcesEnv = { ...process.env, DSLAB_RUN_SOURCES: "1" };
  let sourcesMs = 0;
  let sourcesCpuS = 0;
  const sourcesStartMs = withSources ? quantile(helpTimes(sourcesEnv), 0.5) : 0;
  for (const f of withSources ? files : []) {
    const r = runCli([f.path, "--model", f.model, "--json"], sourcesEnv);
    sourcesMs += r.ms;
    sourcesCpuS += r.cpuS;
    check(r.verdicts, "one process per file, sources");
  }

  // The whole set in one process with --model auto (the headline: one command, as porcupine is one binary),
  // then one process per model; with one thread and with two, with and without the CA bundle.
  const envs = [{ name: "", env: process.env, startMs }, ...(caSet ? [{ name: ", NODE_EXTRA_CA_CERTS unset", env: withoutCa, startMs: startMsNoCa }] : [])];
  const byModel = (["register", "kv"] as const).map((model) => ({ model, paths: files.filter((f) => f.model === model).map((f) => f.path) }));
  const variants = envs.flatMap(({ name, env, startMs }) => [
    { label: `\`history-check FILE... --model auto --jobs 1\`, one process${name}`, runs: [[...files.map((f) => f.path), "--model", "auto", "--jobs", "1"]], env, startMs, ms: [] as number[], cpuS: [] as number[] },
    { label: `\`history-check FILE... --model auto --jobs 2\`, one process${name}`, runs: [[...files.map((f) => f.path), "--model", "auto", "--jobs", "2"]], env, startMs, ms: [] as number[], cpuS: [] as number[] },
    {
      label: `\`history-check FILE... --model M --jobs 1\`, one process per model (2)${name}`,
      runs: byModel.map(({ model, paths }) => [...paths, "--model", model, "--jobs", "1"]),
      env,
      startMs: startMs * 2,
      ms: [] as number[],
      cpuS: [] as number[],
    },
  ]);
  const batchRuns = arg("--batch-runs", 10);
  compiled("one process for every file, and one per model", () => {
    for (const v of variants) {
      v.ms.length = 0;
      v.cpuS.length = 0;
    }
    for (let i = 0; i < batchRuns; i++) {
      for (const v of variants) {
        let ms = 0;
        let cpuS = 0;
        for (const args of v.runs) {
          const r = runCli([...args, "--json"], v.env);
          ms += r.ms;
          cpuS += r.cpuS;
          check(r.verdicts, v.label);
        }
        v.ms.push(ms);
        v.cpuS.push(cpuS);
      }
    }
  });

  // Porcupine's own test binary, on its own 109 histories.
  const porcupineBin = textArg("--porcupine-test");
  const porcupine = { ms: [] as number[], cpuS: [] as number[] };
  for (let i = 0; porcupineBin !== undefined && i < batchRuns; i++) {
    const cpu0 = childrenCpuS();
    const t0 = performance.now();
    const r = spawnSync(resolve(porcupineBin), [], { cwd: dirname(resolve(porcupineBin)), encoding: "utf8", maxBuffer: 64 << 20 });
    porcupine.ms.push(performance.now() - t0);
    porcupine.cpuS.push(childrenCpuS() - cpu0);
    if (r.status !== 0) throw new Error(`${porcupineBin}: exit ${r.status}\n${r.stdout}${r.stderr}`);
  }

  const invalid = files.filter((f) => f.expected === "invalid").length;
  const s = (ms: number) => (ms / 1000).toFixed(2);
  const rows = [
    ["command", "files", "ops", "wall s", "cpu s", "start-up per file ms"],
    ...variants.map((v) => [v.label, String(files.length), String(ops), s(median(v.ms)), median(v.cpuS).toFixed(2), (v.startMs / files.length).toFixed(1)]),
    ["`history-check FILE --model M`, one process per file", String(files.length), String(ops), s(perFileMs), perFileCpuS.toFixed(2), startMs.toFixed(0)],
    ...(withSources ? [["`history-check FILE --model M`, one process per file, sources through tsx", String(files.length), String(ops), s(sourcesMs), sourcesCpuS.toFixed(2), sourcesStartMs.toFixed(0)]] : []),
    ...(porcupineBin === undefined ? [] : [["porcupine's Go test binary (`go test -c`), its own 109 histories", "109", "-", s(median(porcupine.ms)), median(porcupine.cpuS).toFixed(2), "-"]]),
    ["`readHistory` + `checkLinearizability` in one process", String(files.length), String(ops), s(readMs + searchMs), ((cpu.user + cpu.system) / 1e6).toFixed(2), "-"],
    ["`readHistory` alone (reading the EDN files)", String(files.length), String(ops), s(readMs), "-", "-"],
    ["`checkLinearizability` alone (the search)", String(files.length), String(ops), s(searchMs), "-", "-"],
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => "| " + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(" | ") + " |";
  process.stdout.write(
    `\nporcupine-shaped data, seed ${seed}: ${files.length} files (${files.length - 6} etcd-like register, 6 kv; ${invalid} invalid), ${ops} operations\n` +
      `history-check --help: median ${startMs.toFixed(0)} ms, p90 ${quantile(helpMs, 0.9).toFixed(0)} ms over ${runs} runs` +
      (caSet ? `; with NODE_EXTRA_CA_CERTS unset: median ${startMsNoCa.toFixed(0)} ms, p90 ${quantile(helpMsNoCa, 0.9).toFixed(0)} ms\n` : "\n") +
      `batch rows and porcupine: medians of ${batchRuns} runs\n` +
      `nproc ${cpus().length} (available parallelism ${availableParallelism()}), load average ${loadavg().map((l) => l.toFixed(1)).join(" ")}\n\n` +
      line(rows[0]!) + "\n|" + widths.map((w, i) => (i === 0 ? "-".repeat(w + 2) : "-".repeat(w + 1) + ":")).join("|") + "|\n" + rows.slice(1).map(line).join("\n") + "\n",
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
