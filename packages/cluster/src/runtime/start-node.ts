/**
 * Builds a running node: storage (a WAL in `dataDir`, or memory), the pure
 * core restored from it, and the runtime that drives the core. Used by the
 * stdio shell (kv-node) and the TCP shell (kv-cluster).
 */
import type { NodeEvent } from "../events.js";
import { createPrng, deriveSeed, type Message } from "@dslab/protocol";
import path from "node:path";
import type { KvNodeCore, NodeConfig, Storage } from "../contract.js";
import { createKvNodeCore } from "../node/core.js";
import { FileStorage, MemoryStorage } from "../storage/index.js";
import { CoreFailure, KvNodeRuntime } from "./node-runtime.js";
import type { CoreFactory } from "./load-module.js";
import { msToTicks, TIMING_DEFAULTS } from "./timing.js";
import type { WriteTiming } from "./write-timing.js";

export interface StartNodeOptions {
  id: string;
  nodeIds: string[];
  /** FileStorage (fsync'ed WAL) in this directory; without it, MemoryStorage (nothing survives a restart). */
  dataDir?: string;
  /** Master seed of the election-timeout PRNG; each node derives its own stream. Default: time and pid. */
  seed?: string;
  /** Default TIMING_DEFAULTS.tickMs. */
  tickMs?: number;
  /** Election timeout range in ms (drawn per election). Default TIMING_DEFAULTS. */
  electionTimeoutMsMin?: number;
  electionTimeoutMsMax?: number;
  /** Leader heartbeat period in ms. Default TIMING_DEFAULTS.heartbeatMs. */
  heartbeatMs?: number;
  /** Client sessions end this long after the client's last request (leader timestamps). */
  sessionTimeoutMs?: number;
  /** Bound on live client sessions (and on their tombstones). */
  maxSessions?: number;
  /** Idempotency keys (HTTP front) are forgotten this long after first use. */
  idempotencyTtlMs?: number;
  /** Bound on stored idempotency keys. */
  maxIdempotencyKeys?: number;
  snapshotEveryEntries?: number;
  /**
   * Makes the node's core from its config and what storage restored.
   * Default the reference, `createKvNodeCore`; kv-cluster's `--core FILE`
   * gives another (a student's vote rules in the reference core). If it
   * throws, `startNode` rejects with a CoreFailure.
   */
  createCore?: CoreFactory;
  /** Delivers outgoing messages (peer traffic and client replies). */
  send: (message: Message) => void;
  /** One log line without the node prefix. Default: `<id> | line` on stderr. */
  log?: (line: string) => void;
  /** Each typed event the core reports (events.ts). */
  onEvent?: (event: NodeEvent) => void;
  onFatal?: (error: Error) => void;
  /** For benchmarks: each client write's timing on this node (runtime/write-timing.ts). */
  onWriteTiming?: (timing: WriteTiming) => void;
}

export async function startNode(opts: StartNodeOptions): Promise<KvNodeRuntime> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${opts.id} | ${line}\n`));
  const storage: Storage = opts.dataDir
    ? new FileStorage(path.resolve(opts.dataDir), { log, member: { id: opts.id, nodeIds: opts.nodeIds } })
    : new MemoryStorage();
  const restored = await storage.load();
  const tickMs = opts.tickMs ?? TIMING_DEFAULTS.tickMs;
  const ticks = (ms: number) => msToTicks(ms, tickMs);
  const seed = opts.seed ?? `${Date.now()}-${process.pid}`;
  const config: NodeConfig = {
    id: opts.id,
    nodeIds: opts.nodeIds,
    prng: createPrng(deriveSeed(seed, opts.id)),
    electionTimeoutTicksMin: ticks(opts.electionTimeoutMsMin ?? TIMING_DEFAULTS.electionTimeoutMsMin),
    electionTimeoutTicksMax: ticks(opts.electionTimeoutMsMax ?? TIMING_DEFAULTS.electionTimeoutMsMax),
    heartbeatTicks: ticks(opts.heartbeatMs ?? TIMING_DEFAULTS.heartbeatMs),
    // The runtime writes in the background and reports back: a leader's
    // AppendEntries leave while its own fsync runs (node-runtime.ts).
    asyncPersist: true,
  };
  if (opts.sessionTimeoutMs !== undefined) config.sessionTimeoutMs = opts.sessionTimeoutMs;
  if (opts.maxSessions !== undefined) config.maxSessions = opts.maxSessions;
  if (opts.idempotencyTtlMs !== undefined) config.idempotencyTtlMs = opts.idempotencyTtlMs;
  if (opts.maxIdempotencyKeys !== undefined) config.maxIdempotencyKeys = opts.maxIdempotencyKeys;
  if (opts.snapshotEveryEntries !== undefined) config.snapshotEveryEntries = opts.snapshotEveryEntries;
  let core: KvNodeCore;
  try {
    core = (opts.createCore ?? createKvNodeCore)(config, restored);
  } catch (e) {
    await storage.close();
    throw new CoreFailure("its construction", e);
  }
  const runtime = new KvNodeRuntime({
    core,
    storage,
    send: opts.send,
    tickMs,
    log,
    onFatal: opts.onFatal,
    ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
    ...(opts.onWriteTiming ? { onWriteTiming: opts.onWriteTiming, peerIds: opts.nodeIds.filter((n) => n !== opts.id) } : {}),
  });
  log(
    `started: term ${restored.hardState.term}, ${restored.entries.length} log entries after snapshot ` +
      `${restored.snapshot?.lastIncludedIndex ?? 0}, storage ${opts.dataDir ? path.resolve(opts.dataDir) : "memory (not durable)"}, ` +
      `seed ${seed}`,
  );
  runtime.start();
  return runtime;
}
