/**
 * The pure Raft core (Ongaro & Ousterhout, "In Search of an Understandable
 * Consensus Algorithm"; section numbers below refer to it). No timers, no
 * clock, no randomness of its own, no IO: time is `tick()`, randomness is the
 * injected PRNG, and every output is collected in a `RaftReady` that the
 * caller drains with `takeReady()` after each input (etcd-raft's Ready).
 *
 * Ordering rule: `ready.persist` must be durable before anything in
 * `ready.send` leaves. A vote or an append acknowledgement is only promised
 * to others once it is on disk.
 *
 * A leader's own new entries are the exception when the caller persists in
 * the background (`asyncPersist`, thesis §10.2.1, etcd's async storage
 * writes): a leader's Ready is marked `sendBeforePersist`, so its
 * AppendEntries go out while its own write is in flight, and carries a
 * `durable` mark that the caller hands back to `persisted()` once the write
 * is done. The leader counts itself toward a majority only up to the last
 * index reported durable, so an entry is committed only when a majority
 * holds it on disk, whether or not the leader is among them. Without
 * `asyncPersist` the caller persists each Ready before the next input, and
 * the leader counts its log at once.
 *
 * Extensions beyond the paper: pre-vote and check-quorum with a leader lease
 * (thesis §9.6), so a partitioned node rejoining cannot depose a healthy
 * leader; pipelined, batched AppendEntries with per-follower flow control;
 * fast log backtracking with a conflict term/index hint.
 *
 * Input from the network never makes the core throw: a message no correct
 * peer sends (an index beyond our log, an entry that would overwrite a
 * committed one, a snapshot the state machine cannot restore) is logged as
 * "dropped ..." and ignored. The `throw`s left assert the node's own state,
 * the caller's use of the API (options, `compact`) and what the plugged-in
 * vote rules return (a `VoteRulesError`, vote-rules.ts).
 */
import { REFERENCE_VOTE_RULES, VoteRulesError, showTermState, wrongObservation, type TermState, type VoteRequest, type VoteRules, type VoterState } from "./vote-rules.js";
import { restorePrng, type Message, type Prng, type PrngState } from "@dslab/protocol";
import type { Command, DurableMark, HardState, LogEntry, PersistOp, PersistentState, Snapshot } from "../contract.js";
import { cloneData, RaftLog, type RaftLogState } from "./log.js";
import type {
  AppendBody,
  AppendOkBody,
  RaftBody,
  RequestVoteBody,
  RequestVoteOkBody,
  SnapshotBody,
  SnapshotOkBody,
} from "./messages.js";
import { Progress, type ProgressData } from "./progress.js";
import { parseSnapshotText, snapshotText } from "./snapshot-text.js";

/**
 * The core's timing in ticks, for callers that give none (the simulator, the
 * core's tests). The shells that run on a wall clock (kv-node, kv-cluster)
 * count in milliseconds instead and convert: runtime/timing.ts.
 */
export const RAFT_DEFAULTS = {
  electionTimeoutTicksMin: 10,
  electionTimeoutTicksMax: 20,
  heartbeatTicks: 2,
} as const;

export interface RaftOptions {
  id: string;
  /** All node ids, including this one. */
  nodeIds: string[];
  prng: Prng;
  /** Default RAFT_DEFAULTS.electionTimeoutTicksMin. */
  electionTimeoutTicksMin?: number;
  /** Default RAFT_DEFAULTS.electionTimeoutTicksMax. */
  electionTimeoutTicksMax?: number;
  /** Default RAFT_DEFAULTS.heartbeatTicks. */
  heartbeatTicks?: number;
  /** Default 256. */
  maxEntriesPerAppend?: number;
  /** Unacknowledged appends in flight per follower while replicating. Default 4: under load, entries proposed while the window is full go out together in the next append. */
  maxInflightAppends?: number;
  /**
   * Bound on one AppendEntries' entries, in characters of JSON (at least one
   * entry always goes), so a message fits the wire's line limit. Default 256 KiB.
   */
  maxAppendChars?: number;
  /** Snapshot data travels as JSON text in chunks of this many characters. Default 256 KiB. */
  maxSnapshotChunkChars?: number;
  /** Default true. */
  preVote?: boolean;
  /** Default true: a leader steps down when it has not heard from a quorum for an election timeout. */
  checkQuorum?: boolean;
  /**
   * Default false: the caller makes each Ready's `persist` durable before
   * anything in its `send` leaves and before the next input. true: the
   * caller writes in the background, may send a leader's Ready before its
   * write is done (`sendBeforePersist`) and reports each `durable` mark
   * back through `persisted()`.
   */
  asyncPersist?: boolean;
  /**
   * Why a snapshot received from the leader cannot be installed (its data is
   * not what the state machine can restore at `lastIncludedIndex`), or null.
   * A refused snapshot is logged and asked for again, never installed.
   * Default: every snapshot whose text parses as JSON is accepted.
   */
  checkSnapshot?: (data: Snapshot["data"], lastIncludedIndex: number) => string | null;
  /**
   * The command a new leader appends at once (the paper's no-op, §5.4.2 and
   * §8: a leader commits entries of earlier terms only through an entry of
   * its own term), made by the node at `nowMs`. Raft never looks inside a
   * command: what a command holds (a client request, a timestamp) is the
   * node's business.
   */
  leaderNoop: (nowMs: number) => Command;
  /**
   * Why a command in an AppendEntries from the leader is not one this node
   * can apply, or null. A message carrying one is logged and dropped.
   * Default: anything but a missing command is accepted.
   */
  checkCommand?: (command: unknown) => string | null;
  /** Whether to grant a vote, and the election timeout (vote-rules.ts). Default: the reference rules. */
  voteRules?: VoteRules;
}

/** Internal roles; a pre-candidate reports itself as a follower (it has not changed term). */
export type RaftRole = "follower" | "precandidate" | "candidate" | "leader";

export interface RaftReady {
  /** Make durable before sending anything in `send` (unless `sendBeforePersist`). */
  persist: PersistOp[];
  send: Message[];
  /**
   * asyncPersist only: this Ready is a leader's, produced while it led in one
   * term from the previous Ready to this one. Its `send` promises nothing
   * about this node's disk (AppendEntries, heartbeats, snapshot chunks,
   * replies for committed entries), so it may leave before `persist` (the
   * leader's own entries, a compaction) is durable; it still leaves after
   * every earlier message, and after every earlier Ready's `persist` that
   * was not so marked.
   */
  sendBeforePersist: boolean;
  /** asyncPersist only: once `persist` (and every earlier one) is durable, call `persisted(durable)`. Set on a leader's Ready that persists anything. */
  durable: DurableMark | null;
  logs: string[];
  /** A snapshot installed from the leader: restore the state machine from it before applying entries after it. */
  restore: Snapshot | null;
  /**
   * ReadIndex (thesis §6.4): reads whose leadership check passed. Serve read
   * `id` from the state machine once it has applied up to `index`.
   */
  reads: Array<{ id: number; index: number }>;
}

