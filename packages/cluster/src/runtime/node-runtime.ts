/**
 * The runtime shell around a pure `KvNodeCore`: a real
 * clock and a tick timer, inputs fed one at a time, and the core's effects
 * executed strictly in order: `persist` made durable (fsync) BEFORE anything
 * in `send` leaves.
 *
 * Throughput comes from batching, never from reordering. Effects of every
 * input that arrives while a persist is in flight are collected into one
 * batch; when the fsync completes, the next batch's ops go to storage in one
 * `persist()` call (one fsync, the WAL's group commit), and only when that
 * resolves are the batch's messages sent, in the order the core produced
 * them. A message never leaves before every persist that preceded it.
 */
import type { NodeEvent } from "../events.js";
import {
  ErrorCode,
  errorBody,
  type Body,
  type ClientRequestBody,
  type Message,
} from "@dslab/protocol";
import type { Effects, KvNodeCore, NodeRuntime, NodeStatus, PersistOp, Storage } from "../contract.js";
import { TIMING_DEFAULTS } from "./timing.js";

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
  /** Called once if storage fails: the node must stop, it can no longer make anything durable. */
  onFatal?: (error: Error) => void;
  /** The shell's clock (ms). Default Date.now. */
  now?: () => number;
}

interface Waiter {
  resolve: (body: Body) => void;
  timer: NodeJS.Timeout | undefined;
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

  /** Effects collected while a persist is in flight, in the order the core produced them. */
  private pending: Array<Pick<Effects, "persist" | "send">> = [];
  /** True while flushLoop runs; `flushDone` settles when it ends. */
  private flushing = false;
  private flushDone: Promise<void> = Promise.resolve();
  private stopped = false;

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
  }

  /** Starts the tick timer. */
  start(): void {
    if (this.ticker || this.stopped) return;
    this.ticker = setInterval(() => this.apply(this.core.tick(this.now())), this.tickMs);
  }

  /** Feeds one message addressed to this node (from a peer or a client). */
  deliver(message: Message): void {
    if (this.stopped) return;
    this.apply(this.core.receive(message, this.now()));
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

  /** Stops ticking, lets the batch in flight finish, closes the storage. */
  async close(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
    while (this.flushing) await this.flushDone;
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
    if (effects.persist.length === 0 && effects.send.length === 0) return;
    if (!this.flushing && this.pending.length === 0 && effects.persist.length === 0) {
      // Nothing to make durable and nothing in flight before it: send at once.
      this.sendBatch(effects.send);
      return;
    }
    this.pending.push({ persist: effects.persist, send: effects.send });
    if (!this.flushing) {
      this.flushing = true;
      this.flushDone = this.flushLoop();
    }
  }

  /**
   * One round: messages queued before the first pending persist go out at
   * once (every persist before them is done); then the ops of ALL remaining
   * effects are made durable together (one fsync), and only then their
   * messages leave, in order.
   */
  private async flushLoop(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const batch = this.pending;
        this.pending = [];
        let i = 0;
        for (; i < batch.length && batch[i]!.persist.length === 0; i++) this.sendBatch(batch[i]!.send);
        if (i === batch.length) continue;
        const ops: PersistOp[] = [];
        for (let j = i; j < batch.length; j++) for (const op of batch[j]!.persist) ops.push(op);
        await this.storage.persist(ops);
        for (let j = i; j < batch.length; j++) this.sendBatch(batch[j]!.send);
      }
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      this.stopped = true;
      if (this.ticker) clearInterval(this.ticker);
      this.pending = [];
      this.log(`storage failed, stopping: nothing more is sent or acknowledged (${error.message})`);
      this.onFatal(error);
    } finally {
      this.flushing = false;
    }
  }

  private sendBatch(messages: Message[]): void {
    for (const m of messages) {
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
