/**
 * A synchronous bridge between two processes: the runner, which holds the
 * checks and the hidden suites, and the submission's host (host.ts), the
 * one process that imports the student's code. The checks call the
 * student's functions as if they were local, and the student's code calls
 * back into what the checks handed it (a PRNG, a clock); each call is one
 * message each way over a pair of blocking pipes, and the caller waits for
 * the answer (or serves the calls the other side makes meanwhile, nested).
 *
 * What crosses:
 *
 * - Plain data is copied: numbers (NaN, the infinities and -0 included),
 *   strings, booleans, null, undefined, bigints, arrays, objects whose
 *   prototype is Object.prototype or null and that hold no function
 *   (one that does keeps its `this` as a handle), Maps, Sets, Dates and errors
 *   (name, message, stack and their own fields). A frozen array or object
 *   arrives frozen. An argument the callee changed in place is changed in
 *   place on the caller's side too when the call returns.
 * - A seeded PRNG (the project's `Prng`, which can export where its stream
 *   stands) crosses as its state: the callee draws from a copy in its own
 *   process, and when the call returns the caller's generator is moved on
 *   to where the copy stands, so the draws are the ones one process would
 *   make, without a message per draw.
 * - A promise crosses as a promise: the other side gets one of its own,
 *   settled with the same value when the original settles (an `async`
 *   method of the student's, a payment the check runs).
 * - Anything else (a function, a class, an instance of a class) stays where
 *   it lives and crosses as a handle: the other side gets a proxy whose
 *   calls, property reads and `new` travel back over the bridge.
 *
 * Each side waits for an answer by looking at its end a few times (a
 * non-blocking descriptor) and then by sleeping until the pipe has data (a
 * blocking descriptor of the same pipe), serving the calls that come
 * meanwhile (nested). Between calls it
 * looks from its event loop: right after a call (calls come in bursts),
 * then less and less often, so either side may call the other at any
 * time (a promise settled, a callback after an `await`); the host, when
 * its event loop has nothing else to run, sleeps on the pipe instead.
 *
 * Trust is one-sided. The runner trusts nothing the host sends: every
 * message is bounded in size and depth and checked field by field, and of
 * an object the runner handed over the host may only call the methods it
 * was told of and read the object's own data; it cannot reach a function's
 * source, a constructor or a prototype. The host serves the runner fully.
 */
import { readSync, writeSync } from "node:fs";
import { restorePrng, type Prng, type PrngState } from "@dslab/protocol";

/** Largest message either side reads: past it the other side is broken or hostile. */
export const MAX_MESSAGE_BYTES = 64 * 2 ** 20;
/** Deepest value that crosses. */
export const MAX_DEPTH = 400;
/** Plain objects and arrays each side remembers having sent. */
const MAX_REMEMBERED = 100_000;
/**
 * How many times a side waiting for an answer looks for it before it
 * sleeps until the pipe has data. Few: on two shared cores a process that
 * looks in a loop takes the core the other side needs to answer; sleeping
 * on the pipe measured faster, and costs no CPU.
 */
const LOOKS_BEFORE_SLEEP = 16;
/** After a message, how long the event loop looks again at once (then every millisecond, then every few). */
const BUSY_MS = 2;
/** Most method names one handle advertises. */
const MAX_METHODS = 256;

/** A value on the wire: JSON in which every object is tagged (`$`). */
type Wire = null | boolean | number | string | Wire[] | { [key: string]: Wire };
type Tagged = { [key: string]: Wire };

type Op = "apply" | "construct" | "get" | "set" | "has" | "delete" | "keys" | "desc" | "proto" | "service" | "settle";

interface CallMessage {
  t: "call";
  id: number;
  op: Op;
  /** The handle the call is about (the callee's own), -1 for a service. */
  h: number;
  /** Property or method name, or the service's name. */
  name?: string;
  self?: Wire;
  args?: Wire[];
}
type ReplyMessage = { t: "ok"; id: number; value: Wire; back?: Wire[] } | { t: "err"; id: number; error: Wire };
type Message = CallMessage | ReplyMessage;

/** The other side broke the bridge's protocol (a malformed message, a handle it does not hold, a message too large). */
export class BridgeProtocolError extends Error {
  override readonly name = "BridgeProtocolError";
}

/** A service the host offers the runner (importing a module, its captured output); it may return a promise. */
export type Service = (...args: unknown[]) => unknown;

export interface BridgeOptions {
  /**
   * Two descriptors of the pipe messages come in on: one that does not
   * block (for looking) and one that does (for sleeping until a message
   * comes); and the descriptor to write messages to.
   */
  readFd: number;
  blockingReadFd: number;
  writeFd: number;
  /**
   * Whether the other side is trusted: the host trusts the runner and serves
   * it fully; the runner serves the host only the methods it advertised.
   */
  peerTrusted: boolean;
  /** Services this side offers (the host's). */
  services?: Record<string, Service>;
  /** The other side closed its end: the bridge calls this (and, in a call, throws if it returns). */
  onClosed?: () => void;
  /**
   * Whether the bridge keeps the process alive while it waits for messages
   * (the host: yes, it lives to serve; the runner: no, it ends when its tests do).
   */
  keepAlive: boolean;
}

interface RemoteInfo {
  id: number;
  /** Its methods' handles by name, as they were when it crossed (a name the runner sets is dropped). */
  methods: Map<string, number>;
}

const SPECIAL_NUMBERS: Record<string, number> = { NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, "-Infinity": Number.NEGATIVE_INFINITY, "-0": -0 };
const ERROR_TYPES: Record<string, ErrorConstructor> = { Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError };

export class Bridge {
  private nextCallId = 1;
  private nextHandle = 1;
  /** This side's objects the other side holds, by handle. */
  private readonly local = new Map<number, object>();
  private readonly localIds = new WeakMap<object, number>();
  /** The handle each of this side's objects crossed as (its methods as they were then). */
  private readonly handles = new WeakMap<object, Wire>();
  /** Proxies of the other side's objects, by handle, and back. */
  private readonly remote = new Map<number, object>();
  private readonly remoteInfo = new WeakMap<object, RemoteInfo>();
  /** Plain objects and arrays this side sent, by id (the most recent `MAX_REMEMBERED`), and back. */
  private readonly sent = new Map<number, object>();
  private readonly sentIds = new WeakMap<object, number>();
  /** This side's copy of each of the other side's plain objects and arrays, by its id, while the copy lives. */
  private readonly mirrors = new Map<number, WeakRef<object>>();
  private readonly mirrorsGone = new FinalizationRegistry<number>((id) => {
    if (this.mirrors.get(id)?.deref() === undefined) this.mirrors.delete(id);
  });
  /** Copies of the other side's plain objects and arrays: its id, and the contents as they crossed. */
  private readonly copies = new WeakMap<object, { id: number; wire: Wire }>();
  /** Promises of this side's the other side holds that have not settled yet: their settling runs on the event loop. */
  private unsettled = 0;
  /** Calls of this side's waiting for their answers, and answers that came before their call looked for them. */
  private readonly waiting = new Set<number>();
  private readonly early = new Map<number, ReplyMessage>();
  /** Promises of the other side's, by its id: settled when it says so. */
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  private readonly header = Buffer.alloc(4);
  /** Bytes read and not yet a whole message, and whole messages not yet handled. */
  private input = Buffer.alloc(64 * 1024);
  private inputLength = 0;
  private readonly inbox: string[] = [];
  /** The other side closed its end (seen once the inbox is empty), or broke the protocol. */
  private ended = false;
  /** What the other side sent that broke the protocol, when it did. */
  broken: string | undefined;
  private closed = false;
  /** The look from the event loop, and the last time a message came. */
  private poller: NodeJS.Timeout | NodeJS.Immediate | undefined;
  private lastMessageAt = performance.now();
  /** Calls made so far, for the runner's log. */
  calls = 0;

  constructor(private readonly o: BridgeOptions) {
    this.schedule();
  }

  /**
   * The next look from the event loop: at once after a recent message, then
   * less and less often. It keeps the process alive while the host lives to
   * serve, or while this side waits on a promise of the other side's (an
   * unreferenced immediate would not even wake the event loop).
   */
  private schedule(): void {
    if (this.closed) return;
    const quietMs = performance.now() - this.lastMessageAt;
    const alive = this.o.keepAlive || this.pending.size > 0;
    const next = (): void => this.idle();
    if (quietMs < BUSY_MS && alive) this.poller = setImmediate(next);
    else this.poller = setTimeout(next, quietMs < 100 ? 1 : alive ? 5 : 20);
    if (!alive) this.poller.unref();
  }

  /** A look between calls: the other side's calls that came are served, as they come. */
  private idle(): void {
    this.poller = undefined;
    try {
      for (;;) {
        const m = this.take();
        if (m === undefined) {
          if (this.ended) {
            this.close();
            return;
          }
          // The host with nothing else to run (no promise it handed over still to settle, no timer, no immediate) sleeps
          // until the next call.
          if (!this.o.keepAlive || this.unsettled > 0 || eventLoopBusy()) break;
          this.block();
          continue;
        }
        if (m.t !== "call") {
          this.breakOn(new BridgeProtocolError(`an answer to call ${m.id} came while no call was waiting`));
          continue;
        }
        this.send(this.serve(m));
      }
    } finally {
      this.schedule();
    }
  }

  /** A message if one has come (reading what the pipe holds), or undefined. */
  private take(): Message | undefined {
    try {
      if (this.inbox.length === 0) this.pump();
      const raw = this.inbox.shift();
      if (raw === undefined) return undefined;
      this.lastMessageAt = performance.now();
      return this.parse(raw);
    } catch (e) {
      this.breakOn(e);
      return undefined;
    }
  }

  /** Past a message that breaks the protocol nothing on the pipe can be trusted: the bridge ends here. */
  private breakOn(e: unknown): void {
    if (!(e instanceof BridgeProtocolError)) throw e;
    this.broken = e.message;
    this.ended = true;
    this.inbox.length = 0;
    this.inputLength = 0;
  }

  /** Reads what the pipe holds, without waiting, into whole messages. */
  private pump(): void {
    if (this.ended) return;
    const stackTraceLimit = Error.stackTraceLimit;
    // An empty pipe is an exception (EAGAIN) from readSync: without a stack it costs a microsecond, not ten.
    Error.stackTraceLimit = 0;
    try {
      for (;;) {
        const n = this.readInput(this.o.readFd);
        if (n === -1) break;
        if (n === 0) {
          this.ended = true;
          break;
        }
        this.inputLength += n;
      }
    } finally {
      Error.stackTraceLimit = stackTraceLimit;
    }
    this.frame();
  }