function emptyReady(): RaftReady {
  return { persist: [], send: [], logs: [], restore: null, reads: [], sendBeforePersist: false, durable: null };
}

/**
 * Everything in a RaftCore that changes, as plain JSON data (no Map, no
 * class instance): `RaftCore.fromState(options, data)` makes a core that
 * behaves from then on exactly as the exporting one. What the options give
 * (ids, timeouts, vote rules, callbacks) is not state and is not here. Maps
 * are records, sorted by key (their order never changes what the core
 * does); `stableStringify` of it is a canonical text of the core's state.
 */
export interface RaftStateData {
  id: string;
  term: number;
  votedFor: string | null;
  role: RaftRole;
  leader: string | null;
  commitIndex: number;
  log: RaftLogState;
  snapshot: Snapshot | null;
  /** The JSON text of a snapshot being sent to followers, kept once made. */
  snapshotText: { index: number; text: string } | null;
  readRound: { ctx: number; index: number; ids: number[]; acks: string[] } | null;
  queuedReads: number[];
  readCtx: number;
  readIds: number;
  incoming: { index: number; term: number; parts: string[]; received: number } | null;
  electionElapsed: number;
  heartbeatElapsed: number;
  randomizedElectionTimeout: number;
  /** Votes (or pre-votes) received in the election in progress, by voter. */
  votes: Record<string, boolean>;
  /** The leader's view of each follower, by peer id. */
  progress: Record<string, ProgressData>;
  selfDurable: number;
  ledAtLastReady: number | null;
  /** What `takeReady()` would return (empty between inputs when the caller drains it). */
  ready: RaftReady;
  loggedCommit: number;
  commitLoggedThisTick: boolean;
  prng: PrngState;
}

/** One leadership-check round of ReadIndex, covering every read queued before it started. */
interface ReadRound {
  ctx: number;
  index: number;
  ids: number[];
  acks: Set<string>;
}

export class RaftCore {
  readonly id: string;
  readonly nodeIds: readonly string[];
  readonly peers: readonly string[];
  readonly quorum: number;
  readonly log = new RaftLog();

  private prng: Prng;
  private readonly electionMin: number;
  private readonly electionMax: number;
  private readonly heartbeatTicks: number;
  private readonly maxEntriesPerAppend: number;
  private readonly maxInflight: number;
  private readonly maxAppendChars: number;
  private readonly maxSnapshotChunkChars: number;
  private readonly preVote: boolean;
  private readonly checkQuorum: boolean;
  private readonly checkSnapshot: (data: Snapshot["data"], lastIncludedIndex: number) => string | null;
  private readonly leaderNoop: (nowMs: number) => Command;
  private readonly checkCommand: (command: unknown) => string | null;
  private readonly voteRules: VoteRules;
  private readonly asyncPersist: boolean;

  private currentTerm = 0;
  private vote: string | null = null;
  private currentRole: RaftRole = "follower";
  private currentLeader: string | null = null;
  private commit = 0;
  private latestSnapshot: Snapshot | null = null;
  /** The latest snapshot's data as JSON text, made once when a follower first needs it. */
  private snapshotText: { index: number; text: string } | null = null;
  /** ReadIndex: the round in flight, reads waiting for the next one, the last round number. */
  private readRound: ReadRound | null = null;
  private queuedReads: number[] = [];
  private readCtx = 0;
  private readIds = 0;
  /** A snapshot arriving in chunks from the leader. */
  private incoming: { index: number; term: number; parts: string[]; received: number } | null = null;

  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  private votes = new Map<string, boolean>();
  private progress = new Map<string, Progress>();
  /** Scratch space for `quorumMatch` (one slot per node). */
  private readonly matchScratch: number[] = [];
  /**
   * asyncPersist: while leading, the last index of our own log reported
   * durable (`persisted`); our vote toward a commit counts only up to here.
   */
  private selfDurable = 0;
  /** The term this node led in when the last Ready was taken, or null: decides `sendBeforePersist`. */
  private ledAtLastReady: number | null = null;
  private out: RaftReady = emptyReady();
  /** The commit index last written to the log, and whether a commit line went out since the last tick. */
  private loggedCommit = 0;
  private commitLoggedThisTick = false;

  constructor(
    private readonly opts: RaftOptions,
    restored: PersistentState | null,
  ) {
    if (!opts.nodeIds.includes(opts.id)) {
      throw new Error(`raft: node id ${opts.id} is not among the cluster's node ids [${opts.nodeIds.join(", ")}]`);
    }
    this.id = opts.id;
    this.nodeIds = [...opts.nodeIds];
    this.peers = opts.nodeIds.filter((n) => n !== opts.id);
    this.quorum = Math.floor(opts.nodeIds.length / 2) + 1;
    this.prng = opts.prng;
    this.electionMin = opts.electionTimeoutTicksMin ?? RAFT_DEFAULTS.electionTimeoutTicksMin;
    this.electionMax = Math.max(this.electionMin, opts.electionTimeoutTicksMax ?? RAFT_DEFAULTS.electionTimeoutTicksMax);
    this.heartbeatTicks = opts.heartbeatTicks ?? RAFT_DEFAULTS.heartbeatTicks;
    this.maxEntriesPerAppend = opts.maxEntriesPerAppend ?? 256;
    this.maxInflight = opts.maxInflightAppends ?? 4;
    this.maxAppendChars = opts.maxAppendChars ?? 256 * 1024;
    this.maxSnapshotChunkChars = opts.maxSnapshotChunkChars ?? 256 * 1024;
    this.preVote = opts.preVote ?? true;
    this.checkQuorum = opts.checkQuorum ?? true;
    this.checkSnapshot = opts.checkSnapshot ?? (() => null);
    this.leaderNoop = opts.leaderNoop;
    this.checkCommand = opts.checkCommand ?? ((c) => (c === undefined ? "no command" : null));
    this.voteRules = opts.voteRules ?? REFERENCE_VOTE_RULES;
    this.asyncPersist = opts.asyncPersist ?? false;
    checkOptions({
      electionTimeoutTicksMin: this.electionMin,
      electionTimeoutTicksMax: opts.electionTimeoutTicksMax ?? this.electionMax,
      heartbeatTicks: this.heartbeatTicks,
      maxEntriesPerAppend: this.maxEntriesPerAppend,
      maxInflightAppends: this.maxInflight,
    });
    if (restored) this.restore(restored);
    this.resetElectionTimer();
  }

