/**
 * The pure node (contract `KvNodeCore`): the Raft core, the key-value state
 * machine and the client bookkeeping between them.
 *
 * - A leader validates a client request at the boundary, appends it to the
 *   log as a `Command` stamped with the leader's clock, and remembers who to
 *   answer per log index.
 * - Reads take no log entry: ReadIndex (Raft thesis §6.4). The leader notes
 *   its commit index, confirms with one heartbeat round that a majority still
 *   follows it, and answers from the state machine once it has applied up to
 *   that index, so a read sees every write acknowledged before it began
 *   (linearizable), and a deposed leader never answers one.
 * - When an entry is applied, the state machine's reply goes to whoever asked.
 * - A node that is not the leader answers 11, with `leader` when it knows one.
 * - A leader that loses leadership answers every request still pending with
 *   error 0 (indefinite): the entry may still commit under the next leader,
 *   so only a retry with the same client_id and seq can learn the outcome.
 *
 * Effects: `persist` (Raft's hard state, entries, snapshots) is durable
 * before anything in `send` leaves, so a vote or append ack is never given
 * before it is recorded. Under `asyncPersist` a leader's effects are marked
 * `sendBeforePersist` (Raft decides, raft.ts `takeReady`): its AppendEntries
 * leave while its own write is in flight, and a reply still acknowledges
 * only a committed write, which a majority holds on disk, the leader counted
 * only once the shell reports its write durable (`persisted`).
 */
import {
  clientSchemas,
  describeKind,
  describeValue,
  ErrorCode,
  errorBody,
  isClientRequest,
  jsonDepthExceeds,
  matchesKind,
  MAX_JSON_DEPTH,
  NON_FINITE_TEXT,
  nonFiniteNumberPath,
  restorePrng,
  tooDeepText,
  type Body,
  type BodySchema,
  type ClientRequestBody,
  type Json,
  type Message,
} from "@dslab/protocol";
import type { Command, DurableMark, Effects, KvNodeCore, NodeConfig, NodeStatus, PersistentState } from "../contract.js";
import { renderEvent, type NodeEvent } from "../events.js";
import { LogClock, type LogClockState } from "./log-clock.js";
import { isRaftBody, raftSchemas } from "../raft/messages.js";
import { RaftCore, type RaftStateData } from "../raft/raft.js";
import { cloneData } from "../raft/log.js";
import { KvStateMachine, parseSnapshot, requestFingerprint } from "../state-machine/index.js";
import { validateOp } from "../state-machine/kv-ops.js";

/** Re-exported for the shells: decode every inbound line with these (client + raft_* bodies). */
export { nodeSchemas, raftSchemas } from "../raft/messages.js";

export const NODE_DEFAULTS = {
  sessionTimeoutMs: 300_000,
  maxSessions: 100_000,
  idempotencyTtlMs: 24 * 60 * 60 * 1000,
  maxIdempotencyKeys: 100_000,
  snapshotEveryEntries: 10_000,
  maxValueBytes: 64 * 1024,
  maxEntriesPerAppend: 256,
} as const;

/** A read waiting for its ReadIndex round, then for the state machine to reach its index. */
export interface PendingRead {
  src: string;
  msgId: number | undefined;
  key: ClientRequestBody["key"];
  /** Known once the leadership check passed. */
  index: number | null;
}

/** Who to answer when the entry at an index is applied. */
export interface Pending {
  src: string;
  msgId: number | undefined;
  /** The term the entry was appended in: the entry applied at that index must be this one. */
  term: number;
  request: ClientRequestBody;
  /** Copies of the same (client_id, seq) that arrived while this entry was pending: answered with its result. */
  duplicates: Array<{ src: string; msgId: number | undefined }>;
}

function sessionKey(request: ClientRequestBody): string | undefined {
  if (request.type === "read" || request.client_id === undefined || request.seq === undefined) return undefined;
  return `${request.client_id}\u0000${request.seq}`;
}

