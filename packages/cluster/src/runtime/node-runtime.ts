/**
 * The runtime shell around a pure `KvNodeCore`: a real clock and a tick
 * timer, inputs fed one at a time, and the core's effects executed in
 * order, writes in the background:
 *
 * - Every `persist` goes to storage at once, in the order the core
 *   produced it; the storage makes the writes of one turn of the event loop
 *   durable together (FileStorage's group commit: one fsync for every input
 *   of the turn). A write counts as durable once it and every write before
 *   it have completed.
 * - Messages leave in the order the core produced them, each after the
 *   writes it depends on: an ordinary Effects' `send` waits until its own
 *   `persist` and every earlier one are durable (a vote, an append
 *   acknowledgement: nothing is promised before it is on disk). A leader's
 *   Effects marked `sendBeforePersist` wait only for earlier unmarked
 *   writes, so its AppendEntries reach the followers while its own fsync
 *   runs, and the two fsyncs of a write overlap instead of adding up.
 * - When a write carrying a `durable` mark completes, the core hears it
 *   (`persisted`): only then does the leader count its own entries toward
 *   a commit (thesis §10.2.1). The node is built with `asyncPersist` for
 *   this (`startNode`).
 */
import type { NodeEvent } from "../events.js";
import {
  ErrorCode,
  errorBody,
  type Body,
  type ClientRequestBody,
  type Message,
} from "@dslab/protocol";
import type { DurableMark, Effects, KvNodeCore, NodeRuntime, NodeStatus, Storage } from "../contract.js";
import { TIMING_DEFAULTS } from "./timing.js";
import { WriteTimer, type WriteTiming } from "./write-timing.js";

export interface NodeRuntimeOptions {
  core: KvNodeCore;
  /** The storage the core was restored from (already loaded). */
  storage: Storage;
  /** Delivers one outgoing message (to a peer, or a reply to a client). */
  send: (message: Message) => void;
  /** Tick period of the election/heartbeat clock. Default DEFAULT_TICK_MS. */
  tickMs?: number;
  /** One log line, without the node prefix. Default: `<id> | <line>` on stderr. */
  log?: (line: string) => void;
  /** Each typed event the core reports (events.ts), for tools: a leader elected, a duplicate answered. */
  onEvent?: (event: NodeEvent) => void;
  /**
   * Called once when the node must stop: storage failed (it can no longer
   * make anything durable), or the core threw (a `CoreFailure`: nothing the
   * core does after that can be trusted).
   */
  onFatal?: (error: Error) => void;
  /** The shell's clock (ms). Default Date.now. */
  now?: () => number;
  /**
   * For benchmarks: where each client write's time went on this node
   * (write-timing.ts), reported when its reply leaves. Off unless given.
   */
  onWriteTiming?: (timing: WriteTiming) => void;
  /** With onWriteTiming: which `src`s are peers (their acknowledgements time the replication). */
  peerIds?: readonly string[];
}

interface Waiter {
  resolve: (body: Body) => void;
  timer: NodeJS.Timeout | undefined;
}

/** Messages of one Effects waiting for the writes up to `afterSeq` to be durable. */
interface Held {
  afterSeq: number;
  send: Message[];
}

/** The core threw while handling `input` (a tick, a message, a durable report, or its construction). */
export class CoreFailure extends Error {
  override readonly name = "CoreFailure";
  readonly error: Error;
  constructor(
    readonly input: string,
    cause: unknown,
  ) {
    const error = cause instanceof Error ? cause : new Error(String(cause));
    super(`the core threw while handling ${input}: ${error.message}`, { cause: error });
    this.error = error;
  }
}

/** Default tick period (TIMING_DEFAULTS.tickMs, runtime/timing.ts). */
export const DEFAULT_TICK_MS = TIMING_DEFAULTS.tickMs;

export class KvNodeRuntime implements NodeRuntime {
  readonly id: string;
  private readonly core: KvNodeCore;
  private readonly storage: Storage;
  private readonly sendOut: (message: Message) => void;
  private readonly log: (line: string) => void;
  private readonly onEvent: ((event: NodeEvent) => void) | undefined;
  private readonly onFatal: (error: Error) => void;
  private readonly now: () => number;
  private readonly tickMs: number;
  private ticker: NodeJS.Timeout | undefined;
  private readonly timer: WriteTimer | null;

