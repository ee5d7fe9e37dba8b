/**
 * One process-mode run: the command under test as N child processes, the
 * same seeded nemesis schedule, workloads and checks as in-process, on real
 * time. A node that crashes, hangs, floods stdout or prints non-protocol
 * lines is reported (node and line) and the run goes on.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { parseCommandString } from "execa";
import { RealTimeline } from "../world/scheduler.js";
import { createWorldSeeds } from "../world/seeds.js";
import { PacketSimulator } from "../network/packet-simulator.js";
import { plural } from "../output/plural.js";
import { boundedBody, MessageTrace, type PacketFate } from "../network/trace.js";
import { generateNemesisSchedule } from "../nemesis/schedule.js";
import { NemesisApplier } from "../nemesis/applier.js";
import { HistoryRecorder } from "../history/recorder.js";
import { WorkloadDriver } from "../workload/driver.js";
import { createWorkload } from "../workload/workloads.js";
import { replayCommand, type RunConfig } from "../run/config.js";
import { loadClient, referenceClient } from "../run/load-client.js";
import { evaluateRun, type RunArtifacts } from "../run/evaluate.js";
import { finalReads } from "../run/final-reads.js";
import type { Anomaly } from "../run/results.js";
import { ProcessCluster } from "./cluster.js";
import { forgetTempDir, killGroup, trackGroup, trackTempDir } from "./process-group.js";
import { stdoutLineChars, type NodeProblem } from "./node-process.js";

export const PROCESS_DEFAULTS = {
  latency: { minMs: 0.2, meanExtraMs: 1, maxMs: 25 },
  faultsStartMs: 1_500,
  client: { attemptTimeoutMs: 500, maxRetries: 12, maxTotalMs: 5_000 },
  initTimeoutMs: 15_000,
};

export interface ProcessModeOptions {
  /** Called for each node problem as it happens. */
  onProblem?: (p: NodeProblem) => void;
  /** Called with what the run should say about the command but goes on despite (a --help cut at its bound). */
  onWarning?: (message: string) => void;
}

/** Workload node settings passed as flags when the command's --help mentions them. */
const TUNING_FLAGS = [
  ["sessionTimeoutMs", "--session-timeout-ms"],
  ["maxSessions", "--max-sessions"],
  ["snapshotEveryEntries", "--snapshot-every"],
] as const;

/** How much of the command's --help (stdout and stderr together) is read; past it, the command is killed. */
export const HELP_MAX_BYTES = 64 << 10;
/** How long the command's --help may take; past it, its process group is killed. */
export const HELP_TIMEOUT_MS = 15_000;
/**
 * How long the rest of --help's output is awaited once the command has
 * exited: a process it started with setsid (outside its process group, so
 * out of reach) may hold the output open far longer.
 */
const HELP_EXIT_GRACE_MS = 200;

export interface CommandCaps {
  dataDir: boolean;
  seed: boolean;
  flags: Set<string>;
  /** Set when --help printed more than HELP_MAX_BYTES or did not end in time: it was killed, and only what it had printed was read. */
  warning?: string;
}

export interface ProbeOptions {
  /** How long --help may take before it is killed; HELP_TIMEOUT_MS unless given. */
  timeoutMs?: number;
}

/**
 * What the command accepts, from its --help text: its first HELP_MAX_BYTES,
 * the command killed as soon as it prints more (a --help that never ends
 * would otherwise be held in memory until a far larger bound). The answer
 * comes when the command exits (what it printed up to HELP_EXIT_GRACE_MS
 * later is read), or when it has taken `timeoutMs`.
 */
