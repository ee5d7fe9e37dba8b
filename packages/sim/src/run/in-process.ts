/**
 * One in-process run: reference node cores, the packet simulator, the
 * nemesis and the real retrying clients, all on one discrete-event scheduler
 * driven from one master seed. Phases: safety under faults,
 * then heal and require liveness (a leader, and final reads of every key
 * within a bound), then the checkers.
 */
import { createKvNodeCore, MemoryStorage } from "./reference.js";
import { SimScheduler } from "../world/scheduler.js";
import { createWorldSeeds } from "../world/seeds.js";
import { drawSkews } from "../world/node-clock.js";
import { PacketSimulator } from "../network/packet-simulator.js";
import { MessageTrace, type PacketFate } from "../network/trace.js";
import { InProcessCluster, type CoreFactory, type NodeTuning } from "../inprocess/cluster.js";
import { generateNemesisSchedule, type NemesisOp } from "../nemesis/schedule.js";
import { NemesisApplier } from "../nemesis/applier.js";
import { HistoryRecorder } from "../history/recorder.js";
import { WorkloadDriver } from "../workload/driver.js";
import { createWorkload } from "../workload/workloads.js";
import { replayCommand, type RunConfig } from "./config.js";
import { evaluateRun, type RunArtifacts } from "./evaluate.js";
import { finalReads, type FinalRead } from "./final-reads.js";
import { loadClient, referenceClient, type ClientFactory } from "./load-client.js";
import { loadCore } from "./load-core.js";

export interface InProcessOptions {
  /** Simulated ms per Raft tick. Default 20 (elections after 200-400 ms, heartbeats every 40 ms). */
  tickMs?: number;
  /**
   * Keep the clients' messages in the trace, for the outputs (the message
   * diagram, the timeline). Default true; a swarm, which writes no outputs
   * and replays a failing seed from its command, turns it off. The trace's
   * packet counts, the history and the verdict are the same either way.
   */
  traceMessages?: boolean;
  /** Keep node-to-node messages in the trace too (for the message diagram). Default false. */
  tracePeerMessages?: boolean;
  /** Node settings on top of the workload's. */
  tuning?: Partial<NodeTuning>;
  /** Replace the reference core (a student's core plugs in here). */
  createCore?: CoreFactory;
  /** Replace the reference retrying client (a student's client plugs in here). */
  createClient?: ClientFactory;
  onLog?: (line: string) => void;
  /**
   * A hand-written fault schedule instead of the seeded one (a scenario:
   * the same harness runs swarms and scenarios). It should end with
   * `{ op: "heal" }` at `timeLimitS`.
   */
  schedule?: NemesisOp[];
  /**
   * Time every event and report the wall time by kind (`eventProfile`: node
   * ticks, each message type into a node, replies into a client, timers), for
   * the benchmark's breakdown. Two clock reads per event; the history is the same.
   */
  profileEvents?: boolean;
}

export const SIM_DEFAULTS = {
  tickMs: 20,
  latency: { minMs: 1, meanExtraMs: 3, maxMs: 60 },
  /** Faults begin after the first election has had time to happen. */
  faultsStartMs: 1_000,
  client: { attemptTimeoutMs: 400, maxRetries: 12, maxTotalMs: 5_000 },
  clockSkew: { maxOffsetMs: 50, maxDrift: 0.001 },
  /** Sample the session count this often. */
  sessionSampleMs: 100,
};