/**
 * Everything in a reference node core that changes, as plain JSON data:
 * its Raft core, its state machine (the map, sessions and idempotency keys,
 * in the state machine's snapshot format) and the requests it still has to
 * answer. `KvNode.fromState(config, data)` makes a node that behaves from
 * then on exactly as the exporting one; `stableStringify` of it is a
 * canonical text of the node's state.
 */
export interface KvNodeState {
  raft: RaftStateData;
  stateMachine: Json;
  lastApplied: number;
  started: boolean;
  /** Pending entries by log index, in the order they were proposed. */
  pending: Array<[number, Pending]>;
  /** Reads by ReadIndex id, in arrival order. */
  reads: Array<[number, PendingRead]>;
  /** Sorted by key. */
  pendingKeys: Array<[string, number]>;
  /** Sorted by key. */
  pendingSessions: Array<[string, number]>;
  leaderTerm: number | null;
  logClock: LogClockState;
}

/** How a reference node core treats its inputs, beyond its `NodeConfig`. */
export interface KvNodeOptions {
  /**
   * A raft_* body from a peer (a message whose `src` is one of `nodeIds`) is
   * taken as another reference core's own output, unchanged, and its schema
   * check is skipped. Only a harness that delivers peers' bodies exactly as
   * a reference core sent them may say so: the in-process simulator running
   * reference cores alone (its tests hold it to that). Every shell that
   * reads from a socket leaves it unset. A client's message is always checked.
   */
  peerBodiesTrusted?: boolean;
}

export function createKvNodeCore(config: NodeConfig, restored: PersistentState | null, options: KvNodeOptions = {}): KvNode {
  return new KvNode(config, restored, options);
}

const byKey = <T>(a: [string, T], b: [string, T]): number => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/** The reference node core (see the top of this file); `createKvNodeCore` makes one. */
export class KvNode implements KvNodeCore {
  readonly id: string;
  private readonly raft: RaftCore;
  private readonly sm: KvStateMachine;
  private readonly snapshotEveryEntries: number;
  private readonly maxValueBytes: number;
  private lastApplied = 0;
  private started = false;
  /** By log index. */
  private readonly pending = new Map<number, Pending>();
  /** Reads by ReadIndex id, in arrival order. */
  private readonly reads = new Map<number, PendingRead>();
  /** Idempotency keys of pending entries (error 1004 for a second one). */
  private readonly pendingKeys = new Map<string, number>();
  /** (client_id, seq) of pending entries: a copy that arrives meanwhile waits for the same entry. */
  private readonly pendingSessions = new Map<string, number>();
  /** The term this node leads in, while it does: pending requests belong to it. */
  private leaderTerm: number | null = null;
  /** Only under the `leaderOnlySessions` bug: dedup on the leader, outside the log. */
  private out: Effects & { events: NodeEvent[] } = { persist: [], send: [], logs: [], events: [] };
  /** The timestamps this node stamps on the entries it appends as leader (log-clock.ts). */
  private readonly logClock = new LogClock();

  /** Peer ids whose raft bodies skip the schema check (`KvNodeOptions.peerBodiesTrusted`); empty otherwise. */
  private readonly trustedPeers: ReadonlySet<string>;