  // -------------------------------------------------------- state as data --

  /**
   * Every mutable field as plain data (a deep copy: changing it changes
   * nothing here). Throws when the injected PRNG cannot export its state.
   */
  exportState(): RaftStateData {
    if (!this.prng.exportState) throw new Error("raft: the injected PRNG cannot export its state (use createPrng from @dslab/protocol)");
    const votes: Record<string, boolean> = {};
    for (const id of [...this.votes.keys()].sort()) votes[id] = this.votes.get(id)!;
    const progress: Record<string, ProgressData> = {};
    for (const id of [...this.progress.keys()].sort()) progress[id] = this.progress.get(id)!.exportState();
    const round = this.readRound;
    return {
      id: this.id,
      term: this.currentTerm,
      votedFor: this.vote,
      role: this.currentRole,
      leader: this.currentLeader,
      commitIndex: this.commit,
      log: this.log.exportState(),
      snapshot: this.latestSnapshot === null ? null : cloneData(this.latestSnapshot),
      snapshotText: this.snapshotText === null ? null : { ...this.snapshotText },
      readRound: round === null ? null : { ctx: round.ctx, index: round.index, ids: [...round.ids], acks: [...round.acks].sort() },
      queuedReads: [...this.queuedReads],
      readCtx: this.readCtx,
      readIds: this.readIds,
      incoming: this.incoming === null ? null : { ...this.incoming, parts: [...this.incoming.parts] },
      electionElapsed: this.electionElapsed,
      heartbeatElapsed: this.heartbeatElapsed,
      randomizedElectionTimeout: this.randomizedElectionTimeout,
      votes,
      progress,
      selfDurable: this.selfDurable,
      ledAtLastReady: this.ledAtLastReady,
      ready: cloneData(this.out),
      loggedCommit: this.loggedCommit,
      commitLoggedThisTick: this.commitLoggedThisTick,
      prng: this.prng.exportState(),
    };
  }

  /**
   * A core configured by `opts` in the state `data` (from `exportState`),
   * behaving from then on exactly as the core that exported it. Its PRNG is
   * a fresh generator restored from `data.prng`: `opts.prng`, if given, is
   * neither used nor advanced.
   */
  static fromState(opts: Omit<RaftOptions, "prng"> & { prng?: Prng }, data: RaftStateData): RaftCore {
    if (data.id !== opts.id) throw new Error(`raft: state of node ${data.id} given to a core configured as node ${opts.id}`);
    const core = new RaftCore({ ...opts, prng: restorePrng(data.prng) }, null);
    core.importState(data);
    return core;
  }

  /** `fromState` of a fresh export that no one else holds: its objects are taken over, not copied again. */
  private static fromOwnedState(opts: RaftOptions, data: RaftStateData): RaftCore {
    const core = new RaftCore({ ...opts, prng: restorePrng(data.prng) }, null);
    core.importState(data, true);
    return core;
  }

  /** An independent core in the same state, with the same options and callbacks: it behaves exactly as this one from here on. */
  copy(): RaftCore {
    return RaftCore.fromOwnedState(this.opts, this.exportState());
  }

  /**
   * Replaces every mutable field with copies of `data`, or with `data`'s own
   * objects when `owned` (a fresh export that no one else holds or changes).
   */
  importState(data: RaftStateData, owned = false): void {
    const take = owned ? <T>(v: T): T => v : cloneData;
    if (data.id !== this.id) throw new Error(`raft: state of node ${data.id} given to node ${this.id}`);
    this.currentTerm = data.term;
    this.vote = data.votedFor;
    this.currentRole = data.role;
    this.currentLeader = data.leader;
    this.commit = data.commitIndex;
    this.log.importState(data.log, owned);
    this.latestSnapshot = data.snapshot === null ? null : take(data.snapshot);
    this.snapshotText = data.snapshotText === null ? null : { ...data.snapshotText };
    const round = data.readRound;
    this.readRound = round === null ? null : { ctx: round.ctx, index: round.index, ids: [...round.ids], acks: new Set(round.acks) };
    this.queuedReads = [...data.queuedReads];
    this.readCtx = data.readCtx;
    this.readIds = data.readIds;
    this.incoming = data.incoming === null ? null : { ...data.incoming, parts: [...data.incoming.parts] };
    this.electionElapsed = data.electionElapsed;
    this.heartbeatElapsed = data.heartbeatElapsed;
    this.randomizedElectionTimeout = data.randomizedElectionTimeout;
    this.votes = new Map(Object.keys(data.votes).sort().map((id) => [id, data.votes[id]!]));
    // A leader makes its Progress entries in peer order; keep that order (tickLeader walks it).
    this.progress = new Map(this.peers.filter((p) => Object.hasOwn(data.progress, p)).map((p) => [p, Progress.fromState(data.progress[p]!)]));
    for (const p of Object.keys(data.progress)) if (!this.peers.includes(p)) throw new Error(`raft: imported progress for ${p}, not a peer of ${this.id}`);
    this.selfDurable = data.selfDurable;
    this.ledAtLastReady = data.ledAtLastReady;
    this.out = { ...emptyReady(), ...take(data.ready) };
    this.loggedCommit = data.loggedCommit;
    this.commitLoggedThisTick = data.commitLoggedThisTick;
    this.prng = restorePrng(data.prng);
  }

  private restore(state: PersistentState): void {
    this.currentTerm = state.hardState.term;
    this.vote = state.hardState.votedFor;
    if (state.snapshot) {
      this.latestSnapshot = state.snapshot;
      this.log.compact(state.snapshot.lastIncludedIndex, state.snapshot.lastIncludedTerm);
      this.commit = state.snapshot.lastIncludedIndex;
    }
    const entries = state.entries.filter((e) => e.index > this.log.snapshotIndex);
    entries.forEach((e, i) => {
      if (e.index !== this.log.snapshotIndex + 1 + i) {
        throw new Error(`raft: restored log has a gap: entry ${i} has index ${e.index}, expected ${this.log.snapshotIndex + 1 + i}`);
      }
    });
    this.log.truncateAndAppend(entries);
  }

  // ------------------------------------------------------------ queries --

  get term(): number {
    return this.currentTerm;
  }
  get votedFor(): string | null {
    return this.vote;
  }
  get role(): RaftRole {
    return this.currentRole;
  }
  get leader(): string | null {
    return this.currentLeader;
  }
  get commitIndex(): number {
    return this.commit;
  }
  get snapshot(): Snapshot | null {
    return this.latestSnapshot;
  }
  /** For tests: the leader's view of a follower. */
  progressOf(peer: string): Readonly<Progress> | undefined {
    return this.progress.get(peer);
  }

