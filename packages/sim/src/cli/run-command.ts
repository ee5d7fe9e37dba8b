/**
 * `kv-sim run`: one run, in-process (reference nodes under simulated time)
 * or, with --bin, process mode (any protocol-speaking command as N child
 * processes, faults in real time). Prints a summary and the replay command;
 * writes every output to --out.
 */
import { DEFAULT_CONFIG, replayCommand, shellQuote } from "../run/config.js";
import { runInProcess } from "../run/in-process.js";
import { runProcessMode } from "../process/run.js";
import type { RunResults } from "../run/results.js";
import { writeOutputs } from "../output/writer.js";
import { plural } from "../output/plural.js";
import { describeNemesisOp } from "../nemesis/schedule.js";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EXIT, type Io } from "@dslab/protocol/cli";
import { getNonEmpty, parseArgs } from "./args.js";
import { CONFIG_HELP, CONFIG_OPTIONS, configFromArgs } from "./config-args.js";
import { prepareOutDir, removeCreatedDirs } from "./out-dir.js";
import { codeUnderTestThrew, moduleSources } from "./module-error.js";

export const RUN_HELP = `kv-sim run: one run, then its verdict, figures, outputs and replay command

Usage: kv-sim run [--seed N] [--nodes ${DEFAULT_CONFIG.nodes}] [--time-limit-s ${DEFAULT_CONFIG.timeLimitS}] [--rate ${DEFAULT_CONFIG.rate}] [--concurrency ${DEFAULT_CONFIG.concurrency}]
                  [--workload ${DEFAULT_CONFIG.workload}] [--nemesis ${DEFAULT_CONFIG.nemesis.join(",")}]
                  [--bin "CMD"] [--out DIR] [--json]

Without an option, its default is the value shown.

  --seed N               master seed: every fault, op and jitter derives from it (default ${DEFAULT_CONFIG.seed})
${CONFIG_HELP}
  --bin "CMD"            process mode: run CMD as each node (Maelstrom protocol on stdin/stdout);
                         e.g. --bin "node packages/cluster/bin/kv-node.js". If CMD takes --data-dir,
                         each node gets its own directory that survives SIGKILL/restart.
  --out DIR              write history.edn, history.json, results.json, timeline.html,
                         messages.html, messages.txt (default: ${defaultOutDir("N")},
                         outside the repository); checked (created, and a file written
                         and removed) before the run starts
  --json                 print results.json to stdout instead of the summary

Example:
  npm run kv-sim -- run --seed 7 --time-limit-s 20 --workload exactly-once --nemesis all
`;

/**
 * Where a run writes without --out: the OS temp directory, named by command
 * and seed, never inside the repository. A seed is any text; one that is not
 * a plain name (`../x`, `a b`) has its other characters written as `_`, so
 * the directory stays one entry of the temp directory.
 */
export function defaultOutDir(seed: string): string {
  return join(tmpdir(), `kv-sim-seed-${seed.replace(/[^\w.-]/g, "_")}`);
}

export async function runCommand(argv: string[], io: Io): Promise<number> {
  const a = parseArgs(argv, { command: "run", options: [...CONFIG_OPTIONS, "bin", "out"], flags: ["json", "help"] });
  if (a.flags.has("help")) {
    io.stdout(RUN_HELP);
    return 0;
  }
  const bin = getNonEmpty(a, "bin", 'the command that starts a node, e.g. --bin "node packages/cluster/bin/kv-node.js"');
  const config = configFromArgs(a, { ...DEFAULT_CONFIG, ...(bin ? { bin } : {}) });
  const out = getNonEmpty(a, "out", "a directory for the outputs") ?? defaultOutDir(config.seed);
  // Before simulating: a run whose outputs cannot be written is refused now, not lost at the end.
  const created = prepareOutDir(out, outputNames(config.nodes, bin !== undefined));
  const phase = { writing: false };
  const stopOnSignal = interruptHandler(io, { out, created, again: `${replayCommand(config)} --out ${shellQuote(out)}`, phase });
  let artifacts;
  try {
    artifacts = bin ? await runProcessMode(config, { onWarning: (message) => io.stderr(`kv-sim: ${message}\n`) }) : await runInProcess(config, { tracePeerMessages: true });
  } catch (e) {
    stopOnSignal.off();
    // No run, no outputs: the directories made for them go again.
    removeCreatedDirs(created);
    throw codeUnderTestThrew(e, moduleSources(config)) ?? e;
  }
  const r = artifacts.results!;
  const code = r.verdict === "valid" ? EXIT.ok : r.verdict === "invalid" ? EXIT.negative : EXIT.unknown;
  let dir = out;
  try {
    phase.writing = true;
    dir = (await writeOutputs(out, artifacts)).dir;
  } catch (e) {
    // The directory was writable when checked; if writing fails now, the verdict is still printed.
    if (a.flags.has("json")) io.stdout(JSON.stringify(r, null, 2) + "\n");
    else io.stdout(formatSummary(r, out).replace(/^outputs: .*$/m, `outputs: NOT written to ${out}`));
    io.stderr(`kv-sim: cannot write the outputs to ${out}: ${(e as Error).message}; the verdict above stands\n`);
    return code === 0 ? OUTPUTS_LOST_EXIT : code;
  } finally {
    stopOnSignal.off();
  }
  if (a.flags.has("json")) {
    io.stdout(JSON.stringify(r, null, 2) + "\n");
    io.stderr(`kv-sim: outputs written to ${dir}\n`);
  } else io.stdout(formatSummary(r, dir));
  return code;
}