  constructor(
    private readonly config: NodeConfig,
    restored: PersistentState | null,
    private readonly options: KvNodeOptions = {},
  ) {
    this.id = config.id;
    this.trustedPeers = new Set(options.peerBodiesTrusted ? config.nodeIds.filter((id) => id !== config.id) : []);
    this.snapshotEveryEntries = config.snapshotEveryEntries ?? NODE_DEFAULTS.snapshotEveryEntries;
    this.maxValueBytes = config.maxValueBytes ?? NODE_DEFAULTS.maxValueBytes;
    this.raft = new RaftCore(
      {
        id: config.id,
        nodeIds: config.nodeIds,
        prng: config.prng,
        electionTimeoutTicksMin: config.electionTimeoutTicksMin,
        electionTimeoutTicksMax: config.electionTimeoutTicksMax,
        heartbeatTicks: config.heartbeatTicks,
        maxEntriesPerAppend: config.maxEntriesPerAppend ?? NODE_DEFAULTS.maxEntriesPerAppend,
        checkSnapshot: snapshotProblem,
        checkCommand: commandProblem,
        asyncPersist: config.asyncPersist ?? false,
        ...(config.voteRules ? { voteRules: config.voteRules } : {}),
        leaderNoop: (nowMs) => {
          this.logClock.startLeading(nowMs);
          const ts = this.logClock.stamp(nowMs);
          this.logClock.observe(ts);
          return { kind: "noop", ts };
        },
      },
      restored,
    );
    for (const e of restored?.entries ?? []) this.logClock.observe(e.command.ts);
    this.sm = new KvStateMachine({
      sessionTimeoutMs: config.sessionTimeoutMs ?? NODE_DEFAULTS.sessionTimeoutMs,
      maxSessions: config.maxSessions ?? NODE_DEFAULTS.maxSessions,
      idempotencyTtlMs: config.idempotencyTtlMs ?? NODE_DEFAULTS.idempotencyTtlMs,
      maxIdempotencyKeys: config.maxIdempotencyKeys ?? NODE_DEFAULTS.maxIdempotencyKeys,
      // No maxValueBytes here: the leader checks sizes before proposing. Applying
      // must not depend on a replica's own setting, or replicas configured
      // differently would disagree about a committed entry.
      sessionStore: config.sessionStore,
      emit: (event) => this.emit(event),
    });
    const snapshot = restored?.snapshot;
    if (snapshot) {
      this.sm.restore(snapshot.data);
      this.lastApplied = snapshot.lastIncludedIndex;
      this.logClock.observe(this.sm.clockMs());
    }
  }

  // -------------------------------------------------------- state as data --

  /** Every mutable field as plain data, copied: changing it changes nothing here. Call between inputs. */
  exportState(): KvNodeState {
    return {
      raft: this.raft.exportState(),
      stateMachine: cloneData(this.sm.snapshot()),
      lastApplied: this.lastApplied,
      started: this.started,
      pending: cloneData([...this.pending]),
      reads: cloneData([...this.reads]),
      pendingKeys: [...this.pendingKeys].sort(byKey),
      pendingSessions: [...this.pendingSessions].sort(byKey),
      leaderTerm: this.leaderTerm,
      logClock: this.logClock.exportState(),
    };
  }

  /**
   * A node configured by `config` in the state `data` (from `exportState`).
   * Its PRNG is restored from the state: `config.prng` is neither used nor
   * advanced. The session store comes from `config.sessionStore`, filled
   * through the state machine's restore (its `importState` when it has one).
   */
  static fromState(config: NodeConfig, data: KvNodeState, options: KvNodeOptions = {}): KvNode {
    // The constructor draws an election timeout: from a restored generator, never from config.prng.
    const node = new KvNode({ ...config, prng: restorePrng(data.raft.prng) }, null, options);
    node.importState(data, false);
    return node;
  }

  /** An independent node in the same state, with the same configuration: it behaves exactly as this one from here on. */
  copy(): KvNode {
    // A fresh export no one else holds: its objects are taken over, not copied again.
    const data = this.exportState();
    const node = new KvNode({ ...this.config, prng: restorePrng(data.raft.prng) }, null, this.options);
    node.importState(data, true);
    return node;
  }

  private importState(data: KvNodeState, owned: boolean): void {
    const take = owned ? <T>(v: T): T => v : cloneData;
    this.raft.importState(data.raft, owned);
    // The state machine copies what it restores.
    this.sm.restore(data.stateMachine);
    this.lastApplied = data.lastApplied;
    this.started = data.started;
    this.pending.clear();
    for (const [index, p] of take(data.pending)) this.pending.set(index, p);
    this.reads.clear();
    for (const [id, r] of take(data.reads)) this.reads.set(id, r);
    this.pendingKeys.clear();
    for (const [k, index] of data.pendingKeys) this.pendingKeys.set(k, index);
    this.pendingSessions.clear();
    for (const [k, index] of data.pendingSessions) this.pendingSessions.set(k, index);
    this.leaderTerm = data.leaderTerm;
    this.logClock.importState(data.logClock);
  }