export async function probeCommand(command: string, options: ProbeOptions = {}): Promise<CommandCaps> {
  const timeoutMs = options.timeoutMs ?? HELP_TIMEOUT_MS;
  const [file, ...args] = parseCommandString(command);
  if (!file) throw new Error("--bin: empty command");
  // In a process group of its own, killed when it exits or times out: a child it leaves holding its output open would keep the answer from coming.
  const child = spawn(file, [...args, "--help"], { stdio: ["ignore", "pipe", "pipe"], detached: true });
  trackGroup(child.pid);
  const head: Buffer[] = [];
  let size = 0;
  let cut = false;
  const onData = (bytes: Buffer): void => {
    if (cut) return;
    if (size + bytes.length > HELP_MAX_BYTES) {
      head.push(Buffer.from(bytes.subarray(0, HELP_MAX_BYTES - size)));
      size = HELP_MAX_BYTES;
      cut = true;
      killGroup(child.pid);
      return;
    }
    head.push(bytes);
    size += bytes.length;
  };
  const outcome = await new Promise<"exited" | "timed-out" | Error>((resolve) => {
    let openPipes = 2;
    let exited = false;
    let grace: NodeJS.Timeout | undefined;
    const limit = setTimeout(() => finish("timed-out"), timeoutMs);
    function finish(how: "exited" | "timed-out" | Error): void {
      clearTimeout(limit);
      clearTimeout(grace);
      resolve(how);
    }
    // Not started at all (ENOENT, EACCES).
    child.once("error", finish);
    for (const pipe of [child.stdout, child.stderr]) {
      pipe.on("data", onData);
      pipe.once("close", () => {
        if (--openPipes === 0 && exited) finish("exited");
      });
    }
    child.once("exit", () => {
      exited = true;
      killGroup(child.pid);
      if (openPipes === 0) finish("exited");
      else grace = setTimeout(() => finish("exited"), HELP_EXIT_GRACE_MS);
    });
  });
  killGroup(child.pid);
  // A process out of the group's reach may still hold them open: they are not read any further.
  child.stdout.destroy();
  child.stderr.destroy();
  if (outcome instanceof Error) {
    // Not started at all (ENOENT, EACCES): nothing to run a cluster of.
    throw new Error(`--bin: cannot start ${JSON.stringify(command)}: ${outcome.message}`);
  }
  const text = Buffer.concat(head).toString("utf8");
  const flags = new Set(TUNING_FLAGS.map(([, flag]) => flag).filter((flag) => new RegExp(`${flag}\\b`).test(text)));
  const caps: CommandCaps = { dataDir: text.includes("--data-dir"), seed: /--seed\b/.test(text), flags };
  if (cut) caps.warning = `--bin: ${JSON.stringify(command)} --help printed more than ${HELP_MAX_BYTES >> 10} KiB; it was stopped there, and what the command takes was read from those ${HELP_MAX_BYTES >> 10} KiB`;
  else if (outcome === "timed-out") caps.warning = `--bin: ${JSON.stringify(command)} --help did not end within ${timeoutMs / 1000} s; it was stopped there, and what the command takes was read from what it had printed`;
  return caps;
}