/** The signals that stop a run part-way: each is said, and the run ends as that signal would have ended it (130 or 143 in a shell). */
const STOP_SIGNALS = ["SIGINT", "SIGTERM"] as const;

/**
 * Ctrl-C (or a SIGTERM, from `timeout` say) during a run: says on stderr that
 * the run was interrupted, what became of --out (the directories the
 * start-up check made are removed while they hold nothing) and the command
 * that runs it again, then ends by that signal. In process mode the node
 * groups' own handler (process-group.ts) runs after this one, kills the
 * nodes, removes their data directories and ends the process; otherwise
 * this handler does.
 */
function interruptHandler(io: Io, run: { out: string; created: readonly string[]; again: string; phase: { writing: boolean } }): { off(): void } {
  const off = (): void => {
    for (const s of STOP_SIGNALS) process.off(s, interrupted);
  };
  function interrupted(signal: NodeJS.Signals): void {
    off();
    removeCreatedDirs(run.created);
    const removed = run.created.length > 0 && !existsSync(run.created[0]!);
    const outputs = removed
      ? `nothing was written, and ${run.created[0]} (made for the outputs) is removed`
      : run.phase.writing
        ? `its outputs in ${run.out} may be incomplete`
        : `nothing was written to ${run.out}`;
    io.stderr(`kv-sim: interrupted before the verdict; ${outputs}; to run it again: ${run.again}\n`);
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  }
  for (const s of STOP_SIGNALS) process.on(s, interrupted);
  return { off };
}

/** Exit code of a valid run whose outputs could not be written: not 0, since something was lost. */
export const OUTPUTS_LOST_EXIT = EXIT.badInput;

/** The files `writeOutputs` writes into --out. */
function outputNames(nodes: number, processMode: boolean): string[] {
  const names = ["history.edn", "history.json", "results.json", "timeline.html", "messages.html", "messages.txt"];
  if (processMode) for (let i = 1; i <= nodes; i++) names.push(`n${i}.stderr.log`);
  return names;
}

/**
 * The faults started: what ends one (a restart, a healed partition, a
 * probability back to 0, the final heal) is not another. "3 applied,
 * healed at 3.0 s".
 */
function faultsText(applied: RunResults["faults"]): string {
  const healLabel = describeNemesisOp({ atMs: 0, op: "heal" });
  const started = applied.filter((f) => !f.ends).length;
  const heal = applied.find((f) => f.label === healLabel);
  return `${started} applied${heal ? `, healed at ${(heal.atMs / 1000).toFixed(1)} s` : ""}`;
}

/** An unknown check with the reason its checker gave ("unknown: no append or incr operation to judge ..."). */
function unknownText(detail: Record<string, unknown>): string {
  return typeof detail.unknownReason === "string" ? `unknown: ${detail.unknownReason}` : "unknown";
}

/**
 * The anomalies the summary lists, in their order: the first of each check,
 * then the others up to `max` in all, so a check with few (a node's crash,
 * its bad stdout lines) is not hidden behind another check's many.
 */
function anomaliesToShow<T extends { check: string }>(all: readonly T[], max: number): T[] {
  const picked = new Set<number>();
  const checks = new Set<string>();
  all.forEach((an, i) => {
    if (checks.has(an.check)) return;
    checks.add(an.check);
    picked.add(i);
  });
  for (let i = 0; i < all.length && picked.size < max; i++) picked.add(i);
  return all.filter((_, i) => picked.has(i));
}

export function formatSummary(r: RunResults, dir: string): string {
  const lines = [
    `kv-sim ${r.mode}: seed ${r.seed}, ${r.config.workload}, ${plural(r.config.nodes, "node")}, nemesis ${r.config.nemesis.join(",") || "none"}${r.config.core ? `, core ${r.config.core}` : ""}${r.config.client ? `, client ${r.config.client}` : ""}`,
    `verdict: ${r.verdict.toUpperCase()}`,
    ...Object.entries(r.checks).map(([name, c]) => `  ${name}: ${c.valid === true ? "ok" : c.valid === false ? "FAILED" : unknownText(c.detail)}`),
    `ops: ${r.ops.invoked} invoked, ${r.ops.ok} ok, ${r.ops.fail} fail, ${r.ops.info} info; availability ${(r.availability * 100).toFixed(1)}%`,
    `latency ms: p50 ${r.latencyMs.p50}, p90 ${r.latencyMs.p90}, p99 ${r.latencyMs.p99}, max ${r.latencyMs.max}; msgs/op ${r.msgsPerOp} (client ${r.clientMsgsPerOp})`,
    `faults: ${faultsText(r.faults)}; time: ${(r.simulatedMs / 1000).toFixed(1)} s ${r.mode === "in-process" ? "simulated" : "real"} in ${(r.wallMs / 1000).toFixed(2)} s wall`,
  ];
  if (r.firstViolation) lines.push(`first violation: ${r.firstViolation.label} at ${r.firstViolation.atMs.toFixed(1)} ms (marked in messages.html)`);
  if (r.anomalies.length) {
    lines.push(`anomalies (${r.anomalies.length}):`);
    const shown = anomaliesToShow(r.anomalies, 10);
    for (const an of shown) lines.push(`  - [${an.check}] ${an.kind}: ${an.message}`);
    if (shown.length < r.anomalies.length) lines.push(`  ... ${r.anomalies.length - shown.length} more in results.json`);
  }
  lines.push(`outputs: ${dir}/{history.edn,history.json,results.json,timeline.html,messages.html,messages.txt}`);
  lines.push(`replay: ${r.command}`);
  return lines.join("\n") + "\n";
}