  /** True when `takeReady()` would return something (the core skips an empty Ready). */
  hasReady(): boolean {
    const o = this.out;
    return o.persist.length > 0 || o.send.length > 0 || o.logs.length > 0 || o.reads.length > 0 || o.restore !== null;
  }

  /**
   * Everything the core produced since the last call. Under asyncPersist
   * this is where the ordering rule is decided: a leader that led in this
   * same term at the previous Ready produced nothing that needs its own
   * disk first (`sendBeforePersist`), and a leader that persists anything
   * asks to hear when it is durable (`durable`). Any other Ready (a vote, a
   * follower's acknowledgement, a node that just won or lost an election)
   * keeps the plain rule: its messages wait for every write before them.
   */
  takeReady(): RaftReady {
    const ready = this.out;
    this.out = emptyReady();
    if (!this.asyncPersist) return ready;
    const leading = this.currentRole === "leader" ? this.currentTerm : null;
    ready.sendBeforePersist = leading !== null && this.ledAtLastReady === leading;
    if (leading !== null && ready.persist.length > 0) ready.durable = { index: this.log.lastIndex(), term: leading };
    this.ledAtLastReady = leading;
    return ready;
  }

  /**
   * asyncPersist: the caller made durable every write up to the Ready that
   * carried `durable`. A leader still leading in that term now counts its
   * log up to that index toward a majority. A mark from an earlier term, or
   * for an entry no longer in the log, is stale and changes nothing.
   */
  persisted(durable: DurableMark): void {
    if (!this.asyncPersist) throw new Error("raft: persisted() is for a core built with asyncPersist");
    if (this.currentRole !== "leader" || durable.term !== this.currentTerm) return;
    if (durable.index <= this.selfDurable || durable.index > this.log.lastIndex()) return;
    if (durable.index > this.log.snapshotIndex && this.log.term(durable.index) !== durable.term) return;
    this.selfDurable = durable.index;
    this.maybeCommit();
  }

  /** How much of our own log counts toward a commit: all of it, or (asyncPersist) what is reported durable. */
  private selfMatch(): number {
    return this.asyncPersist ? Math.min(this.selfDurable, this.log.lastIndex()) : this.log.lastIndex();
  }

  // ------------------------------------------------------------- inputs --

  /**
   * A single-node cluster needs no votes: it elects itself at once, so it can
   * serve the first request it gets. Call before the first input.
   */
  bootstrap(nowMs: number): void {
    if (this.nodeIds.length === 1 && this.currentRole !== "leader") this.campaign(nowMs);
  }

  tick(nowMs: number): void {
    this.commitLoggedThisTick = false;
    if (this.currentRole === "leader" && this.commit > this.loggedCommit) this.logCommit();
    this.commitLoggedThisTick = false;
    if (this.currentRole === "leader") this.tickLeader(nowMs);
    else this.tickElection(nowMs);
  }

  /** Append a command to the log if this node leads; returns where it went, or null when not the leader. */
  propose(command: Command): { index: number; term: number } | null {
    if (this.currentRole !== "leader") return null;
    const entry = this.appendLocal(command);
    for (const peer of this.peers) this.sendAppend(peer, false);
    return { index: entry.index, term: entry.term };
  }

  /**
   * ReadIndex (thesis §6.4): a linearizable read without a log entry. The
   * leader notes its commit index, confirms with a round of heartbeats that a
   * majority still follows it, and then reports the read in `ready.reads`;
   * the caller serves it once it has applied up to that index. A leader that
   * has not yet committed an entry of its term waits for its no-op first.
   * Returns the read's id, or null when not the leader. Reads that arrive
   * while a round is in flight share the next round.
   */
  requestRead(): number | null {
    if (this.currentRole !== "leader") return null;
    const id = ++this.readIds;
    this.queuedReads.push(id);
    this.maybeStartReadRound();
    return id;
  }

  private maybeStartReadRound(): void {
    if (this.currentRole !== "leader" || this.readRound || this.queuedReads.length === 0) return;
    if (this.log.term(this.commit) !== this.currentTerm) return;
    const round: ReadRound = { ctx: ++this.readCtx, index: this.commit, ids: this.queuedReads, acks: new Set([this.id]) };
    this.queuedReads = [];
    this.readRound = round;
    if (round.acks.size >= this.quorum) return this.confirmReadRound();
    for (const peer of this.peers) this.sendAppend(peer, true);
  }

  private confirmReadRound(): void {
    const round = this.readRound!;
    this.readRound = null;
    for (const id of round.ids) this.out.reads.push({ id, index: round.index });
    this.maybeStartReadRound();
  }

  private onReadAck(from: string, ctx: number | undefined): void {
    const round = this.readRound;
    if (!round || ctx === undefined || ctx < round.ctx) return;
    round.acks.add(from);
    if (round.acks.size >= this.quorum) this.confirmReadRound();
  }

  /**
   * The state machine has applied everything up to `index` and produced
   * `data`: keep it as a snapshot and drop the log up to there (§7).
   */
  compact(index: number, data: Snapshot["data"]): void {
    if (index > this.commit) throw new Error(`raft: cannot snapshot at ${index}, beyond the commit index ${this.commit}`);
    if (index <= this.log.snapshotIndex) return;
    const term = this.log.term(index)!;
    const snapshot: Snapshot = { lastIncludedIndex: index, lastIncludedTerm: term, nodeIds: [...this.nodeIds], data };
    this.log.compact(index, term);
    this.latestSnapshot = snapshot;
    this.out.persist.push({ type: "snapshot", snapshot });
    this.logLine(`took snapshot at index ${index} (term ${term}); log compacted`);
  }

  /** A raft_* message from a peer. */
  step(message: Message, nowMs: number): void {
    const body = message.body as RaftBody;
    const from = message.src;
    if (!this.nodeIds.includes(from) || from === this.id) {
      this.logLine(`ignored ${body.type} from ${from}: not a peer of this cluster`);
      return;
    }
    if (body.term > this.currentTerm && body.type === "raft_request_vote" && this.inLease()) {
      // Check-quorum lease: we heard from a live leader within the minimum
      // election timeout, so this candidate is disruptive (it may be
      // rejoining from a partition). Ignore it without adopting its term.
      this.logLine(`ignored ${body.pre_vote ? "pre-vote" : "vote"} request from ${from} for term ${body.term}: leader ${this.currentLeader} is alive`);
      return;
    }
    // A pre-vote request, and a granted pre-vote's reply, carry the term the
    // pre-candidate would stand for, not a term anyone is in: no term to observe.
    const termOfANode = body.type === "raft_request_vote" ? !body.pre_vote : !(body.type === "raft_request_vote_ok" && body.pre_vote && body.granted);
    if (termOfANode) this.observeTerm(body.term, body.type === "raft_append" || body.type === "raft_snapshot" ? from : null);
    if (body.term < this.currentTerm) {
      // A stale leader or candidate: answer with our term so it steps down (§5.1).
      if (body.type === "raft_append") {
        this.send(from, { type: "raft_append_ok", term: this.currentTerm, success: false, match_index: 0 });
      } else if (body.type === "raft_snapshot") {
        this.send(from, { type: "raft_snapshot_ok", term: this.currentTerm, match_index: 0 });
      } else if (body.type === "raft_request_vote") {
        this.send(from, { type: "raft_request_vote_ok", term: this.currentTerm, granted: false, pre_vote: body.pre_vote });
      }
      return;
    }
    switch (body.type) {
      case "raft_request_vote":
        return this.handleRequestVote(from, body);
      case "raft_request_vote_ok":
        return this.handleVoteResponse(from, body, nowMs);
      case "raft_append":
        return this.handleAppend(from, body);
      case "raft_append_ok":
        return this.handleAppendResponse(from, body);
      case "raft_snapshot":
        return this.handleSnapshot(from, body);
      case "raft_snapshot_ok":
        return this.handleSnapshotResponse(from, body);
    }
  }