  /** Whole messages out of the input buffer into the inbox. */
  private frame(): void {
    let at = 0;
    while (this.inputLength - at >= 4) {
      const length = this.input.readUInt32LE(at);
      if (length > MAX_MESSAGE_BYTES) throw new BridgeProtocolError(`a message of ${length} bytes (the most is ${MAX_MESSAGE_BYTES})`);
      if (this.inputLength - at - 4 < length) {
        if (this.input.length < length + 4) {
          const bigger = Buffer.alloc(length + 4 + 64 * 1024);
          this.input.copy(bigger, 0, at, this.inputLength);
          this.input = bigger;
          this.inputLength -= at;
          at = 0;
        }
        break;
      }
      this.inbox.push(this.input.toString("utf8", at + 4, at + 4 + length));
      at += 4 + length;
    }
    if (at > 0) {
      this.input.copy(this.input, 0, at, this.inputLength);
      this.inputLength -= at;
    }
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.poller !== undefined) {
      clearTimeout(this.poller as NodeJS.Timeout);
      clearImmediate(this.poller as NodeJS.Immediate);
    }
    for (const p of this.pending.values()) p.reject(new BridgeProtocolError("the other side of the bridge closed it"));
    this.pending.clear();
    this.o.onClosed?.();
  }

  /** Calls a service of the other side (the host's `import`, `output`); waits for its answer. */
  service(name: string, ...args: unknown[]): unknown {
    return this.call({ t: "call", id: 0, op: "service", h: -1, name, args: args.map((a) => this.encode(a, 0, [])) }, args);
  }

  // ---- calls out ---------------------------------------------------------

  private call(message: CallMessage, originals: readonly unknown[]): unknown {
    message.id = this.nextCallId++;
    this.calls++;
    if (this.closed) throw new BridgeProtocolError("the other side of the bridge has closed it");
    this.send(message);
    this.waiting.add(message.id);
    try {
      return this.await(message.id, originals);
    } finally {
      this.waiting.delete(message.id);
    }
  }

  /**
   * Waits for the answer to call `id`, serving the other side's calls
   * meanwhile. Two calls may cross (each side called the other at once):
   * then an answer to a call further out may come first, and waits here
   * until that call looks for it.
   */
  private await(id: number, originals: readonly unknown[]): unknown {
    for (;;) {
      const early = this.early.get(id);
      if (early !== undefined) {
        this.early.delete(id);
        return this.answer(early, originals);
      }
      const m = this.receive();
      if (m === null) {
        this.close();
        throw new BridgeProtocolError("the other side of the bridge closed it in the middle of a call");
      }
      if (m.t === "call") {
        this.send(this.serve(m));
        continue;
      }
      if (m.id === id) return this.answer(m, originals);
      if (!this.waiting.has(m.id) || this.early.has(m.id)) throw new BridgeProtocolError(`an answer to call ${m.id} came while call ${id} was waiting`);
      this.early.set(m.id, m);
    }
  }

  private answer(m: ReplyMessage, originals: readonly unknown[]): unknown {
    if (m.t === "err") throw this.decode(m.error, 0);
    if (m.back !== undefined) this.writeBack(originals, m.back);
    return this.decode(m.value, 0);
  }

  /** Applies the callee's changes to the arguments it was given in place. */
  private writeBack(originals: readonly unknown[], back: Wire[]): void {
    if (!Array.isArray(back) || back.length > originals.length) throw new BridgeProtocolError("malformed changed arguments");
    back.forEach((w, i) => {
      if (w === null) return;
      const original = originals[i];
      if (original === null || typeof original !== "object" || Object.isFrozen(original) || this.remoteInfo.has(original)) return;
      assignInPlace(original, this.decode(w, 0));
    });
  }

  // ---- serving -------------------------------------------------------------

  private serve(m: CallMessage): ReplyMessage {
    try {
      checkCall(m);
      const args = (m.args ?? []).map((a) => this.decode(a, 0));
      const result = this.perform(m, args);
      return { t: "ok", id: m.id, value: this.encode(result, 0, []), ...this.changed(m, args) };
    } catch (e) {
      return { t: "err", id: m.id, error: this.encodeError(e) };
    }
  }

  /** The arguments a call changed, re-encoded (null for each unchanged one). */
  private changed(m: CallMessage, args: unknown[]): { back?: Wire[] } {
    if (m.op !== "apply" && m.op !== "construct") return {};
    let any = false;
    const back = args.map((a, i) => {
      if (a === null || typeof a !== "object" || Object.isFrozen(a) || this.remoteInfo.has(a) || this.localIds.has(a)) return null;
      let now: Wire;
      try {
        now = this.encode(a, 0, []);
      } catch {
        return null;
      }
      if (sameContents(now, m.args![i]!)) return null;
      any = true;
      return now;
    });
    return any ? { back } : {};
  }

  private perform(m: CallMessage, args: unknown[]): unknown {
    if (m.op === "service") {
      const service = this.o.services?.[m.name!];
      if (service === undefined || !Object.hasOwn(this.o.services!, m.name!)) throw new BridgeProtocolError(`no service ${JSON.stringify(m.name)}`);
      return service(...args);
    }
    if (m.op === "settle") {
      const p = this.pending.get(m.h);
      if (p === undefined) throw new BridgeProtocolError(`no promise ${m.h} waits to be settled`);
      this.pending.delete(m.h);
      if (args[0] === true) p.resolve(args[1]);
      else p.reject(args[1]);
      return undefined;
    }
    const target = this.local.get(m.h);
    if (target === undefined) throw new BridgeProtocolError(`no handle ${m.h} on this side`);
    const name = m.name ?? "";
    const trusted = this.o.peerTrusted;
    switch (m.op) {
      case "apply": {
        if (typeof target !== "function") throw new TypeError("not a function");
        return Reflect.apply(target, m.self === undefined ? undefined : this.decode(m.self, 0), args);
      }
      case "construct": {
        if (!trusted) throw new TypeError("the grader's objects cannot be constructed from the submission");
        if (typeof target !== "function") throw new TypeError("not a constructor");
        return Reflect.construct(target, args);
      }
      case "get":
        if (!trusted) return Object.hasOwn(target, name) && !isAccessor(target, name) && typeof target !== "function" ? (target as Record<string, unknown>)[name] : undefined;
        return Reflect.get(target, name);
      case "set":
        if (!trusted) throw new TypeError(`cannot set ${name} on the grader's object`);
        return Reflect.set(target, name, args[0]);
      case "has":
        return trusted ? Reflect.has(target, name) : Object.hasOwn(target, name);
      case "delete":
        if (!trusted) throw new TypeError(`cannot delete ${name} from the grader's object`);
        return Reflect.deleteProperty(target, name);
      case "keys":
        return Reflect.ownKeys(target).filter((k): k is string => typeof k === "string" && (trusted || typeof target !== "function"));
      case "desc": {
        if (!trusted && (typeof target === "function" || isAccessor(target, name))) return undefined;
        const d = Reflect.getOwnPropertyDescriptor(target, name);
        if (d === undefined) return undefined;
        return { value: "value" in d ? d.value : Reflect.get(target, name), writable: d.writable ?? false, enumerable: d.enumerable ?? false };
      }
      case "proto":
        return trusted ? Reflect.getPrototypeOf(target) : null;
    }
  }

  // ---- encoding ------------------------------------------------------------

  private encode(v: unknown, depth: number, path: object[]): Wire {
    switch (typeof v) {
      case "string":
      case "boolean":
        return v;
      case "number":
        if (Number.isFinite(v) && !Object.is(v, -0)) return v;
        return { $: "n", v: Object.is(v, -0) ? "-0" : String(v) };
      case "undefined":
        return { $: "u" };
      case "bigint":
        return { $: "b", v: v.toString() };
      case "symbol":
        throw new TypeError(`a symbol (${v.description ?? ""}) cannot pass between the submission's process and the grader's`);
      case "function":
        return this.handle(v);
    }
    if (v === null) return null;
    const o = v as object;
    const remote = this.remoteInfo.get(o);
    if (remote !== undefined) return { $: "r", id: remote.id };
    if (o instanceof Promise) return this.promise(o);
    if (depth >= MAX_DEPTH) throw new RangeError(`a value nested deeper than ${MAX_DEPTH} levels cannot pass between the submission's process and the grader's`);
    if (path.includes(o)) throw new TypeError("a value that contains itself cannot pass between the submission's process and the grader's");
    path.push(o);
    try {
      const proto = Object.getPrototypeOf(o) as unknown;
      if (Array.isArray(o) && proto === Array.prototype) {
        const items: Wire[] = [];
        for (let i = 0; i < o.length; i++) items.push(this.encode(o[i], depth + 1, path));
        return { $: "a", v: items, ...(Object.isFrozen(o) ? { f: 1 } : {}), ...this.provenance(o, items) };
      }
      // An object with methods keeps its `this`: it crosses as a handle, not as a copy.
      if ((proto === Object.prototype || proto === null) && !hasMethods(o)) {
        const fields: Tagged = {};
        for (const k of Object.keys(o)) Object.defineProperty(fields, k, { value: this.encode((o as Record<string, unknown>)[k], depth + 1, path), enumerable: true });
        return { $: "o", v: fields, ...(Object.isFrozen(o) ? { f: 1 } : {}), ...(proto === null ? { p: 0 } : {}), ...this.provenance(o, fields) };
      }
      if (o instanceof Map && proto === Map.prototype) return { $: "m", v: [...o].map(([k, x]) => [this.encode(k, depth + 1, path), this.encode(x, depth + 1, path)]) };
      if (o instanceof Set && proto === Set.prototype) return { $: "s", v: [...o].map((x) => this.encode(x, depth + 1, path)) };
      if (o instanceof Date && proto === Date.prototype) return { $: "d", v: this.encode(o.getTime(), depth + 1, path) };
      if (o instanceof Error) return this.encodeError(o, depth);
      const state = prngState(o);
      if (state !== undefined) {
        const words: Wire = [state.seed, ...state.words];
        return { $: "g", v: words, ...this.provenance(o, words) };
      }
      return this.handle(o);
    } finally {
      path.pop();
    }
  }

  private encodeError(e: unknown, depth = 0): Wire {
    if (!(e instanceof Error)) {
      try {
        return { $: "x", v: this.encode(e, depth + 1, []) };
      } catch {
        return { $: "x", v: String(e) };
      }
    }
    const fields: Tagged = {};
    for (const k of Object.keys(e)) {
      if (k === "name" || k === "message" || k === "stack") continue;
      try {
        Object.defineProperty(fields, k, { value: this.encode((e as unknown as Record<string, unknown>)[k], depth + 1, []), enumerable: true });
      } catch {
        // A field that cannot cross (a symbol, a cycle) is left behind.
      }
    }
    const text = (x: unknown): string => (typeof x === "string" ? x : String(x));
    let stack = "";
    try {
      stack = text(e.stack ?? "");
    } catch {
      // A stack getter that throws.
    }
    return { $: "e", name: text(e.name), message: text(e.message), stack, v: { $: "o", v: fields } };
  }

  /**
   * Where a plain object or array came from, so that one passed back keeps
   * its identity, as it would in one process: a copy of this side's
   * object carries `id`; a copy of the other side's (`ref`) says whether it
   * is unchanged since it crossed (`same`: the other side's object as it is
   * now) or changed (its contents are written into that object).
   */
  private provenance(o: object, encoded: Wire): Tagged {
    const from = this.copies.get(o);
    if (from !== undefined) return { ref: from.id, same: sameContents(encoded, from.wire) ? 1 : 0 };
    let id = this.sentIds.get(o);
    if (id === undefined) {
      id = this.nextHandle++;
      this.sentIds.set(o, id);
      this.sent.set(id, o);
      // Bounded: an object sent long ago crosses back as a copy.
      if (this.sent.size > MAX_REMEMBERED) this.sent.delete(this.sent.keys().next().value!);
    }
    return { id };
  }

  /** This side's object a copy coming back names, if it is still remembered. */
  private original(t: Tagged): object | undefined {
    if (t.ref === undefined) return undefined;
    if (!Number.isSafeInteger(t.ref)) throw new BridgeProtocolError("a malformed reference");
    return this.sent.get(t.ref as number);
  }

  /**
   * A decoded copy: written into this side's own object (with `ref`), or
   * kept as this side's one copy of the other side's object (with `id`):
   * the same object each time that object crosses, with what it holds now.
   */
  private received(copy: object, t: Tagged, own: object | undefined): object {
    if (own !== undefined) {
      if (Object.isFrozen(own) || Array.isArray(own) !== Array.isArray(copy)) return copy;
      assignInPlace(own, copy);
      return own;
    }
    if (t.id === undefined) return copy;
    if (!Number.isSafeInteger(t.id)) throw new BridgeProtocolError("a malformed id");
    const id = t.id as number;
    const mirror = this.mirrors.get(id)?.deref();
    if (mirror !== undefined && !Object.isFrozen(mirror) && Array.isArray(mirror) === Array.isArray(copy)) {
      assignInPlace(mirror, copy);
      this.copies.set(mirror, { id, wire: t.v! });
      return mirror;
    }
    this.mirrors.set(id, new WeakRef(copy));
    this.mirrorsGone.register(copy, id);
    this.copies.set(copy, { id, wire: t.v! });
    return copy;
  }

  /** A promise of this side's: the other side gets one of its own, settled when this one is. */
  private promise(p: Promise<unknown>): Wire {
    const id = this.nextHandle++;
    this.unsettled++;
    let settled = false;
    const settle = (ok: boolean, value: unknown): void => {
      if (!settled) this.unsettled--;
      settled = true;
      if (this.closed) return;
      try {
        this.call({ t: "call", id: 0, op: "settle", h: id, args: [ok, ok ? this.encode(value, 0, []) : this.encodeError(value)] }, []);
      } catch (e) {
        if (!(e instanceof BridgeProtocolError) || !this.closed) {
          // A value that cannot cross settles the other side's promise with why.
          if (ok) settle(false, e);
        }
      }
    };
    p.then(
      (v) => settle(true, v),
      (e: unknown) => settle(false, e),
    );
    return { $: "p", id };
  }

  private handle(o: object): Wire {
    const known = this.handles.get(o);
    if (known !== undefined) return known;
    const id = this.localId(o);
    // Each method crosses as a handle of its own function, called with the object as `this`: what the object's
    // property held when it crossed, as a method taken from an object and bound is in one process.
    const methods = advertisedMethods(o).map((name): Wire => [name, this.methodId((o as Record<string, unknown>)[name] as object)]);
    const wire: Wire = { $: "h", id, f: typeof o === "function" ? 1 : 0, m: methods };
    this.handles.set(o, wire);
    return wire;
  }

  /** A method's handle: this side's own function, or (a proxy of the other side's) the other side's. */
  private methodId(fn: object): number {
    return this.localId(fn);
  }

  /** This side's handle for `o`, made on first use. */
  private localId(o: object): number {
    let id = this.localIds.get(o);
    if (id === undefined) {
      id = this.nextHandle++;
      this.local.set(id, o);
      this.localIds.set(o, id);
    }
    return id;
  }

  // ---- decoding (checks every field: the other side may be hostile) ----------

  private decode(w: Wire, depth: number): unknown {
    if (w === null || typeof w === "boolean" || typeof w === "string") return w;
    if (typeof w === "number") {
      if (!Number.isFinite(w)) throw new BridgeProtocolError("a number that JSON cannot hold");
      return w;
    }
    if (depth >= MAX_DEPTH + 2) throw new BridgeProtocolError(`a value nested deeper than ${MAX_DEPTH} levels`);
    if (Array.isArray(w)) return w.map((x) => this.decode(x, depth + 1));
    if (typeof w !== "object") throw new BridgeProtocolError("a value of no known kind");
    const t = w as Tagged;
    switch (t.$) {
      case "u":
        return undefined;
      case "n":
        if (typeof t.v !== "string" || !Object.hasOwn(SPECIAL_NUMBERS, t.v)) throw new BridgeProtocolError("a malformed special number");
        return SPECIAL_NUMBERS[t.v];
      case "b":
        if (typeof t.v !== "string" || !/^-?\d{1,10000}$/.test(t.v)) throw new BridgeProtocolError("a malformed bigint");
        return BigInt(t.v);
      case "a": {
        if (!Array.isArray(t.v)) throw new BridgeProtocolError("a malformed array");
        const own = this.original(t);
        if (own !== undefined && t.same === 1) return own;
        const a = t.v.map((x) => this.decode(x, depth + 1));
        return this.received(t.f === 1 ? Object.freeze(a) : a, t, own);
      }
      case "o": {
        if (t.v === null || typeof t.v !== "object" || Array.isArray(t.v)) throw new BridgeProtocolError("a malformed object");
        const own = this.original(t);
        if (own !== undefined && t.same === 1) return own;
        const o: Record<string, unknown> = t.p === 0 ? (Object.create(null) as Record<string, unknown>) : {};
        for (const k of Object.keys(t.v)) Object.defineProperty(o, k, { value: this.decode((t.v as Tagged)[k]!, depth + 1), writable: true, enumerable: true, configurable: true });
        return this.received(t.f === 1 ? Object.freeze(o) : o, t, own);
      }
      case "m":
        if (!Array.isArray(t.v) || !t.v.every((p) => Array.isArray(p) && p.length === 2)) throw new BridgeProtocolError("a malformed Map");
        return new Map((t.v as Wire[][]).map(([k, x]) => [this.decode(k!, depth + 1), this.decode(x!, depth + 1)]));
      case "s":
        if (!Array.isArray(t.v)) throw new BridgeProtocolError("a malformed Set");
        return new Set(t.v.map((x) => this.decode(x, depth + 1)));
      case "d": {
        const ms = this.decode(t.v!, depth + 1);
        if (typeof ms !== "number") throw new BridgeProtocolError("a malformed Date");
        return new Date(ms);
      }
      case "e":
        return this.decodeError(t, depth);
      case "g":
        return this.decodePrng(t);
      case "x":
        return this.decode(t.v!, depth + 1);
      case "h": {
        const methods = t.m;
        if (
          !Number.isSafeInteger(t.id) ||
          (t.f !== 0 && t.f !== 1) ||
          !Array.isArray(methods) ||
          methods.length > MAX_METHODS ||
          !methods.every((p) => Array.isArray(p) && p.length === 2 && typeof p[0] === "string" && p[0].length <= 256 && Number.isSafeInteger(p[1]))
        ) {
          throw new BridgeProtocolError("a malformed handle");
        }
        return this.proxyOf(t.id as number, t.f === 1, new Map(methods as [string, number][]));
      }
      case "p": {
        if (!Number.isSafeInteger(t.id) || this.pending.has(t.id as number)) throw new BridgeProtocolError("a malformed promise");
        const id = t.id as number;
        return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
      }
      case "r": {
        const o = typeof t.id === "number" ? this.local.get(t.id) : undefined;
        if (o === undefined) throw new BridgeProtocolError(`a reference to handle ${String(t.id)}, which this side never gave`);
        return o;
      }
      default:
        throw new BridgeProtocolError(`a value of unknown kind ${JSON.stringify(t.$)?.slice(0, 40)}`);
    }
  }

  private decodeError(t: Tagged, depth: number): Error {
    if (typeof t.name !== "string" || typeof t.message !== "string" || typeof t.stack !== "string") throw new BridgeProtocolError("a malformed error");
    const Type = Object.hasOwn(ERROR_TYPES, t.name) ? ERROR_TYPES[t.name]! : Error;
    const e = new Type(t.message);
    if (e.name !== t.name) Object.defineProperty(e, "name", { value: t.name, writable: true, configurable: true });
    Object.defineProperty(e, "stack", { value: t.stack, writable: true, configurable: true });
    const fields = this.decode(t.v ?? { $: "o", v: {} }, depth + 1);
    if (fields !== null && typeof fields === "object") {
      for (const k of Object.keys(fields)) {
        if (k === "name" || k === "message" || k === "stack") continue;
        Object.defineProperty(e, k, { value: (fields as Record<string, unknown>)[k], writable: true, enumerable: true, configurable: true });
      }
    }
    return e;
  }

  private decodePrng(t: Tagged): Prng {
    const w = t.v;
    if (!Array.isArray(w) || w.length !== 5 || typeof w[0] !== "string" || !w.slice(1).every((x) => Number.isInteger(x) && (x as number) >= 0 && (x as number) <= 0xffffffff)) {
      throw new BridgeProtocolError("a malformed PRNG state");
    }
    const state: PrngState = { seed: w[0], words: w.slice(1) as PrngState["words"] };
    const own = this.original(t) as Prng | undefined;
    if (own !== undefined) {
      if (t.same !== 1) catchUp(own, state);
      return own;
    }
    if (!Number.isSafeInteger(t.id)) throw new BridgeProtocolError("a PRNG without an id");
    const id = t.id as number;
    const known = this.mirrors.get(id)?.deref();
    const mirror = known instanceof MirrorPrng ? known : new MirrorPrng(state);
    if (known === mirror) mirror.restore(state);
    else {
      this.mirrors.set(id, new WeakRef(mirror));
      this.mirrorsGone.register(mirror, id);
    }
    this.copies.set(mirror, { id, wire: w });
    return mirror;
  }

  /** The proxy of the other side's object `id` (one per handle, so identity holds). */
  private proxyOf(id: number, isFunction: boolean, methods: Map<string, number>): object {
    const known = this.remote.get(id);
    if (known !== undefined) return known;
    const bridge = this;
    const info: RemoteInfo = { id, methods };
    const request = (op: Op, name?: string, args: unknown[] = [], self?: unknown): unknown =>
      bridge.call(
        { t: "call", id: 0, op, h: id, ...(name !== undefined ? { name } : {}), ...(self !== undefined ? { self: bridge.encode(self, 0, []) } : {}), args: args.map((a) => bridge.encode(a, 0, [])) },
        args,
      );
    // A bound function has no own `prototype`, so the proxy owes no invariant to one.
    const target: object = isFunction ? function remote() {}.bind(null) : {};
    const proxy = new Proxy(target, {
      get(_t, name) {
        if (typeof name === "symbol") return undefined;
        if (name === "then" && !info.methods.has("then")) return undefined;
        const method = info.methods.get(name);
        if (method !== undefined) return bridge.proxyOf(method, true, new Map());
        return request("get", name);
      },
      set(_t, name, value) {
        if (typeof name === "symbol") return false;
        info.methods.delete(name);
        return request("set", name, [value]) === true;
      },
      has(_t, name) {
        return typeof name === "string" && (info.methods.has(name) || request("has", name) === true);
      },
      deleteProperty(_t, name) {
        if (typeof name === "string") info.methods.delete(name);
        return typeof name === "string" && request("delete", name) === true;
      },
      ownKeys(t) {
        const keys = request("keys");
        const names = Array.isArray(keys) ? keys.filter((k): k is string => typeof k === "string") : [];
        // The target's own non-configurable keys must be listed (a bound function has none that are not configurable).
        for (const k of Reflect.ownKeys(t)) if (!Reflect.getOwnPropertyDescriptor(t, k)!.configurable && !names.includes(k as string)) names.push(k as string);
        return names;
      },
      getOwnPropertyDescriptor(t, name) {
        if (typeof name === "symbol") return undefined;
        const own = Reflect.getOwnPropertyDescriptor(t, name);
        if (own !== undefined && !own.configurable) return own;
        const d = request("desc", name) as { value: unknown; writable: boolean; enumerable: boolean } | undefined;
        if (d === undefined || d === null || typeof d !== "object") return undefined;
        return { value: d.value, writable: d.writable === true, enumerable: d.enumerable === true, configurable: true };
      },
      getPrototypeOf() {
        const p = request("proto");
        return p !== null && typeof p === "object" ? p : typeof p === "function" ? p : null;
      },
      apply(_t, self, args) {
        return request("apply", undefined, args, self);
      },
      construct(_t, args) {
        const made = request("construct", undefined, args);
        if (made === null || (typeof made !== "object" && typeof made !== "function")) throw new TypeError("a constructor of the submission returned no object");
        return made as object;
      },
    });
    this.remote.set(id, proxy);
    this.remoteInfo.set(proxy, info);
    return proxy;
  }

  // ---- framing ---------------------------------------------------------------

  private send(m: Message): void {
    const text = JSON.stringify(m);
    const body = Buffer.from(text, "utf8");
    if (body.length > MAX_MESSAGE_BYTES) {
      if (m.t === "ok" || m.t === "err") {
        this.send({ t: "err", id: m.id, error: this.encodeError(new RangeError(`a value larger than ${MAX_MESSAGE_BYTES / 2 ** 20} MiB cannot pass between the submission's process and the grader's`)) });
        return;
      }
      throw new RangeError(`a value larger than ${MAX_MESSAGE_BYTES / 2 ** 20} MiB cannot pass between the submission's process and the grader's`);
    }
    this.header.writeUInt32LE(body.length, 0);
    writeFully(this.o.writeFd, this.header);
    writeFully(this.o.writeFd, body);
  }

  /** The next message, waiting for it; null when the other side closed its end. */
  private receive(): Message | null {
    for (let looks = 0; ; looks++) {
      const m = this.take();
      if (m !== undefined) return m;
      if (this.ended) return null;
      if (looks >= LOOKS_BEFORE_SLEEP) this.block();
    }
  }

  /** Sleeps until the pipe has data, and reads what it has. */
  private block(): void {
    if (this.ended) return;
    const n = Math.max(0, this.readInput(this.o.blockingReadFd));
    if (n === 0) this.ended = true;
    this.inputLength += n;
    try {
      this.frame();
    } catch (e) {
      this.breakOn(e);
    }
  }

  /** Reads from `fd` onto the end of the input: the bytes read, 0 at the end of the stream, -1 when nothing is there yet. */
  private readInput(fd: number): number {
    this.room();
    try {
      return readSync(fd, this.input, this.inputLength, this.input.length - this.inputLength, null);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EAGAIN" || code === "EWOULDBLOCK") return -1;
      if (code === "EOF" || code === "EPIPE" || code === "ECONNRESET") return 0;
      throw e;
    }
  }

  /** At least 64 KiB free at the end of the input buffer. */
  private room(): void {
    if (this.input.length - this.inputLength >= 64 * 1024) return;
    const bigger = Buffer.alloc(this.input.length * 2);
    this.input.copy(bigger, 0, 0, this.inputLength);
    this.input = bigger;
  }

  private parse(raw: string): Message {
    let m: unknown;
    try {
      m = JSON.parse(raw);
    } catch (e) {
      throw new BridgeProtocolError(`a message that is not JSON (${(e as Error).message})`);
    }
    return checkMessage(m);
  }
}

