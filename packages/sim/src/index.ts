// @dslab/sim: the seeded, fault-injecting harness. Runs a cluster (the
// reference cores in-process under simulated time, or any protocol-speaking
// command as child processes) under a nemesis schedule with the real
// retrying client, records the history, checks it and writes the outputs.
export { runInProcess, SIM_DEFAULTS, type InProcessOptions } from "./run/in-process.js";
export { runProcessMode, probeCommand, PROCESS_DEFAULTS, HELP_MAX_BYTES, HELP_TIMEOUT_MS, type CommandCaps, type ProbeOptions, type ProcessModeOptions } from "./process/run.js";
export { evaluateRun, type RunArtifacts } from "./run/evaluate.js";
export { DEFAULT_CONFIG, replayCommand, validateConfig, parseNemesis, type RunConfig } from "./run/config.js";
export { loadClient, referenceClient, type ClientFactory } from "./run/load-client.js";
export { loadCore } from "./run/load-core.js";
export type { RunResults, Anomaly, CheckResult, Verdict } from "./run/results.js";
export { writeOutputs, type WrittenOutputs } from "./output/writer.js";
export { firstViolation, involvedRequests } from "./run/violation.js";
export { renderMessageDiagram, type DiagramInput } from "./output/message-diagram.js";
export { renderSequenceSvg, renderTimelineSvg, defaultMessageLabel, type SequenceSvgInput, type SequenceColumn, type SequenceNote, type TimelineSvgInput, type TimelineLane, type TimelineSpan, type TimelineMarker, type SpanKind, type MessageTone } from "./output/svg.js";
export { runSwarmInline, runOneSeed, seedConfig, type SwarmOptions, type SwarmSummary, type SeedResult } from "./swarm/swarm.js";
export { createWorkload, WORKLOAD_NAMES, type Workload, type WorkloadName } from "./workload/workloads.js";
export { FAULT_KINDS, generateNemesisSchedule, parseFaultList, describeNemesisOp, type FaultKind, type NemesisOp } from "./nemesis/schedule.js";
export { SimScheduler, RealTimeline, SimTask, SimTaskStuckError, type Timeline, type TimerHandle, type Wait } from "./world/scheduler.js";
export { createWorldSeeds, type WorldSeeds } from "./world/seeds.js";
export { PacketSimulator, type NetworkFaults, type LatencyDistribution } from "./network/packet-simulator.js";
export { MessageTrace, type TraceEntry, type TracedMessage } from "./network/trace.js";
export type { CoreFactory, NodeTuning } from "./inprocess/cluster.js";
export {
  searchScenario,
  randomWalkScenario,
  replayTrace,
  scenarioModel,
  loadStore,
  loadVoteRules,
  loadRetryClient,
  loadSearchCore,
  REFERENCE_CORE,
  ReferenceStore,
  loadPieces,
  SCENARIOS,
  SCENARIO_INFO,
  type ScenarioName,
  type ScenarioPieces,
  type ScenarioShape,
  type SearchScenarioOptions,
  type SearchReport,
  type TraceFile,
  type DedupStoreClass,
  type VoteRulesLike,
  type RetryClientLike,
  type SearchCore,
} from "./search/index.js";