export async function runProcessMode(config: RunConfig, options: ProcessModeOptions = {}): Promise<RunArtifacts> {
  if (!config.bin) throw new Error("runProcessMode: config.bin is required");
  const wallStart = performance.now();
  const seeds = createWorldSeeds(config.seed);
  const timeline = new RealTimeline();
  const nodeIds = Array.from({ length: config.nodes }, (_, i) => `n${i + 1}`);
  const workload = createWorkload(config.workload);
  const trace = new MessageTrace({ keepPeerMessages: true, maxEntries: 100_000 });
  const recorder = new HistoryRecorder(() => timeline.now());
  const problems: NodeProblem[] = [];
  const caps = await probeCommand(config.bin);
  if (caps.warning !== undefined) options.onWarning?.(caps.warning);
  const dataRoot = caps.dataDir ? await mkdtemp(join(tmpdir(), `kv-sim-${config.seed}-`)) : null;
  // Removed in the finally below, or on Ctrl-C or SIGTERM once the nodes are killed.
  if (dataRoot) trackTempDir(dataRoot);

  const tuningArgs: string[] = [];
  for (const [key, flag] of TUNING_FLAGS) {
    const v = workload.tuning[key];
    if (v !== undefined && caps.flags.has(flag)) tuningArgs.push(flag, String(v));
  }

  let cluster: ProcessCluster | null = null;
  let driver: WorkloadDriver | null = null;
  const network: PacketSimulator = new PacketSimulator({
    timeline,
    prng: seeds.network,
    nodeIds,
    latency: PROCESS_DEFAULTS.latency,
    trace,
    // Real nodes may send big bodies: the trace keeps each one bounded, measured by the stdout line it came in when it did.
    traceBody: (body) => boundedBody(body, { lineChars: stdoutLineChars(body) }),
    deliver: (m): PacketFate | void => (network.isNode(m.dest) ? cluster!.deliver(m) : driver!.deliver(m.dest, m)),
  });
  cluster = new ProcessCluster({
    command: config.bin,
    nodeIds,
    dataRoot,
    extraArgs: (id) => [...(caps.seed ? ["--seed", `${config.seed}/${id}`] : []), ...tuningArgs],
    route: (m) => network.send(m),
    isClient: (id) => driver!.endpoints.has(id),
    onProblem: (p) => {
      problems.push(p);
      options.onProblem?.(p);
      trace.fault(timeline.now(), `${p.node}: ${p.kind}`, [p.node]);
    },
    now: () => timeline.now(),
  });
  driver = new WorkloadDriver({
    timeline,
    seeds,
    nodeIds,
    network,
    recorder,
    workload,
    concurrency: config.concurrency,
    ratePerSec: config.rate,
    client: { ...PROCESS_DEFAULTS.client, ...workload.client },
    createClient: config.client ? await loadClient(config.client) : referenceClient,
  });

  try {
    await cluster.start(PROCESS_DEFAULTS.initTimeoutMs);
    // The schedule's times count from here, after every node answered init.
    const t0 = timeline.now();
    const healAtMs = t0 + config.timeLimitS * 1000;
    const schedule = generateNemesisSchedule(seeds.nemesis, {
      nodeIds,
      faults: new Set(config.nemesis),
      startMs: t0 + Math.min(PROCESS_DEFAULTS.faultsStartMs, (config.timeLimitS * 1000) / 4),
      healAtMs,
    });
    const nemesis = new NemesisApplier({ timeline, network, target: cluster, prng: seeds.nemesis.fork("targets"), trace, onFault: (f) => recorder.nemesis(f.label) });
    nemesis.install(schedule);
    timeline.at(healAtMs, () => cluster!.reviveCrashed());

    await driver.run(healAtMs);
    if (timeline.now() < healAtMs) await timeline.sleep(healAtMs - timeline.now());

    const boundMs = config.livenessBoundS * 1000;
    const livenessStartMs = timeline.now();
    const fr = await finalReads({ driver, timeline, process: config.concurrency, keys: workload.keys(), boundMs });
    const finalReadsMs = timeline.now() - livenessStartMs;

    cluster.markSessionReplies(trace.entries);
    const nodeProblems: Anomaly[] = problems.map((p) => ({ check: "nodes", kind: p.kind, message: p.message, atMs: p.atMs }));
    for (const [id, p] of cluster.nodes) {
      if (p.unreportedBadLines > 0) {
        nodeProblems.push({ check: "nodes", kind: "non-protocol-line", message: `${id}: ${plural(p.unreportedBadLines, "more bad stdout line", "more bad stdout lines")} not listed (${p.badLines} in all)` });
      }
    }
    const artifacts: RunArtifacts = {
      config,
      mode: "process",
      command: replayCommand(config),
      history: recorder.history(),
      recorder,
      trace,
      driver,
      schedule,
      applied: nemesis.applied,
      workload,
      nodeIds,
      simulatedMs: timeline.now(),
      wallMs: performance.now() - wallStart,
      liveness: {
        boundMs,
        // Without a status API: the first final read answered is when a leader served.
        leaderAfterMs: fr.firstOkAtMs === null ? null : fr.firstOkAtMs - healAtMs,
        finalReadsMs: fr.done && fr.reads.every((r) => r.ok) ? finalReadsMs : null,
        finalReads: fr.reads,
        finalReadsDone: fr.done,
      },
      sessions: { bound: undefined, maxSeen: 0 },
      nodeStats: { ...cluster.stats, badLines: [...cluster.nodes.values()].reduce((n, p) => n + p.badLines, 0) },
      nodeProblems,
      results: null,
      nodeLogs: Object.fromEntries([...cluster.nodes].map(([id, p]) => [id, p.logs.slice()])),
    };
    artifacts.results = await evaluateRun(artifacts);
    return artifacts;
  } finally {
    cluster.stopAll();
    timeline.close();
    for (const ep of driver.endpoints.values()) ep.abandon();
    if (dataRoot) {
      await rm(dataRoot, { recursive: true, force: true });
      forgetTempDir(dataRoot);
    }
  }
}