  // ------------------------------------------------------------ elections --

  private inLease(): boolean {
    return this.checkQuorum && this.currentLeader !== null && this.electionElapsed < this.electionMin;
  }

  private resetElectionTimer(): void {
    this.electionElapsed = 0;
    this.randomizedElectionTimeout = this.voteRules.electionTimeoutTicks(this.prng, this.electionMin, this.electionMax);
  }

  private tickElection(nowMs: number): void {
    this.electionElapsed++;
    if (this.electionElapsed < this.randomizedElectionTimeout) return;
    // §5.2: no word from a leader for an election timeout.
    if (this.preVote && this.quorum > 1) this.preCampaign();
    else this.campaign(nowMs);
  }

  private preCampaign(): void {
    this.currentRole = "precandidate";
    this.currentLeader = null;
    this.votes = new Map([[this.id, true]]);
    this.resetElectionTimer();
    const term = this.currentTerm + 1;
    this.logLine(`election timeout: asking for pre-votes for term ${term}`);
    this.requestVotes(term, true);
  }

  private campaign(nowMs: number): void {
    this.currentRole = "candidate";
    this.currentLeader = null;
    this.currentTerm++;
    this.vote = this.id;
    this.persistHardState();
    this.votes = new Map([[this.id, true]]);
    this.resetElectionTimer();
    this.logLine(`became candidate for term ${this.currentTerm}`);
    if (this.quorum === 1) return this.becomeLeader(nowMs);
    this.requestVotes(this.currentTerm, false);
  }

  private requestVotes(term: number, preVote: boolean): void {
    for (const peer of this.peers) {
      const body: RequestVoteBody = {
        type: "raft_request_vote",
        term,
        candidate: this.id,
        last_log_index: this.log.lastIndex(),
        last_log_term: this.log.lastTerm(),
      };
      if (preVote) body.pre_vote = true;
      this.send(peer, body);
    }
  }

  private handleRequestVote(from: string, body: RequestVoteBody): void {
    const voter: VoterState = {
      term: this.currentTerm,
      votedFor: this.vote,
      leader: this.currentLeader,
      lastLogIndex: this.log.lastIndex(),
      lastLogTerm: this.log.lastTerm(),
    };
    const request: VoteRequest = {
      candidate: from,
      term: body.term,
      lastLogIndex: body.last_log_index,
      lastLogTerm: body.last_log_term,
      preVote: body.pre_vote === true,
    };
    const { grant, why } = this.voteRules.decide(voter, request);
    if (request.preVote) {
      // A pre-vote changes nothing here: no term, no vote recorded.
      this.send(from, { type: "raft_request_vote_ok", term: grant ? body.term : this.currentTerm, granted: grant, pre_vote: true });
      return;
    }
    if (grant) {
      this.vote = from;
      this.persistHardState();
      this.resetElectionTimer();
      this.logLine(`voted for ${from} in term ${this.currentTerm}`);
      this.send(from, { type: "raft_request_vote_ok", term: this.currentTerm, granted: true });
      return;
    }
    this.logLine(`rejected vote for ${from} in term ${this.currentTerm}: ${why}`);
    this.send(from, { type: "raft_request_vote_ok", term: this.currentTerm, granted: false });
  }

  private handleVoteResponse(from: string, body: RequestVoteOkBody, nowMs: number): void {
    if (body.pre_vote) {
      if (this.currentRole !== "precandidate" || body.term !== this.currentTerm + 1) return;
    } else if (this.currentRole !== "candidate" || body.term !== this.currentTerm) {
      return;
    }
    this.votes.set(from, body.granted);
    let granted = 0;
    let rejected = 0;
    for (const v of this.votes.values()) v ? granted++ : rejected++;
    if (granted >= this.quorum) {
      if (body.pre_vote) this.campaign(nowMs);
      else this.becomeLeader(nowMs);
    } else if (rejected >= this.quorum) {
      this.logLine(`lost the ${body.pre_vote ? "pre-vote" : "election"} for term ${body.term}`);
      this.becomeFollower(this.currentTerm, null);
    }
  }

  /**
   * §5.1, through the vote rules: a message of term `seenTerm` arrived.
   * When the rules adopt a higher term, the node becomes a follower of it,
   * with the vote the rules return, persisted before any reply goes out;
   * `sender` is the new term's leader when the message is the leader's own
   * (an AppendEntries or a snapshot). A result that breaks the rules'
   * contract throws before anything changes.
   */
  private observeTerm(seenTerm: number, sender: string | null): void {
    // Most peer messages carry our own term. The reference rules return the
    // node unchanged for a term not above its own, and keep their contract
    // (vote-rules tests): no state to copy and check, nothing changes.
    if (this.voteRules === REFERENCE_VOTE_RULES && seenTerm <= this.currentTerm) return;
    const before: TermState = {
      term: this.currentTerm,
      votedFor: this.vote,
      role: this.currentRole === "precandidate" ? "follower" : this.currentRole,
      leader: this.currentLeader,
    };
    const after = this.voteRules.observeTerm({ ...before }, seenTerm);
    const wrong = wrongObservation(before, seenTerm, after, this.nodeIds);
    if (wrong !== null) {
      throw new VoteRulesError("observeTerm", `(${showTermState(before)}, ${seenTerm}) on node ${this.id} returned ${showReturned(after)}: ${wrong}`);
    }
    if (after.term > before.term) this.becomeFollower(after.term, sender, after.votedFor);
  }