  tick(nowMs: number): Effects {
    this.start(nowMs);
    this.raft.tick(nowMs);
    return this.finish();
  }

  receive(message: Message, nowMs: number): Effects {
    this.start(nowMs);
    const body = message.body;
    if (isRaftBody(body)) {
      const bad = this.trustedPeers.has(message.src) ? null : checkSchema(body, raftSchemas[body.type]!);
      if (bad) this.out.logs.push(`dropped ${body.type} from ${message.src}: ${bad}`);
      else this.raft.step(message, nowMs);
    } else if (isClientRequest(body)) {
      this.handleClientRequest(message.src, body, nowMs);
    } else if (body.msg_id !== undefined && !body.type.endsWith("_ok") && body.type !== "error") {
      this.reply(message.src, body.msg_id, errorBody(ErrorCode.NotSupported, `this node does not handle ${JSON.stringify(body.type)} messages`));
    }
    return this.finish();
  }

  persisted(durable: DurableMark, nowMs: number): Effects {
    this.start(nowMs);
    this.raft.persisted(durable);
    return this.finish();
  }

  status(): NodeStatus {
    const role = this.raft.role;
    return {
      id: this.id,
      role: role === "precandidate" ? "follower" : role,
      term: this.raft.term,
      leader: this.raft.leader,
      commitIndex: this.raft.commitIndex,
      lastApplied: this.lastApplied,
      lastLogIndex: this.raft.log.lastIndex(),
      snapshotIndex: this.raft.log.snapshotIndex,
      sessions: this.sm.sessionCount(),
    };
  }

  // ------------------------------------------------------------ clients --

  private handleClientRequest(src: string, body: ClientRequestBody, nowMs: number): void {
    const msgId = body.msg_id;
    const invalid = validateClientRequest(body, this.maxValueBytes);
    if (invalid) return this.reply(src, msgId, invalid);
    if (this.raft.role !== "leader") {
      const leader = this.raft.leader;
      const answer =
        leader !== null && leader !== this.id
          ? errorBody(ErrorCode.TemporarilyUnavailable, `not the leader; the leader is ${leader}`, { leader })
          : errorBody(ErrorCode.TemporarilyUnavailable, "not the leader, and no leader is known yet; retry after a backoff");
      return this.reply(src, msgId, answer);
    }
    if (body.type === "read") {
      // ReadIndex: no log entry; answered once leadership is confirmed and the state machine caught up.
      const id = this.raft.requestRead();
      if (id === null) throw new Error("kv node: the leader could not start a read");
      this.reads.set(id, { src, msgId, key: body.key, index: null });
      return;
    }
    const { msg_id: _m, in_reply_to: _r, ...request } = body;
    const key = request.idempotency_key;
    if (key !== undefined && this.pendingKeys.has(key)) {
      return this.reply(
        src,
        msgId,
        errorBody(
          ErrorCode.IdempotencyKeyInFlight,
          `a request with idempotency key ${JSON.stringify(key)} is still in flight (log index ${this.pendingKeys.get(key)}); retry later`,
        ),
      );
    }
    // A copy of a request that is still pending (a retry, or the network
    // duplicated it) waits for the same entry and gets the same answer, rather
    // than a second entry judged later against a session that may have ended.
    const session = sessionKey(request as ClientRequestBody);
    const sameIndex = session !== undefined ? this.pendingSessions.get(session) : undefined;
    // Only a copy of the same request waits for the pending entry: a
    // different request reusing the seq gets its own entry, and the state
    // machine refuses it (1007) once the first is applied.
    const pendingSame = sameIndex !== undefined ? this.pending.get(sameIndex) : undefined;
    if (pendingSame !== undefined && requestFingerprint(pendingSame.request) === requestFingerprint(request as ClientRequestBody)) {
      pendingSame.duplicates.push({ src, msgId });
      this.emit({ type: "duplicate-pending", clientId: request.client_id as string, seq: request.seq as number, index: sameIndex as number });
      return;
    }
    const ts = this.logClock.stamp(nowMs);
    this.logClock.observe(ts);
    const placed = this.raft.propose({ kind: "client", ts, request: request as ClientRequestBody });
    if (!placed) throw new Error("kv node: the leader could not propose");
    this.pending.set(placed.index, { src, msgId, term: placed.term, request: request as ClientRequestBody, duplicates: [] });
    if (key !== undefined) this.pendingKeys.set(key, placed.index);
    if (session !== undefined) this.pendingSessions.set(session, placed.index);
  }