export async function runInProcess(config: RunConfig, options: InProcessOptions = {}): Promise<RunArtifacts> {
  const createCore = options.createCore ?? (config.core ? await loadCore(config.core) : createKvNodeCore);
  // The reference core never changes what it handed to storage, so storage
  // keeps those objects frozen, nor a message it sent or received, so the
  // network delivers the packet's own body; another core (a student's) gets copies.
  // With reference cores alone, a raft_* body from a peer is what a reference
  // core sent (nothing else sends from a node's id, and nothing rewrites a
  // packet), so the receiving core skips its schema check.
  const reference = createCore === createKvNodeCore;
  const persisted = reference ? "freeze" : "copy";
  const wallStart = performance.now();
  const cpuStart = process.cpuUsage();
  const seeds = createWorldSeeds(config.seed);
  const scheduler = new SimScheduler();
  const nodeIds = Array.from({ length: config.nodes }, (_, i) => `n${i + 1}`);
  const workload = createWorkload(config.workload);
  const tuning: NodeTuning = { snapshotEveryEntries: 100, ...workload.tuning, ...options.tuning };
  const trace = new MessageTrace({ keepPeerMessages: options.tracePeerMessages ?? false, maxEntries: options.traceMessages === false ? 0 : 200_000 });
  const recorder = new HistoryRecorder(() => scheduler.now());

  let cluster: InProcessCluster | null = null;
  let driver: WorkloadDriver | null = null;
  const network: PacketSimulator = new PacketSimulator({
    timeline: scheduler,
    prng: seeds.network,
    nodeIds,
    latency: SIM_DEFAULTS.latency,
    trace,
    copyDeliveries: !reference,
    deliver: (m): PacketFate | void => (network.isNode(m.dest) ? cluster!.deliver(m) : driver!.deliver(m.dest, m)),
  });
  cluster = new InProcessCluster({
    scheduler,
    seeds,
    nodeIds,
    network,
    createCore: reference ? (c, restored) => createKvNodeCore(c, restored, { peerBodiesTrusted: true }) : createCore,
    createStorage: () => new MemoryStorage(undefined, { persisted }),
    tickMs: options.tickMs ?? SIM_DEFAULTS.tickMs,
    tuning,
    skews: drawSkews(seeds.clocks, nodeIds, SIM_DEFAULTS.clockSkew),
    onLog: options.onLog,
  });
  driver = new WorkloadDriver({
    timeline: scheduler,
    seeds,
    nodeIds,
    network,
    recorder,
    workload,
    concurrency: config.concurrency,
    ratePerSec: config.rate,
    client: { ...SIM_DEFAULTS.client, ...workload.client },
    createClient: options.createClient ?? (config.client ? await loadClient(config.client) : referenceClient),
  });

  const healAtMs = Math.round(config.timeLimitS * 1000);
  const schedule = options.schedule ?? generateNemesisSchedule(seeds.nemesis, {
    nodeIds,
    faults: new Set(config.nemesis),
    startMs: Math.min(SIM_DEFAULTS.faultsStartMs, healAtMs / 4),
    healAtMs,
  });
  const nemesis = new NemesisApplier({
    timeline: scheduler,
    network,
    target: cluster,
    prng: seeds.nemesis.fork("targets"),
    trace,
    onFault: (f) => recorder.nemesis(f.label),
  });
  nemesis.install(schedule);

  // The session table must stay within its bound at all times.
  const maxSessions = tuning.maxSessions;
  let maxSessionsSeen = 0;
  const sample = (): void => {
    for (const s of cluster!.statuses()) maxSessionsSeen = Math.max(maxSessionsSeen, s.sessions);
    scheduler.after(SIM_DEFAULTS.sessionSampleMs, sample);
  };
  scheduler.after(SIM_DEFAULTS.sessionSampleMs, sample);

  if (options.profileEvents) scheduler.profile = { classify: (fn, arg) => eventKind(fn, arg, cluster!, network), byKind: new Map() };

  cluster.start();

  // Safety phase: workers run until the heal; their last operations drain.
  // A client that throws (another --client module's bug) stops the run
  // with its error, rather than escaping as an unhandled rejection.
  let workersDone = false;
  const failure: { error?: unknown; failed: boolean } = { failed: false };
  const fail = (error: unknown): void => {
    failure.failed = true;
    failure.error = error;
  };
  void driver.run(healAtMs).then(() => (workersDone = true), fail);
  const drainLimitMs = healAtMs + SIM_DEFAULTS.client.maxTotalMs + 1_000;
  await scheduler.runUntil(drainLimitMs, () => failure.failed || (workersDone && scheduler.now() >= healAtMs));
  if (failure.failed) throw failure.error;

  // Liveness phase: a leader, then a read of every key, within the bound.
  const boundMs = config.livenessBoundS * 1000;
  const livenessStartMs = scheduler.now();
  await scheduler.runUntil(livenessStartMs + boundMs, () => cluster!.leader() !== null);
  const leaderAfterMs = cluster.leader() !== null ? scheduler.now() - healAtMs : null;
  let reads: FinalRead[] = [];
  let readsDone = false;
  let readsFinished = false;
  void finalReads({ driver, timeline: scheduler, process: config.concurrency, keys: workload.keys(), boundMs }).then(
    (r) => {
      reads = r.reads;
      readsDone = r.done;
      readsFinished = true;
    },
    fail,
  );
  await scheduler.runUntil(scheduler.now() + boundMs + 1_000, () => readsFinished || failure.failed);
  if (failure.failed) throw failure.error;
  const finalReadsMs = readsDone && reads.every((r) => r.ok) ? scheduler.now() - livenessStartMs : null;

  const artifacts: RunArtifacts = {
    config,
    mode: "in-process",
    command: replayCommand(config),
    history: recorder.history(),
    recorder,
    trace,
    driver,
    schedule,
    applied: nemesis.applied,
    workload,
    nodeIds,
    simulatedMs: scheduler.now(),
    wallMs: 0,
    liveness: { boundMs, leaderAfterMs, finalReadsMs, finalReads: reads, finalReadsDone: readsDone },
    sessions: { bound: maxSessions, maxSeen: maxSessionsSeen },
    leaders: cluster.leaders,
    nodeStats: { ...cluster.stats, events: scheduler.eventsRun, wakes: scheduler.wakesRun },
    nodeProblems: [],
    results: null,
  };
  if (scheduler.profile) artifacts.eventProfile = [...scheduler.profile.byKind].map(([kind, k]) => ({ kind, ...k })).sort((a, b) => b.ms - a.ms);
  artifacts.wallMs = performance.now() - wallStart;
  const cpu = process.cpuUsage(cpuStart);
  artifacts.cpuMs = (cpu.user + cpu.system) / 1000;
  artifacts.results = await evaluateRun(artifacts);
  artifacts.results.checkWallMs = Math.round(performance.now() - wallStart - artifacts.wallMs);
  return artifacts;
}

/** An event's kind for `profileEvents`: what it delivers, or to whom. */
function eventKind(fn: unknown, arg: unknown, cluster: InProcessCluster, network: PacketSimulator): string {
  if (cluster.isTick(fn)) return "node tick";
  const m = network.packetOf(fn, arg);
  if (m === undefined) return "timer (a sleep, a timeout, a fault, a task's start)";
  if (!network.isNode(m.dest)) return "reply into a client";
  if (!network.isNode(m.src)) return "client request into a node";
  const b = m.body;
  return b.type === "raft_append" && Array.isArray(b.entries) && b.entries.length === 0 ? "raft_append (no entries) into a node" : `${b.type} into a node`;
}