  private becomeFollower(term: number, leader: string | null, votedFor: string | null = null): void {
    const changed = term !== this.currentTerm || this.currentRole !== "follower" || leader !== this.currentLeader;
    if (term > this.currentTerm) {
      this.currentTerm = term;
      this.vote = votedFor;
      this.persistHardState();
    }
    const wasLeader = this.currentRole === "leader";
    this.currentRole = "follower";
    this.readRound = null;
    this.queuedReads = [];
    this.currentLeader = leader;
    this.progress.clear();
    this.votes.clear();
    this.resetElectionTimer();
    if (!changed) return;
    if (leader !== null) this.logLine(`following leader ${leader} in term ${term}`);
    else this.logLine(`became follower in term ${term}${wasLeader ? " (stepped down)" : ""}`);
  }

  /** A message from the leader of our term: follow it and restart the election timer. */
  private heardFromLeader(leader: string): void {
    if (this.currentRole !== "follower" || this.currentLeader !== leader) this.becomeFollower(this.currentTerm, leader);
    else this.electionElapsed = 0;
  }

  private becomeLeader(nowMs: number): void {
    this.currentRole = "leader";
    this.currentLeader = this.id;
    this.votes.clear();
    this.progress.clear();
    for (const peer of this.peers) this.progress.set(peer, new Progress(this.log.lastIndex() + 1));
    // asyncPersist: our own log counts once a write of this term is reported
    // durable (the no-op's report covers everything before it).
    this.selfDurable = 0;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.logLine(`became leader for term ${this.currentTerm}`);
    // §5.4.2/§8: a leader commits entries of earlier terms only through an
    // entry of its own term, so it appends a no-op right away.
    this.appendLocal(this.leaderNoop(nowMs));
    for (const peer of this.peers) this.sendAppend(peer, true);
  }