  /** An event for the tools, and its line (events.ts) for people. */
  private emit(event: NodeEvent): void {
    this.out.events.push(event);
    this.out.logs.push(renderEvent(event));
  }

  private reply(dest: string, inReplyTo: number | undefined, body: Body): void {
    const out: Body = { ...body };
    if (inReplyTo !== undefined) out.in_reply_to = inReplyTo;
    this.out.send.push({ src: this.id, dest, body: out });
  }

  // ------------------------------------------------------------- output --

  /** A single-node cluster elects itself before its first input. */
  private start(nowMs: number): void {
    if (this.started) return;
    this.started = true;
    this.raft.bootstrap(nowMs);
  }

  /** Collect Raft's output, apply what committed, answer clients; persist ops before sends. */
  private finish(): Effects {
    const ready = this.raft.takeReady();
    const effects: Effects & { events: NodeEvent[] } = { persist: ready.persist, send: ready.send, logs: ready.logs, events: [] };
    if (ready.sendBeforePersist) effects.sendBeforePersist = true;
    if (ready.durable) effects.durable = ready.durable;
    // Entries a leader sent (and this node's own) carry the log's time.
    for (const op of ready.persist) if (op.type === "append") for (const e of op.entries) this.logClock.observe(e.command.ts);
    const own = this.out;
    this.out = effects;
    // Lines and replies produced while handling the input come after Raft's.
    // Most inputs (ticks, peer messages) produce none: an array is truncated
    // only when it holds something (setting `length` is a runtime call even on
    // an empty array, three per input).
    if (own.logs.length > 0) {
      for (const l of own.logs) effects.logs.push(l);
      own.logs.length = 0;
    }
    if (own.send.length > 0) {
      for (const m of own.send) effects.send.push(m);
      own.send.length = 0;
    }
    if (own.events.length > 0) {
      for (const e of own.events) effects.events.push(e);
      own.events.length = 0;
    }
    if (ready.restore) {
      this.sm.restore(ready.restore.data);
      this.lastApplied = ready.restore.lastIncludedIndex;
      this.logClock.observe(this.sm.clockMs());
    }
    for (const { id, index } of ready.reads) {
      const r = this.reads.get(id);
      if (r) r.index = index;
    }
    this.applyCommitted();
    this.serveReads();
    this.trackLeadership();
    this.maybeSnapshot();
    // Snapshotting may have produced a persist op and a log line (rarely:
    // no fresh Ready, with its four arrays, when nothing did).
    if (this.raft.hasReady()) {
      const more = this.raft.takeReady();
      for (const p of more.persist) effects.persist.push(p);
      for (const m of more.send) effects.send.push(m);
      for (const l of more.logs) effects.logs.push(l);
      if (!more.sendBeforePersist) delete effects.sendBeforePersist;
      if (more.durable) effects.durable = more.durable;
    }
    this.out = own;
    return effects;
  }

  private applyCommitted(): void {
    while (this.lastApplied < this.raft.commitIndex) {
      const index = this.lastApplied + 1;
      const entry = this.raft.log.entry(index);
      if (!entry) throw new Error(`kv node: committed entry ${index} is not in the log (snapshot at ${this.raft.log.snapshotIndex})`);
      const result = this.sm.apply(entry.command, index);
      this.lastApplied = index;
      const p = this.pending.get(index);
      if (!p) continue;
      this.forget(index, p);
      if (p.term !== entry.term) {
        // Cannot happen while we lead (a leader never overwrites its log), and
        // pending requests are answered when leadership ends. Stay indefinite.
        this.answer(p, outcomeUnknown(`log index ${index} now holds another entry`));
        continue;
      }
      this.answer(p, result);
    }
  }

