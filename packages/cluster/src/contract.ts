/**
 * The contract between the pure core (raft/ + state-machine/), the storage,
 * and the shells (stdio, TCP, HTTP, the simulator). Types only.
 *
 * Flow (after etcd-raft's Ready): a shell feeds the core one input at
 * a time (`tick`, `receive`, `persisted`) and gets back `Effects`. The shell
 * executes them in order: first `persist` (made durable: fsync), and only then
 * `send`. Replies to clients are part of `send`, so no reply leaves before the
 * state it acknowledges is on disk.
 *
 * One exception, for a shell that persists in the background and says so
 * (`NodeConfig.asyncPersist`, after etcd's async storage writes and the Raft
 * thesis §10.2.1): a leader's own new entries are no barrier. Effects marked
 * `sendBeforePersist` may leave while their `persist` is still being written;
 * the leader counts itself toward a commit only when the shell reports that
 * write durable (`durable`, then `persisted`). Votes and a follower's
 * acknowledgements are never marked: they still wait for their persist.
 */
import type { Body, ClientRequestBody, Json, Message, Prng } from "@dslab/protocol";
import type { NodeEvent } from "./events.js";
import type { VoteRules } from "./raft/vote-rules.js";
import type { SessionStoreFactory } from "./state-machine/session-store.js";

// ---------------------------------------------------------------- log ----

/** What a log entry carries. `ts` is the leader's clock (ms) when it appended
 * the entry: the only clock the state machine ever reads (session expiry,
 * idempotency-key TTL), so every replica decides the same way. Requests with
 * an `idempotency_key` (the HTTP front) are deduplicated by that key instead
 * of (client_id, seq). */
export type Command =
  | { kind: "noop"; ts: number }
  | {
      kind: "client";
      ts: number;
      /** The client's request body, without msg_id/in_reply_to. */
      request: ClientRequestBody;
    };

export interface LogEntry {
  index: number;
  term: number;
  command: Command;
}

export interface HardState {
  term: number;
  votedFor: string | null;
}

export interface Snapshot {
  lastIncludedIndex: number;
  lastIncludedTerm: number;
  /** Peers in the configuration at that point. */
  nodeIds: string[];
  /** KvStateMachine.snapshot(): the map AND the client sessions. */
  data: Json;
}

// ------------------------------------------------------------ storage ----

/** Writes the core asks for, executed in order and made durable together. */
export type PersistOp =
  | { type: "hardState"; hardState: HardState }
  /** Append entries; any existing entries with index >= entries[0].index are dropped first. */
  | { type: "append"; entries: LogEntry[] }
  /** Install a snapshot; log entries up to lastIncludedIndex are discarded. */
  | { type: "snapshot"; snapshot: Snapshot };

export interface PersistentState {
  hardState: HardState;
  snapshot: Snapshot | null;
  /** Entries after the snapshot, in index order. */
  entries: LogEntry[];
}

/**
 * Durable storage for one node (after etcd's Storage/MemoryStorage).
 * `MemoryStorage` keeps its state across a simulated restart (the same object
 * is handed to the new node); `FileStorage` is the WAL on disk.
 */
export interface Storage {
  load(): Promise<PersistentState>;
  /**
   * Resolves when every op is durable (fsync done). A snapshot that only
   * compacts the log (its last entry is in the log, with its term) is
   * durable once the entries it covers are: a restart may then find the
   * log before the compaction, the same state (FileStorage writes the
   * snapshot's files in the background).
   */
  persist(ops: PersistOp[]): Promise<void>;
  close(): Promise<void>;
}

// -------------------------------------------------------------- core ----

export interface Effects {
  /** Make durable before anything in `send` leaves (unless `sendBeforePersist`). Ops are written in the order of the Effects that carry them. */
  persist: PersistOp[];
  /** Messages to peers (raft_* bodies) and replies to clients, in order. Messages leave in the order the core produced them, never overtaking. */
  send: Message[];
  /**
   * Only under `NodeConfig.asyncPersist`: true on a leader's effects while
   * it leads (its AppendEntries, heartbeats, client replies for committed
   * entries). Their `send` need not wait for their own `persist`, nor for
   * the `persist` of earlier Effects marked the same way; it still waits for
   * every earlier unmarked `persist` (and every earlier message).
   */
  sendBeforePersist?: boolean;
  /**
   * Only under `NodeConfig.asyncPersist`: once this `persist` and every
   * earlier one are durable, call `core.persisted(durable)`. A leader counts
   * its own log toward a commit only up to what it was told is durable.
   */
  durable?: DurableMark;
  /** Human-readable log lines (the shell prefixes them with the node id). */
  logs: string[];
  /**
   * The same story as typed events (events.ts), for tools: the simulator
   * reads these, never the text. A core that reports none may leave it out.
   */
  events?: NodeEvent[];
}