  private tickLeader(_nowMs: number): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    // Check-quorum once per maximum election timeout: generous, so slow disks
    // under load (acks wait for the follower's fsync) do not depose a healthy
    // leader. Safety never depends on it: reads confirm leadership each time.
    if (this.electionElapsed >= this.electionMax) {
      this.electionElapsed = 0;
      if (this.checkQuorum && !this.quorumActive()) {
        this.logLine(`stepping down: no answer from a quorum for ${this.electionMax} ticks`);
        this.becomeFollower(this.currentTerm, null);
        return;
      }
    }
    for (const [peer, pr] of this.progress) {
      if (pr.state !== "snapshot") continue;
      // A lost chunk (or its lost answer) must not stall the follower forever: send it again.
      if (++pr.snapshotWaitTicks >= this.electionMax) this.sendSnapshot(peer, pr);
    }
    if (this.heartbeatElapsed >= this.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      for (const peer of this.peers) {
        const pr = this.progress.get(peer)!;
        // A follower that got entries since the last round has heard from
        // us; a read round in flight still needs every heartbeat.
        const skip = pr.sentEntries && this.readRound === null;
        pr.sentEntries = false;
        if (!skip) this.sendAppend(peer, true);
      }
    }
  }

  private quorumActive(): boolean {
    let active = 1;
    for (const pr of this.progress.values()) {
      if (pr.recentActive) active++;
      pr.recentActive = false;
    }
    return active >= this.quorum;
  }

  // ---------------------------------------------------------- replication --

  private appendLocal(command: Command): LogEntry {
    const entry: LogEntry = { index: this.log.lastIndex() + 1, term: this.currentTerm, command };
    this.log.truncateAndAppend([entry]);
    // Coalesce consecutive appends into one persist op (one WAL record, one fsync).
    const last = this.out.persist[this.out.persist.length - 1];
    if (last?.type === "append" && last.entries[last.entries.length - 1]!.index + 1 === entry.index) last.entries.push(entry);
    else this.out.persist.push({ type: "append", entries: [entry] });
    this.maybeCommit();
    return entry;
  }

  /**
   * Send `peer` what it needs next. Heartbeats (`heartbeat`) go out even when
   * there is nothing new, and unpause a probing follower.
   */
  private sendAppend(peer: string, heartbeat: boolean): void {
    const pr = this.progress.get(peer)!;
    if (pr.state === "snapshot") {
      // The snapshot's chunks are paced by their acks; a heartbeat still goes
      // out (anchored at our snapshot point) so the follower keeps following.
      if (heartbeat) this.sendEmptyAppend(peer, this.log.snapshotIndex, this.log.snapshotTerm);
      return;
    }
    const prev = pr.next - 1;
    const prevTerm = this.log.term(prev);
    if (prevTerm === undefined) return this.sendSnapshot(peer, pr);
    const last = this.log.lastIndex();
    let entries: LogEntry[] = [];
    if (pr.state === "probe") {
      // One append at a time until we learn where the logs match. While one
      // is out, a heartbeat probes with no entries: cheap if the follower is down.
      if (pr.paused && !heartbeat) return;
      if (!pr.paused) {
        entries = this.log.sliceWithin(pr.next, Math.min(last, prev + this.maxEntriesPerAppend), this.maxAppendChars);
        pr.paused = true;
      }
    } else {
      if (pr.inflight.length < this.maxInflight) {
        entries = this.log.sliceWithin(pr.next, Math.min(last, prev + this.maxEntriesPerAppend), this.maxAppendChars);
      }
      if (entries.length === 0 && !heartbeat) return;
      if (entries.length > 0) {
        // Pipelining: assume it arrives; a rejection puts the follower back to probe.
        pr.next = entries[entries.length - 1]!.index + 1;
        pr.inflight.push(pr.next - 1);
        pr.sentEntries = true;
      }
    }
    const body: AppendBody = {
      type: "raft_append",
      term: this.currentTerm,
      leader: this.id,
      prev_log_index: prev,
      prev_log_term: prevTerm,
      entries,
      leader_commit: this.commit,
    };
    // Every heartbeat carries the read round in flight, so a lost one is retried.
    if (heartbeat && this.readRound) body.read_ctx = this.readRound.ctx;
    this.send(peer, body);
  }

  private sendEmptyAppend(peer: string, prev: number, prevTerm: number): void {
    const body: AppendBody = {
      type: "raft_append",
      term: this.currentTerm,
      leader: this.id,
      prev_log_index: prev,
      prev_log_term: prevTerm,
      entries: [],
      leader_commit: this.commit,
    };
    if (this.readRound) body.read_ctx = this.readRound.ctx;
    this.send(peer, body);
  }

  /** Start (or continue) sending the latest snapshot to `peer`, one chunk per call. */
  private sendSnapshot(peer: string, pr: Progress): void {
    const snap = this.latestSnapshot;
    if (!snap) {
      // Only a bogus acknowledgement can lead here (every index at or below our
      // last one is in the log or in the snapshot): probe from our log's end.
      this.logLine(`${peer} would need index ${pr.next}, which is not in our log (last index ${this.log.lastIndex()}); probing from the end of the log`);
      pr.becomeProbe(this.log.lastIndex() + 1);
      return this.sendAppend(peer, false);
    }
    if (pr.state !== "snapshot" || pr.pendingSnapshot !== snap.lastIncludedIndex) {
      this.logLine(`sending snapshot at index ${snap.lastIncludedIndex} to ${peer} (it needs index ${pr.next}, the log starts after ${snap.lastIncludedIndex})`);
      pr.becomeSnapshot(snap.lastIncludedIndex);
    }
    if (this.snapshotText?.index !== snap.lastIncludedIndex) {
      this.snapshotText = { index: snap.lastIncludedIndex, text: snapshotText(snap.data) };
    }
    const text = this.snapshotText.text;
    const chunk = text.slice(pr.snapshotOffset, pr.snapshotOffset + this.maxSnapshotChunkChars);
    pr.snapshotWaitTicks = 0;
    const body: SnapshotBody = {
      type: "raft_snapshot",
      term: this.currentTerm,
      leader: this.id,
      last_included_index: snap.lastIncludedIndex,
      last_included_term: snap.lastIncludedTerm,
      node_ids: snap.nodeIds,
      offset: pr.snapshotOffset,
      chunk,
      done: pr.snapshotOffset + chunk.length >= text.length,
    };
    this.send(peer, body);
  }

  private handleAppend(from: string, body: AppendBody): void {
    const bad = malformedEntries(body, this.checkCommand);
    if (bad) {
      // Input from the network: refuse it with a log line rather than corrupt the log.
      this.logLine(`dropped raft_append from ${from}: ${bad}`);
      return;
    }
    this.heardFromLeader(from);
    let prev = body.prev_log_index;
    let prevTerm = body.prev_log_term;
    let entries = body.entries;
    if (prev < this.commit) {
      // Entries up to our commit index are committed, so they match the
      // leader's (Leader Completeness, §5.4): skip them.
      entries = entries.filter((e) => e.index > this.commit);
      prev = this.commit;
      prevTerm = this.log.term(this.commit)!;
      if (entries.length === 0) {
        this.send(from, { type: "raft_append_ok", term: this.currentTerm, success: true, match_index: this.commit, read_ctx: body.read_ctx });
        return;
      }
    }
    const ourPrevTerm = this.log.term(prev);
    if (ourPrevTerm !== prevTerm) {
      // §5.3: the logs differ at prev. Hint where the leader should retry.
      const reply: AppendOkBody = {
        type: "raft_append_ok",
        term: this.currentTerm,
        success: false,
        match_index: 0,
        reject_index: body.prev_log_index,
        read_ctx: body.read_ctx,
      };
      if (ourPrevTerm === undefined) {
        reply.conflict_term = 0;
        reply.conflict_index = this.log.lastIndex() + 1;
      } else {
        reply.conflict_term = ourPrevTerm;
        reply.conflict_index = Math.max(this.commit + 1, this.log.firstIndexOfTerm(ourPrevTerm, prev));
      }
      this.send(from, reply);
      return;
    }
    // Skip entries we already have; truncate from the first conflict (§5.3).
    let i = 0;
    while (i < entries.length && this.log.term(entries[i]!.index) === entries[i]!.term) i++;
    if (i < entries.length) {
      const fresh = entries.slice(i);
      const first = fresh[0]!.index;
      if (first <= this.commit) {
        this.logLine(`dropped raft_append from ${from}: entry ${first} would overwrite a committed entry (commit index ${this.commit})`);
        return;
      }
      if (first <= this.log.lastIndex()) {
        this.logLine(`log conflict at index ${first}: dropping entries ${first}..${this.log.lastIndex()} (not in leader ${from}'s log)`);
      }
      this.log.truncateAndAppend(fresh);
      this.out.persist.push({ type: "append", entries: fresh });
    }
    const lastNew = prev + entries.length;
    if (body.leader_commit > this.commit) this.commit = Math.max(this.commit, Math.min(body.leader_commit, lastNew));
    this.send(from, { type: "raft_append_ok", term: this.currentTerm, success: true, match_index: lastNew, read_ctx: body.read_ctx });
  }

  private handleAppendResponse(from: string, body: AppendOkBody): void {
    if (this.currentRole !== "leader") return;
    const pr = this.progress.get(from);
    if (!pr) return;
    // A follower only acknowledges or rejects indexes we sent it, and we never send beyond our log.
    const last = this.log.lastIndex();
    if (body.success && body.match_index > last) return this.dropBeyondLog(from, body.type, "match_index", body.match_index);
    if (!body.success && (body.reject_index ?? 0) > last) return this.dropBeyondLog(from, body.type, "reject_index", body.reject_index!);
    pr.recentActive = true;
    // Any answer in our term, even a rejection, shows the follower still follows us.
    this.onReadAck(from, body.read_ctx);
    if (body.success) {
      pr.acknowledge(body.match_index);
      if (pr.state === "probe" || (pr.state === "snapshot" && pr.match >= pr.pendingSnapshot)) pr.becomeReplicate();
      else pr.paused = false;
      this.maybeCommit();
      this.sendAppend(from, false);
      return;
    }
    const rejected = body.reject_index ?? 0;
    // A rejection of an append older than what the follower already acknowledged, or
    // (probing) of one we no longer wait for, is stale.
    if (rejected <= pr.match) return;
    if (pr.state === "probe" && rejected !== pr.next - 1) return;
    if (pr.state === "snapshot") return;
    let next = body.conflict_index ?? rejected;
    if (body.conflict_term !== undefined && body.conflict_term > 0) {
      const ours = this.log.lastIndexOfTerm(body.conflict_term);
      if (ours !== undefined) next = ours + 1;
    }
    next = Math.max(pr.match + 1, Math.min(next, rejected, last + 1));
    pr.becomeProbe(next);
    this.sendAppend(from, false);
  }

  private handleSnapshot(from: string, body: SnapshotBody): void {
    if (body.last_included_term > body.term) {
      this.logLine(`dropped raft_snapshot from ${from}: last_included_term ${body.last_included_term} is beyond its term ${body.term}`);
      return;
    }
    this.heardFromLeader(from);
    const index = body.last_included_index;
    if (index <= this.commit) {
      this.incoming = null;
      this.send(from, { type: "raft_snapshot_ok", term: this.currentTerm, match_index: this.commit });
      return;
    }
    if (body.offset === 0) this.incoming = { index, term: body.last_included_term, parts: [], received: 0 };
    const inc = this.incoming;
    const askFor = (offset: number): void =>
      this.send(from, { type: "raft_snapshot_ok", term: this.currentTerm, match_index: this.commit, next_offset: offset, snapshot_index: index });
    if (!inc || inc.index !== index || inc.term !== body.last_included_term || inc.received !== body.offset) {
      // A chunk out of order, or of another snapshot: say which chunk we need.
      return askFor(inc && inc.index === index && inc.term === body.last_included_term ? inc.received : 0);
    }
    inc.parts.push(body.chunk);
    inc.received += body.chunk.length;
    if (!body.done) return askFor(inc.received);
    this.incoming = null;
    let data: Snapshot["data"];
    try {
      data = parseSnapshotText(inc.parts.join(""));
    } catch (e) {
      this.logLine(`snapshot at index ${index} from ${from} is not valid JSON (${(e as Error).message}); asking for it again`);
      return askFor(0);
    }
    const unusable = this.checkSnapshot(data, index);
    if (unusable !== null) {
      this.logLine(`snapshot at index ${index} from ${from} is not a valid snapshot (${unusable}); not installed, asking for it again`);
      return askFor(0);
    }
    const snapshot: Snapshot = { lastIncludedIndex: index, lastIncludedTerm: body.last_included_term, nodeIds: body.node_ids, data };
    // §7: keep the entries after the snapshot if our log agrees at its last entry, else discard the log.
    this.log.compact(index, body.last_included_term);
    this.latestSnapshot = snapshot;
    this.commit = index;
    this.out.persist.push({ type: "snapshot", snapshot });
    this.out.restore = snapshot;
    this.logLine(`installed snapshot at index ${index} (term ${body.last_included_term}) from ${from}`);
    this.send(from, { type: "raft_snapshot_ok", term: this.currentTerm, match_index: index });
  }

  private handleSnapshotResponse(from: string, body: SnapshotOkBody): void {
    if (this.currentRole !== "leader") return;
    const pr = this.progress.get(from);
    if (!pr) return;
    if (body.match_index > this.log.lastIndex()) return this.dropBeyondLog(from, body.type, "match_index", body.match_index);
    if (body.next_offset !== undefined && this.snapshotText && body.next_offset > this.snapshotText.text.length) {
      this.logLine(`dropped raft_snapshot_ok from ${from}: next_offset ${body.next_offset} is beyond the snapshot's ${this.snapshotText.text.length} characters`);
      return;
    }
    pr.recentActive = true;
    pr.acknowledge(body.match_index);
    if (body.next_offset !== undefined) {
      // The snapshot is still arriving: send the chunk the follower asks for.
      if (pr.state !== "snapshot" || body.snapshot_index !== pr.pendingSnapshot) return;
      if (this.latestSnapshot?.lastIncludedIndex !== pr.pendingSnapshot) {
        // We took a newer snapshot meanwhile: start over with that one.
        pr.becomeProbe(pr.match + 1);
        return this.sendAppend(from, false);
      }
      pr.snapshotOffset = body.next_offset;
      return this.sendSnapshot(from, pr);
    }
    pr.becomeProbe(pr.match + 1);
    this.sendAppend(from, false);
  }

  private dropBeyondLog(from: string, type: string, field: string, value: number): void {
    this.logLine(`dropped ${type} from ${from}: ${field} ${value} is beyond the last log index ${this.log.lastIndex()}`);
  }

  /** §5.3/§5.4.2: commit the highest index stored on a majority, if it is from the current term. */
  private maybeCommit(): boolean {
    if (this.currentRole !== "leader") return false;
    const candidate = this.quorumMatch();
    if (candidate <= this.commit) return false;
    if (this.log.term(candidate) !== this.currentTerm) return false;
    this.commit = candidate;
    if (this.queuedReads.length > 0 && !this.readRound) this.maybeStartReadRound();
    // One commit line per tick at most, so a busy leader's log stays readable.
    if (!this.commitLoggedThisTick) this.logCommit();
    return true;
  }

  /**
   * The highest index stored on a quorum: the quorum-th largest of our own
   * match (`selfMatch`) and the followers' match indexes. Sorted in a reused array by
   * insertion (a handful of nodes); this runs on every append and every ack.
   */
  private quorumMatch(): number {
    const m = this.matchScratch;
    m[0] = this.selfMatch();
    let n = 1;
    for (const pr of this.progress.values()) {
      // Insert pr.match keeping m[0..n) in descending order.
      const v = pr.match;
      let i = n++;
      while (i > 0 && m[i - 1]! < v) {
        m[i] = m[i - 1]!;
        i--;
      }
      m[i] = v;
    }
    return m[this.quorum - 1]!;
  }

  // -------------------------------------------------------------- output --

  private logCommit(): void {
    this.logLine(`committed up to index ${this.commit} (term ${this.currentTerm})`);
    this.loggedCommit = this.commit;
    this.commitLoggedThisTick = true;
  }

  private persistHardState(): void {
    const hardState: HardState = { term: this.currentTerm, votedFor: this.vote };
    this.out.persist.push({ type: "hardState", hardState });
  }

  private send(dest: string, body: RaftBody): void {
    this.out.send.push({ src: this.id, dest, body });
  }

  private logLine(line: string): void {
    this.out.logs.push(line);
  }
}