/** The methods an object offers through a handle: its prototype chain's functions, below Object.prototype and Function.prototype, and its own function-valued fields. */
function advertisedMethods(o: object): string[] {
  const names = new Set<string>();
  for (let p: object | null = o; p !== null && p !== Object.prototype && p !== Function.prototype; p = Object.getPrototypeOf(p) as object | null) {
    for (const k of Object.getOwnPropertyNames(p)) {
      if (k === "constructor" || names.size >= MAX_METHODS) continue;
      const d = Object.getOwnPropertyDescriptor(p, k);
      if (d !== undefined && "value" in d && typeof d.value === "function") names.add(k);
    }
    if (typeof o === "function") break;
  }
  return [...names];
}

/** Whether the event loop has timers or immediates to run (the code's), so the host must not sleep on the pipe. */
function eventLoopBusy(): boolean {
  const resources = process.getActiveResourcesInfo();
  return resources.includes("Timeout") || resources.includes("Immediate");
}

/** The state of a seeded PRNG of the project's (one that can export it), or undefined for anything else. */
function prngState(o: object): PrngState | undefined {
  const g = o as Partial<Prng>;
  if (typeof g.exportState !== "function" || typeof g.next !== "function" || typeof g.int !== "function" || typeof g.seed !== "string") return undefined;
  try {
    const state = g.exportState();
    return typeof state?.seed === "string" && Array.isArray(state.words) && state.words.length === 4 ? state : undefined;
  } catch {
    return undefined;
  }
}