  /** Messages waiting for writes, in the order the core produced them. */
  private held: Held[] = [];
  /** Writes are numbered in the order they go to storage: the last one handed over, the last one durable (with all before it), the last one ordinary messages must wait for. */
  private lastSeq = 0;
  private durableSeq = 0;
  private barrierSeq = 0;
  /** Writes completed out of order, past durableSeq (a storage may finish them so; FileStorage does not). */
  private readonly completed = new Set<number>();
  /** The cores' durable marks, by the write that carries them, oldest first. */
  private marks: Array<{ seq: number; durable: DurableMark }> = [];
  /** Writes handed to storage and not completed; `idle` callbacks run when none are left. */
  private writing = 0;
  private idle: Array<() => void> = [];
  /** A microtask is scheduled to act on writes that became durable. */
  private afterWritesScheduled = false;
  private stopped = false;
  private failed = false;

  // submit(): in-process callers get a synthetic client address.
  private readonly localSrc: string;
  private nextMsgId = 1;
  private readonly waiters = new Map<number, Waiter>();

  constructor(opts: NodeRuntimeOptions) {
    this.core = opts.core;
    this.id = opts.core.id;
    this.storage = opts.storage;
    this.sendOut = opts.send;
    this.tickMs = opts.tickMs ?? DEFAULT_TICK_MS;
    this.log = opts.log ?? ((line) => process.stderr.write(`${this.id} | ${line}\n`));
    this.onFatal = opts.onFatal ?? ((e) => this.log(`fatal: ${e.message}`));
    this.onEvent = opts.onEvent;
    this.now = opts.now ?? Date.now;
    this.localSrc = `local-${this.id}`;
    this.timer = opts.onWriteTiming ? new WriteTimer(new Set(opts.peerIds ?? []), opts.onWriteTiming) : null;
  }

  /** Starts the tick timer. */
  start(): void {
    if (this.ticker || this.stopped) return;
    this.ticker = setInterval(() => {
      const effects = this.callCore("a tick", () => this.core.tick(this.now()));
      if (effects) this.apply(effects);
    }, this.tickMs);
  }

  /** Feeds one message addressed to this node (from a peer or a client). */
  deliver(message: Message): void {
    if (this.stopped) return;
    if (this.timer) return this.deliverTimed(message, this.timer);
    const effects = this.callCore(`${message.body.type} from ${message.src}`, () => this.core.receive(message, this.now()));
    if (effects) this.apply(effects);
  }

  private deliverTimed(message: Message, timer: WriteTimer): void {
    const receivedMs = timer.now();
    const effects = this.callCore(`${message.body.type} from ${message.src}`, () => this.core.receive(message, this.now()));
    if (!effects) return;
    timer.delivered(message, receivedMs, effects.persist, this.lastSeq + 1);
    this.apply(effects);
  }

