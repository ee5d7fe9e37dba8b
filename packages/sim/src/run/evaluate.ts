/**
 * Runs every check on a finished run and builds results.json.
 */
import type { History } from "@dslab/checker";
import type { MessageTrace } from "../network/trace.js";
import type { NemesisOp } from "../nemesis/schedule.js";
import type { AppliedFault } from "../nemesis/applier.js";
import type { HistoryRecorder } from "../history/recorder.js";
import type { WorkloadDriver } from "../workload/driver.js";
import type { Workload } from "../workload/workloads.js";
import { checkLiveness, type LivenessFacts } from "../checks/liveness.js";
import { checkSessionBound } from "../checks/sessions.js";
import { checkElections } from "../checks/elections.js";
import { checkRedirects } from "../checks/redirects.js";
import { checkSafety, type SafetyOutcome } from "../checks/safety.js";
import type { RunConfig } from "./config.js";
import { firstViolation } from "./violation.js";
import { latencySummary, verdictOf, type Anomaly, type CheckResult, type RunResults } from "./results.js";

export interface RunArtifacts {
  config: RunConfig;
  mode: "in-process" | "process";
  command: string;
  history: History;
  recorder: HistoryRecorder;
  trace: MessageTrace;
  driver: WorkloadDriver;
  schedule: NemesisOp[];
  applied: AppliedFault[];
  workload: Workload;
  nodeIds: string[];
  simulatedMs: number;
  wallMs: number;
  /** In-process: CPU ms of this process (every thread) while the simulation ran, checkers excluded. */
  cpuMs?: number;
  /** In-process with `profileEvents`: wall time inside events, by kind (the rest of `wallMs` is spent between them). */
  eventProfile?: Array<{ kind: string; events: number; ms: number }>;
  liveness: LivenessFacts;
  sessions: { bound: number | undefined; maxSeen: number };
  /** In-process: per term, the nodes that became its leader. Absent in process mode. */
  leaders?: ReadonlyMap<number, ReadonlySet<string>>;
  nodeStats: Record<string, number>;
  /** Process mode: crashes, hangs, non-protocol lines, each with node and line. */
  nodeProblems: Anomaly[];
  results: RunResults | null;
  /** The safety checker's own result (for the timeline). */
  safety?: SafetyOutcome["raw"];
  /** Process mode: the tail of each node's stderr. */
  nodeLogs?: Record<string, string[]>;
}

export async function evaluateRun(a: RunArtifacts): Promise<RunResults> {
  const checks: Record<string, CheckResult> = {};
  const anomalies: Anomaly[] = [];
  const add = (name: string, r: { result: CheckResult; anomalies: Anomaly[] }): void => {
    checks[name] = r.result;
    anomalies.push(...r.anomalies);
  };
  const safety = await checkSafety(a.history, a.workload.model);
  a.safety = safety.raw;
  add(a.workload.model === "register" ? "linearizability" : "exactly-once", safety);
  add("liveness", checkLiveness(a.liveness, a.config.timeLimitS * 1000));
  add("sessions", checkSessionBound(a.sessions));
  if (a.leaders !== undefined) add("elections", checkElections(a.leaders));
  add("redirects", checkRedirects(a.driver.stats));
  if (a.mode === "process") {
    checks.nodes = { valid: a.nodeProblems.length === 0, detail: { problems: a.nodeProblems.length } };
  }
  anomalies.push(...a.nodeProblems);

  const s = a.driver.stats;
  const completed = s.ok + s.fail + s.info;
  const invoked = a.recorder.invocations;
  return {
    seed: a.config.seed,
    command: a.command,
    mode: a.mode,
    config: a.config,
    verdict: verdictOf(checks),
    checks,
    anomalies,
    firstViolation: firstViolation(anomalies, a.history),
    ops: { invoked, ok: s.ok, fail: s.fail, info: s.info },
    availability: completed === 0 ? 0 : Math.round(((s.ok + s.failAnswered) / completed) * 10_000) / 10_000,
    msgsPerOp: invoked === 0 ? 0 : Math.round((a.trace.packetsSent / invoked) * 100) / 100,
    clientMsgsPerOp: invoked === 0 ? 0 : Math.round((a.trace.clientPacketsSent / invoked) * 100) / 100,
    latencyMs: latencySummary(s.latenciesMs),
    faults: a.applied,
    nemesisSchedule: a.schedule,
    simulatedMs: Math.round(a.simulatedMs),
    wallMs: Math.round(a.wallMs),
    stats: { ...a.nodeStats, packets: a.trace.packetsSent, clientAttempts: s.attempts, redirects: s.redirects },
    clients: Object.fromEntries(a.driver.clientIds),
  };
}