/** The leader's log up to `index` (an entry of `term`) is durable: the report a shell hands back through `KvNodeCore.persisted`. */
export interface DurableMark {
  index: number;
  term: number;
}

export interface NodeConfig {
  id: string;
  /** All node ids in the cluster, including this one. */
  nodeIds: string[];
  /** The injected PRNG: election timeouts are drawn from it. */
  prng: Prng;
  /** Election timeout, drawn uniformly per election in [min, max] ticks. Default RAFT_DEFAULTS (raft/raft.ts). */
  electionTimeoutTicksMin?: number;
  electionTimeoutTicksMax?: number;
  /** Leader heartbeat interval in ticks. Default RAFT_DEFAULTS.heartbeatTicks. */
  heartbeatTicks?: number;
  /** Client sessions expire this long after their last request, by leader timestamps. Default 300 s (NODE_DEFAULTS). */
  sessionTimeoutMs?: number;
  /** Bound on live sessions; beyond it the least recently used expires. Default 100_000. */
  maxSessions?: number;
  /** Idempotency keys (HTTP) live this long. Default 24 h. */
  idempotencyTtlMs?: number;
  /** Bound on stored idempotency keys. Default 100_000. */
  maxIdempotencyKeys?: number;
  /** Take a snapshot after this many applied entries beyond the last one. Default 10_000. */
  snapshotEveryEntries?: number;
  /** Largest accepted value (bytes of JSON). Default 64 KiB. */
  maxValueBytes?: number;
  /** Max entries in one AppendEntries. Default 256. */
  maxEntriesPerAppend?: number;
  /**
   * The client-session table inside the replicated state machine: the seam a
   * different implementation (the workbook's tracker) plugs into. Default:
   * the reference `SessionTable`.
   */
  sessionStore?: SessionStoreFactory;
  /**
   * Whether to grant a vote, and the randomized election timeout: the seam
   * the workbook's vote rules plug into. Default: the reference rules.
   */
  voteRules?: VoteRules;
  /**
   * How the shell makes `persist` durable. false (default): each Effects'
   * `persist` is durable before its `send` leaves and before the core gets
   * another input (the simulator, RaftDriver's default), so a leader counts
   * its new entries at once. true: the shell writes in the background and
   * reports back (`Effects.durable` -> `KvNodeCore.persisted`), and a leader
   * sends its AppendEntries while its own write is in flight
   * (`Effects.sendBeforePersist`), counting itself toward a commit only once
   * that write is durable (Raft thesis §10.2.1). `startNode` sets it.
   */
  asyncPersist?: boolean;
}

/**
 * The pure node: Raft + the key-value state machine + client bookkeeping.
 * No timers, no IO, no Date.now, no Math.random. `nowMs` is the shell's clock
 * reading, used only by a leader to stamp new entries.
 */
export interface KvNodeCore {
  readonly id: string;
  /** One logical tick of the election/heartbeat clock. */
  tick(nowMs: number): Effects;
  /** Any message addressed to this node: a client request or a peer's raft_* message. */
  receive(message: Message, nowMs: number): Effects;
  /**
   * The shell made the `persist` of the Effects that carried `durable`
   * (and every earlier one) durable. Only a core built with `asyncPersist`
   * asks for it; a core that never sets `durable` may leave it out.
   */
  persisted?(durable: DurableMark, nowMs: number): Effects;
  /** Leader, term, commit and apply indexes: for tests, logs and the sim. */
  status(): NodeStatus;
}

export interface NodeStatus {
  id: string;
  role: "follower" | "candidate" | "leader";
  term: number;
  leader: string | null;
  commitIndex: number;
  lastApplied: number;
  lastLogIndex: number;
  snapshotIndex: number;
  sessions: number;
}

// ------------------------------------------------------------ runtime ----

/**
 * A running node inside a shell (stdio, TCP). The HTTP front and in-process
 * tools submit requests through it without a socket.
 */
export interface NodeRuntime {
  readonly id: string;
  /**
   * Hand a client request to the local core and resolve with its reply body
   * (an `*_ok` body, or an `error` body: error 11 with `leader` on a follower).
   */
  submit(request: ClientRequestBody, opts?: { timeoutMs?: number }): Promise<Body>;
  status(): NodeStatus;
  close(): Promise<void>;
}