  /** Answer confirmed reads whose index the state machine has reached, in arrival order. */
  private serveReads(): void {
    for (const [id, r] of this.reads) {
      if (r.index === null || r.index > this.lastApplied) continue;
      this.reads.delete(id);
      const value = this.sm.read(r.key);
      this.reply(
        r.src,
        r.msgId,
        value === undefined
          ? errorBody(ErrorCode.KeyDoesNotExist, `key ${JSON.stringify(r.key)} does not exist`)
          : { type: "read_ok", value: copyValue(value) },
      );
    }
  }

  /** Reply to the request of a pending entry and to every copy of it that waited. */
  private answer(p: Pending, body: Body): void {
    this.reply(p.src, p.msgId, body);
    for (const d of p.duplicates) this.reply(d.src, d.msgId, { ...body });
  }

  private forget(index: number, p: Pending): void {
    this.pending.delete(index);
    if (p.request.type !== "read" && p.request.idempotency_key !== undefined) this.pendingKeys.delete(p.request.idempotency_key);
    const session = sessionKey(p.request);
    if (session !== undefined && this.pendingSessions.get(session) === index) this.pendingSessions.delete(session);
  }

  private trackLeadership(): void {
    const leading = this.raft.role === "leader" ? this.raft.term : null;
    if (leading === this.leaderTerm) return;
    // Raft logs "became leader" itself; the event is for the tools.
    if (leading !== null) this.out.events.push({ type: "leader-elected", term: leading });
    const lost = this.leaderTerm;
    if (lost !== null && this.pending.size + this.reads.size > 0) {
      this.out.logs.push(
        `lost leadership of term ${lost} with ${this.pending.size + this.reads.size} request(s) pending: answering them "outcome unknown" (error 0)`,
      );
      for (const [index, p] of this.pending) {
        this.forget(index, p);
        this.answer(p, outcomeUnknown(`leadership of term ${lost} was lost before log index ${index} committed`));
      }
      for (const [id, r] of this.reads) {
        this.reads.delete(id);
        this.reply(r.src, r.msgId, outcomeUnknown(`leadership of term ${lost} was lost before the read was confirmed`));
      }
    }
    this.leaderTerm = leading;
  }

  private maybeSnapshot(): void {
    if (this.lastApplied - this.raft.log.snapshotIndex < this.snapshotEveryEntries) return;
    this.raft.compact(this.lastApplied, this.sm.snapshot());
  }
}

/**
 * Why a snapshot from the leader cannot be restored at `lastIncludedIndex`:
 * not the state machine's format, or applied up to another index (applying
 * the entries after it would then fail). Null for a good one.
 */
/** Why a command in the leader's AppendEntries is not one this node can apply, or null. */
function commandProblem(command: unknown): string | null {
  const c = command as Partial<Command> | null | undefined;
  if (typeof c !== "object" || c === null || (c.kind !== "noop" && c.kind !== "client")) return "the command is neither a noop nor a client request";
  if (typeof c.ts !== "number" || !Number.isFinite(c.ts)) return "the command has no timestamp";
  if (c.kind === "client" && (typeof c.request !== "object" || c.request === null)) return "the command has no client request";
  return null;
}