/** Most draws a generator is moved on by to reach where the other side's copy stands. */
const MAX_CATCH_UP = 1_000_000;

/** Moves `own` on, draw by draw, to where the other side's copy of it stands. */
function catchUp(own: Prng, target: PrngState): void {
  const at = (): boolean => {
    const s = own.exportState!();
    return s.words.every((w, i) => w === target.words[i]);
  };
  for (let i = 0; i < MAX_CATCH_UP; i++) {
    if (at()) return;
    own.next();
  }
  if (!at()) throw new BridgeProtocolError(`the other side's copy of the PRNG stands where ${MAX_CATCH_UP} draws of this one do not reach`);
}

/** This side's copy of the other side's PRNG: draws in this process, restored to where the original stands each time it crosses. */
class MirrorPrng implements Prng {
  private inner: Prng;
  constructor(state: PrngState) {
    this.inner = restorePrng(state);
  }
  get seed(): string {
    return this.inner.seed;
  }
  restore(state: PrngState): void {
    this.inner = restorePrng(state);
  }
  next(): number {
    return this.inner.next();
  }
  int(min: number, max: number): number {
    return this.inner.int(min, max);
  }
  chance(p: number): boolean {
    return this.inner.chance(p);
  }
  pick<T>(items: readonly T[]): T {
    return this.inner.pick(items);
  }
  fork(label: string): Prng {
    return this.inner.fork(label);
  }
  exportState(): PrngState {
    return this.inner.exportState!();
  }
}

