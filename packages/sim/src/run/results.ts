/**
 * results.json: the verdict and the figures of one run, the same shape for
 * in-process and process mode.
 */
import type { NemesisOp } from "../nemesis/schedule.js";
import type { AppliedFault } from "../nemesis/applier.js";
import type { RunConfig } from "./config.js";

export type Verdict = "valid" | "invalid" | "unknown";

export interface Anomaly {
  /** Which check found it: "linearizability", "exactly-once", "liveness", "sessions", "redirect-backoff", "node". */
  check: string;
  /** "applied-twice", "acknowledged-but-lost", "no-leader", ... */
  kind: string;
  message: string;
  /** History indexes of the operations involved. */
  ops?: number[];
  /** Simulated ms of the first evidence, when known. */
  atMs?: number;
}

export interface CheckResult {
  valid: boolean | "unknown";
  detail: Record<string, unknown>;
}

export interface RunResults {
  seed: string;
  /** The exact command that replays this run. */
  command: string;
  mode: "in-process" | "process";
  config: RunConfig;
  verdict: Verdict;
  checks: Record<string, CheckResult>;
  anomalies: Anomaly[];
  /** Where the first violation shows (ms from the start), or null. */
  firstViolation: { atMs: number; label: string } | null;
  ops: { invoked: number; ok: number; fail: number; info: number };
  /** Operations the system answered (ok, or a definite answer such as cas precondition-failed) / completed. */
  availability: number;
  /** Packets sent (client and node-to-node) per client operation. */
  msgsPerOp: number;
  clientMsgsPerOp: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  faults: AppliedFault[];
  nemesisSchedule: NemesisOp[];
  /** Time the run covered (simulated in-process), and what it cost. */
  simulatedMs: number;
  /** Wall time of the run itself (simulation or real processes), without the checkers. */
  wallMs: number;
  /** Wall time the checkers took. */
  checkWallMs?: number;
  stats: Record<string, number>;
  /** client endpoint -> client_id. */
  clients: Record<string, string>;
}

export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

export function latencySummary(latenciesMs: readonly number[]): RunResults["latencyMs"] {
  const s = [...latenciesMs].sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 100) / 100;
  return { p50: r(quantile(s, 0.5)), p90: r(quantile(s, 0.9)), p99: r(quantile(s, 0.99)), max: r(s[s.length - 1] ?? 0) };
}

export function verdictOf(checks: Record<string, CheckResult>): Verdict {
  const vs = Object.values(checks).map((c) => c.valid);
  if (vs.includes(false)) return "invalid";
  if (vs.includes("unknown")) return "unknown";
  return "valid";
}

/** "valid", or the verdict with the checks that made it: "invalid (liveness failed)". The title of both HTML outputs. */
export function verdictTitle(r: RunResults): string {
  if (r.verdict === "valid") return "valid";
  const failed = checksWhere(r, false);
  const unknown = checksWhere(r, "unknown");
  const why = [failed.length > 0 ? `${failed.join(", ")} failed` : "", unknown.length > 0 ? `${unknown.join(", ")} unknown` : ""].filter((s) => s !== "");
  return why.length > 0 ? `${r.verdict} (${why.join("; ")})` : r.verdict;
}

/** The names of the checks whose result is `valid` (false or "unknown"), in the order they ran. */
export function checksWhere(r: RunResults, valid: false | "unknown"): string[] {
  return Object.entries(r.checks)
    .filter(([, c]) => c.valid === valid)
    .map(([name]) => name);
}