function snapshotProblem(data: Json, lastIncludedIndex: number): string | null {
  try {
    const parsed = parseSnapshot(data);
    if (parsed.appliedIndex !== lastIncludedIndex) return `applied_index ${parsed.appliedIndex} is not the snapshot's index ${lastIncludedIndex}`;
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/**
 * A reply's own copy of a stored value, so whoever gets the reply cannot
 * change the state machine through it. A frozen part is shared instead of
 * copied: no one can change it (the simulator's storage freezes the entries
 * and snapshots it keeps, and so the values in them), so a read of a long
 * list costs little. Stored values are plain JSON nested at most
 * MAX_STORED_DEPTH levels, so the recursion is bounded.
 */
function copyValue(v: Json): Json {
  if (v === null || typeof v !== "object" || Object.isFrozen(v)) return v;
  if (Array.isArray(v)) {
    const out = new Array<Json>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = copyValue(v[i]!);
    return out;
  }
  // Each key an own data property, as structuredClone makes it (a "__proto__" key parsed from JSON stays a key).
  const out: { [k: string]: Json } = {};
  for (const k of Object.keys(v)) Object.defineProperty(out, k, { value: copyValue(v[k]!), writable: true, enumerable: true, configurable: true });
  return out;
}

function outcomeUnknown(why: string): Body {
  return errorBody(
    ErrorCode.Timeout,
    `outcome unknown: ${why}; the request may or may not be applied. Retry with the same client_id and seq to learn the result`,
  );
}

/**
 * Boundary checks: nesting depth, field types, identity,
 * value sizes. A bad request gets a definite error. The depth comes first:
 * requests submitted in-process (the HTTP front, the simulator) have not
 * been through the codec, and every later check or copy walks the values.
 */
export function validateClientRequest(body: ClientRequestBody, maxValueBytes: number): Body | null {
  const deep = tooDeepField(body);
  if (deep !== undefined) return errorBody(ErrorCode.MalformedRequest, `${body.type}: field "${deep}": ${tooDeepText(MAX_JSON_DEPTH)}`);
  const infinite = nonFiniteField(body);
  if (infinite !== undefined) return errorBody(ErrorCode.MalformedRequest, `${body.type}: field "${infinite}": ${NON_FINITE_TEXT}`);
  const bad = checkSchema(body, clientSchemas[body.type]!);
  if (bad) return errorBody(ErrorCode.MalformedRequest, `${body.type}: ${bad}`);
  if (body.type !== "read") {
    if ((body.client_id === undefined) !== (body.seq === undefined)) {
      return errorBody(ErrorCode.MalformedRequest, `${body.type}: client_id and seq go together; send both or neither`);
    }
    if (body.idempotency_key !== undefined && body.fingerprint === undefined) {
      return errorBody(ErrorCode.MalformedRequest, `${body.type}: an idempotency_key needs a fingerprint`);
    }
  }
  return validateOp(body, maxValueBytes);
}

/** The first field of a request nested deeper than MAX_JSON_DEPTH levels (any field: all of them go into the log). */
function tooDeepField(body: Body): string | undefined {
  const fields = body as Record<string, unknown>;
  for (const f in fields) if (Object.hasOwn(fields, f) && jsonDepthExceeds(fields[f], MAX_JSON_DEPTH)) return f;
  return undefined;
}

/** The first field of a request (with the path below it) that holds a number JSON cannot carry (any field: all of them go into the log). */
function nonFiniteField(body: Body): string | undefined {
  const fields = body as Record<string, unknown>;
  for (const f in fields) {
    if (!Object.hasOwn(fields, f)) continue;
    const at = nonFiniteNumberPath(fields[f]);
    if (at !== null) return `${f}${at}`;
  }
  return undefined;
}

/** A schema's fields as a list, made once per schema (not an Object.entries per message). */
const compiled = new WeakMap<BodySchema, Array<[string, BodySchema[string]]>>();

/** The first field of `body` that does not match `schema`, described; null when all match. */
function checkSchema(body: Body, schema: BodySchema): string | null {
  const fields = body as Record<string, unknown>;
  let specs = compiled.get(schema);
  if (specs === undefined) compiled.set(schema, (specs = Object.entries(schema)));
  for (let i = 0; i < specs.length; i++) {
    const [field, spec] = specs[i]!;
    const value = fields[field];
    if (value === undefined) {
      if (spec.optional) continue;
      return `field "${field}" is missing (expected ${describeKind(spec.kind)})`;
    }
    if (!matchesKind(spec.kind, value)) return `field "${field}": expected ${describeKind(spec.kind)}, got ${describeValue(value)}`;
  }
  return null;
}