/** Whether two values on the wire hold the same, whatever the marks of where their plain objects came from. */
function sameContents(a: Wire, b: Wire): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameContents(a[i]!, b[i]!)) return false;
    return true;
  }
  const plain = a.$ === "o" || a.$ === "a" || a.$ === "g";
  const ka = Object.keys(a).filter((k) => !plain || (k !== "id" && k !== "ref" && k !== "same"));
  const kb = Object.keys(b).filter((k) => !plain || (k !== "id" && k !== "ref" && k !== "same"));
  if (ka.length !== kb.length) return false;
  for (const k of ka) if (!Object.hasOwn(b, k) || !sameContents(a[k]!, b[k]!)) return false;
  return true;
}

function hasMethods(o: object): boolean {
  for (const k of Object.keys(o)) if (typeof (o as Record<string, unknown>)[k] === "function") return true;
  return false;
}

function isAccessor(o: object, name: string): boolean {
  const d = Object.getOwnPropertyDescriptor(o, name);
  return d !== undefined && !("value" in d);
}

/** Makes `target` (an array, a plain object, a Map, a Set) hold what `value` holds, keeping its identity. */
function assignInPlace(target: object, value: unknown): void {
  if (target === value) return;
  if (Array.isArray(target) && Array.isArray(value)) {
    target.length = 0;
    for (const x of value) target.push(x);
  } else if (target instanceof Map && value instanceof Map) {
    target.clear();
    for (const [k, x] of value) target.set(k, x);
  } else if (target instanceof Set && value instanceof Set) {
    target.clear();
    for (const x of value) target.add(x);
  } else if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const k of Object.keys(target)) if (!Object.hasOwn(value, k)) delete (target as Record<string, unknown>)[k];
    for (const k of Object.keys(value)) Object.defineProperty(target, k, { value: (value as Record<string, unknown>)[k], writable: true, enumerable: true, configurable: true });
  }
}

