/**
 * One run's configuration, and the command that replays it (the seed is the
 * bug report: every result prints this command).
 */
import { FAULT_KINDS, parseFaultList, type FaultKind } from "../nemesis/schedule.js";
import { WORKLOAD_NAMES, type WorkloadName } from "../workload/workloads.js";

export interface RunConfig {
  seed: string;
  nodes: number;
  /** Length of the safety phase (faults on), seconds of simulated (or real) time. */
  timeLimitS: number;
  /** Target ops per second across all clients. */
  rate: number;
  concurrency: number;
  workload: WorkloadName;
  nemesis: FaultKind[];
  /** Process mode: the node command. Undefined: in-process reference nodes. */
  bin?: string;
  /**
   * In-process with another core: a module (path) exporting
   * `createKvNodeCore(config, restored)`, e.g. a student's core. Undefined: the reference.
   */
  core?: string;
  /**
   * The retrying client the workload drives: a module (path) exporting
   * `createClient(options)`, e.g. a student's client. Undefined: the reference.
   */
  client?: string;
  /** After the heal, a leader and every final read must arrive within this. */
  livenessBoundS: number;
}

/**
 * The longest safety phase, seconds: a run keeps its whole history and every
 * message in memory (about half a megabyte per simulated second at the
 * default rate), so a longer one runs out of memory before it ends.
 */
export const MAX_TIME_LIMIT_S = 3600;

export const DEFAULT_CONFIG: RunConfig = {
  seed: "1",
  nodes: 3,
  timeLimitS: 30,
  rate: 100,
  concurrency: 8,
  workload: "exactly-once",
  nemesis: ["partition", "kill", "duplicate", "lose-reply", "pause"],
  livenessBoundS: 10,
};

export function validateConfig(c: RunConfig): RunConfig {
  const fail = (field: string, msg: string): never => {
    throw new Error(`--${field}: ${msg}`);
  };
  if (!Number.isInteger(c.nodes) || c.nodes < 1 || c.nodes > 9) fail("nodes", `expected an integer 1..9, got ${c.nodes}`);
  if (!(c.timeLimitS > 0)) fail("time-limit-s", `expected a positive number, got ${c.timeLimitS}`);
  if (c.timeLimitS > MAX_TIME_LIMIT_S) {
    fail(
      "time-limit-s",
      `expected at most ${MAX_TIME_LIMIT_S} (one hour), got ${c.timeLimitS}: a run keeps its whole history and every message in memory; for more operations, run more seeds (kv-sim swarm)`,
    );
  }
  if (!(c.rate > 0)) fail("rate", `expected a positive number, got ${c.rate}`);
  if (!Number.isInteger(c.concurrency) || c.concurrency < 1) fail("concurrency", `expected a positive integer, got ${c.concurrency}`);
  if (!(WORKLOAD_NAMES as readonly string[]).includes(c.workload)) fail("workload", `expected one of ${WORKLOAD_NAMES.join(", ")}, got "${c.workload}"`);
  for (const f of c.nemesis) if (!(FAULT_KINDS as readonly string[]).includes(f)) fail("nemesis", `unknown fault "${f}"`);
  if (!(c.livenessBoundS > 0)) fail("liveness-bound-s", `expected a positive number, got ${c.livenessBoundS}`);
  if (c.bin && c.core) fail("core", "--core runs a core in-process; --bin runs processes: pick one");
  return c;
}

export function parseNemesis(text: string): FaultKind[] {
  return [...parseFaultList(text)];
}

/** `s` as one shell word: as it is when it needs no quoting, else in single quotes. */
export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The exact command that replays this run, runnable from the repository root. */
export function replayCommand(c: RunConfig): string {
  const parts = [
    "npm run kv-sim -- run",
    `--seed ${shellQuote(c.seed)}`,
    `--nodes ${c.nodes}`,
    `--time-limit-s ${c.timeLimitS}`,
    `--rate ${c.rate}`,
    `--concurrency ${c.concurrency}`,
    `--workload ${c.workload}`,
    `--nemesis ${c.nemesis.length ? c.nemesis.join(",") : "none"}`,
  ];
  if (c.livenessBoundS !== DEFAULT_CONFIG.livenessBoundS) parts.push(`--liveness-bound-s ${c.livenessBoundS}`);
  if (c.bin) parts.push(`--bin ${shellQuote(c.bin)}`);
  if (c.core) parts.push(`--core ${shellQuote(c.core)}`);
  if (c.client) parts.push(`--client ${shellQuote(c.client)}`);
  return parts.join(" ");
}