function showReturned(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** Why the entries of an AppendEntries cannot be appended (wrong shape, not contiguous after prev), or null. */
function malformedEntries(body: AppendBody, checkCommand: (command: unknown) => string | null): string | null {
  for (let i = 0; i < body.entries.length; i++) {
    const e = body.entries[i] as Partial<LogEntry> | null;
    if (typeof e !== "object" || e === null) return `entry ${i} is not an object`;
    if (e.index !== body.prev_log_index + 1 + i) return `entry ${i} has index ${String(e.index)}, expected ${body.prev_log_index + 1 + i}`;
    if (!Number.isSafeInteger(e.term) || (e.term as number) < 1 || (e.term as number) > body.term) return `entry ${i} has a bad term ${String(e.term)}`;
    const bad = checkCommand(e.command);
    if (bad !== null) return `entry ${i}: ${bad}`;
  }
  return null;
}

/** Options come from flags and config files: refuse nonsense with a message that says what to change. */
function checkOptions(o: Record<string, number>): void {
  for (const [name, v] of Object.entries(o)) {
    if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`raft: ${name} must be a positive integer, got ${v}`);
  }
  if (o.electionTimeoutTicksMax! < o.electionTimeoutTicksMin!) {
    throw new RangeError(`raft: electionTimeoutTicksMax (${o.electionTimeoutTicksMax}) is below electionTimeoutTicksMin (${o.electionTimeoutTicksMin})`);
  }
  if (o.heartbeatTicks! >= o.electionTimeoutTicksMin!) {
    throw new RangeError(
      `raft: heartbeatTicks (${o.heartbeatTicks}) must be below electionTimeoutTicksMin (${o.electionTimeoutTicksMin}), or followers time out between heartbeats`,
    );
  }
}