const OPS: ReadonlySet<string> = new Set<Op>(["apply", "construct", "get", "set", "has", "delete", "keys", "desc", "proto", "service", "settle"]);

function checkMessage(m: unknown): Message {
  if (m === null || typeof m !== "object" || Array.isArray(m)) throw new BridgeProtocolError("a message that is not an object");
  const r = m as Record<string, unknown>;
  if (!Number.isSafeInteger(r.id)) throw new BridgeProtocolError("a message without an id");
  if (r.t === "ok") {
    if (!("value" in r) || (r.back !== undefined && !Array.isArray(r.back))) throw new BridgeProtocolError("a malformed answer");
    return r as unknown as ReplyMessage;
  }
  if (r.t === "err") {
    if (!("error" in r)) throw new BridgeProtocolError("a malformed error answer");
    return r as unknown as ReplyMessage;
  }
  if (r.t === "call") return checkCall(r as unknown as CallMessage);
  throw new BridgeProtocolError(`a message of unknown type ${JSON.stringify(r.t)?.slice(0, 40)}`);
}

function checkCall(m: CallMessage): CallMessage {
  if (typeof m.op !== "string" || !OPS.has(m.op) || !Number.isSafeInteger(m.h)) throw new BridgeProtocolError("a malformed call");
  if (m.name !== undefined && (typeof m.name !== "string" || m.name.length > 1024)) throw new BridgeProtocolError("a malformed name in a call");
  if (m.args !== undefined && (!Array.isArray(m.args) || m.args.length > 1024)) throw new BridgeProtocolError("malformed arguments in a call");
  return m;
}

/** Writes all of `buf` (the writing ends are blocking descriptors: a full pipe waits for the reader). */
function writeFully(fd: number, buf: Buffer): void {
  for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off);
}