  submit(request: ClientRequestBody, opts: { timeoutMs?: number } = {}): Promise<Body> {
    if (this.stopped) return Promise.resolve(errorBody(ErrorCode.TemporarilyUnavailable, `node ${this.id} is stopped`));
    const msgId = this.nextMsgId++;
    const timeoutMs = opts.timeoutMs ?? 10_000;
    return new Promise<Body>((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(msgId);
        resolve(errorBody(ErrorCode.Timeout, `no reply from ${this.id} within ${timeoutMs} ms; the request may or may not have been applied`));
      }, timeoutMs);
      this.waiters.set(msgId, { resolve, timer });
      const { in_reply_to: _ignored, ...body } = request;
      this.deliver({ src: this.localSrc, dest: this.id, body: { ...body, msg_id: msgId } });
    });
  }

  status(): NodeStatus {
    return this.core.status();
  }

  /** Stops ticking, lets the writes in flight finish, closes the storage. */
  async close(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
    if (this.writing > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
    for (const [id, w] of this.waiters) {
      if (w.timer) clearTimeout(w.timer);
      w.resolve(errorBody(ErrorCode.Crash, `node ${this.id} shut down before replying; the request may or may not have been applied`));
      this.waiters.delete(id);
    }
    await this.storage.close();
  }

  // ------------------------------------------------------------ effects ----

  private apply(effects: Effects): void {
    for (const line of effects.logs) this.log(line);
    if (this.onEvent && effects.events) for (const e of effects.events) this.onEvent(e);
    let seq = 0;
    if (effects.persist.length > 0) {
      if (effects.durable && !this.core.persisted) {
        throw new Error(`node ${this.id}: the core asked to hear when its writes are durable, but has no persisted()`);
      }
      seq = ++this.lastSeq;
      if (!effects.sendBeforePersist) this.barrierSeq = seq;
      if (effects.durable) this.marks.push({ seq, durable: effects.durable });
    }
    if (effects.send.length > 0) {
      // A leader's marked messages wait only for the ordinary writes before them; any other for every write so far.
      const afterSeq = effects.sendBeforePersist ? this.barrierSeq : this.lastSeq;
      if (this.held.length === 0 && afterSeq <= this.durableSeq) this.sendBatch(effects.send);
      else this.held.push({ afterSeq, send: effects.send });
    }
    if (seq === 0) return;
    // Handed to storage after the messages are handed to the transport: both
    // act at the end of this turn of the event loop, in that order, so a
    // leader's AppendEntries (which need not wait for this write) leave
    // before the write starts.
    this.writing++;
    this.storage.persist(effects.persist).then(
      () => this.written(seq),
      (e: unknown) => this.storageFailed(e),
    );
  }

  /** Write `seq` completed: once it and every write before it have, act on them (once per batch: a microtask). */
  private written(seq: number): void {
    this.writing--;
    if (this.failed) return this.settleIdle();
    this.completed.add(seq);
    while (this.completed.delete(this.durableSeq + 1)) this.durableSeq++;
    if (!this.afterWritesScheduled) {
      this.afterWritesScheduled = true;
      queueMicrotask(() => this.afterWrites());
    }
  }

  /** The messages waiting for durable writes leave, and the core hears of the last durable mark. */
  private afterWrites(): void {
    this.afterWritesScheduled = false;
    this.timer?.durable(this.durableSeq);
    this.releaseHeld();
    let durable: DurableMark | undefined;
    let i = 0;
    for (; i < this.marks.length && this.marks[i]!.seq <= this.durableSeq; i++) durable = this.marks[i]!.durable;
    if (i > 0) this.marks.splice(0, i);
    if (durable && !this.stopped) this.reportDurable(durable);
    this.settleIdle();
  }

  private settleIdle(): void {
    if (this.writing > 0) return;
    for (const resolve of this.idle.splice(0)) resolve();
  }

  /** Messages whose writes are all durable leave, in order, up to the first that still waits. */
  private releaseHeld(): void {
    let i = 0;
    for (; i < this.held.length && this.held[i]!.afterSeq <= this.durableSeq; i++) this.sendBatch(this.held[i]!.send);
    if (i > 0) this.held.splice(0, i);
  }

  private reportDurable(durable: DurableMark): void {
    const effects = this.callCore(`the report that writes up to index ${durable.index} are durable`, () => this.core.persisted!(durable, this.now()));
    if (effects) this.apply(effects);
  }

  /**
   * One input to the core. The reference core throws only on a broken
   * invariant of its own state, another core (`--core`) on any mistake of its
   * code: either way the node stops, as it does when storage fails, and
   * `onFatal` gets a CoreFailure naming the input. Null when it threw.
   */
  private callCore(input: string, call: () => Effects): Effects | null {
    try {
      return call();
    } catch (e) {
      this.stop();
      this.onFatal(new CoreFailure(input, e));
      return null;
    }
  }

  private storageFailed(e: unknown): void {
    this.writing--;
    if (this.failed) return this.settleIdle();
    this.failed = true;
    const error = e instanceof Error ? e : new Error(String(e));
    this.stop();
    this.settleIdle();
    this.log(`storage failed, stopping: nothing more is sent or acknowledged (${error.message})`);
    this.onFatal(error);
  }

  private stop(): void {
    this.stopped = true;
    if (this.ticker) clearInterval(this.ticker);
    this.held = [];
    this.marks = [];
  }

  private sendBatch(messages: Message[]): void {
    for (const m of messages) {
      this.timer?.sent(m);
      if (m.dest === this.localSrc) this.resolveLocal(m);
      else {
        try {
          this.sendOut(m);
        } catch (e) {
          this.log(`could not send ${m.body.type} to ${m.dest}: ${(e as Error).message}`);
        }
      }
    }
  }

  private resolveLocal(m: Message): void {
    const id = m.body.in_reply_to;
    const w = id === undefined ? undefined : this.waiters.get(id);
    if (!w || id === undefined) return;
    this.waiters.delete(id);
    if (w.timer) clearTimeout(w.timer);
    const { in_reply_to: _r, msg_id: _m, ...body } = m.body;
    w.resolve(body as Body);
  }
}
