/**
 * Time for the harness. `Timeline` is the interface the network, the nemesis
 * and the clients schedule against; `SimScheduler` runs it as discrete events
 * (simulated time, far faster than real time), `RealTimeline` runs it on real
 * timers for process mode. Same code, two clocks.
 */

export interface TimerHandle {
  cancel(): void;
}

export interface Timeline {
  /** Milliseconds since the start of the run. */
  now(): number;
  /**
   * Run `fn` at `atMs` (never before now). `settles`: fn may resolve a
   * promise (a client reply, a timer), so simulated time must not move on
   * until the continuations ran.
   */
  at(atMs: number, fn: () => void, opts?: { settles?: boolean }): TimerHandle;
  /** Run `fn` after `delayMs`. */
  after(delayMs: number, fn: () => void, opts?: { settles?: boolean }): TimerHandle;
  /** A promise that resolves after `delayMs` on this timeline. */
  sleep(delayMs: number): Promise<void>;
}

/** One scheduled event; it is its own cancel handle (no closure per event). */
class SimEvent implements TimerHandle {
  constructor(
    readonly atMs: number,
    /** Tie-break: events at the same time run in the order they were scheduled. */
    readonly seq: number,
    public fn: (() => void) | null,
    /** True when `fn` may resolve promises, so the loop must let them settle before the next event. */
    readonly settles: boolean,
  ) {}
  cancel(): void {
    this.fn = null;
  }
}

/**
 * Binary min-heap on (atMs, seq). Sifting moves a hole instead of swapping
 * pairs, and compares inline: the heap is touched twice per event.
 */
class EventHeap {
  private items: SimEvent[] = [];
  get size(): number {
    return this.items.length;
  }
  peek(): SimEvent | undefined {
    return this.items[0];
  }
  push(e: SimEvent): void {
    const a = this.items;
    let i = a.length;
    a.push(e);
    const at = e.atMs;
    const seq = e.seq;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = a[p]!;
      if (parent.atMs < at || (parent.atMs === at && parent.seq < seq)) break;
      a[i] = parent;
      i = p;
    }
    a[i] = e;
  }
  pop(): SimEvent | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    const n = a.length;
    if (n > 0 && last) {
      const at = last.atMs;
      const seq = last.seq;
      let i = 0;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= n) break;
        let child = a[c]!;
        const r = c + 1;
        if (r < n) {
          const right = a[r]!;
          if (right.atMs < child.atMs || (right.atMs === child.atMs && right.seq < child.seq)) {
            c = r;
            child = right;
          }
        }
        if (at < child.atMs || (at === child.atMs && seq < child.seq)) break;
        a[i] = child;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
}

/**
 * Lets pending promise continuations run before simulated time moves on.
 * Awaiting an already resolved promise yields one microtask turn; a client's
 * chain from a resolved reply or timer to its next request is a handful of
 * turns deep (counted with V8 promise hooks over four workloads: other
 * continuations ran in the first 5 turns, once per run in the 6th, never
 * later; 13 is the 12 awaits and the return of the async helper this loop
 * replaced, so runs are unchanged). (setImmediate would drain everything, but a trip round the
 * event loop per event costs more than the simulation itself. A continuation
 * deeper than this still runs, right after the next event, and
 * deterministically so.) `runUntil` awaits `SETTLE_TURNS` times in a row,
 * inline: an async helper would cost a promise and a frame per settle, and
 * `await undefined` a fresh promise per turn (a tenth of a run's garbage).
 */
const SETTLE_TURNS = 13;
const RESOLVED: Promise<void> = Promise.resolve();

/** The options of an event that may resolve a promise (shared: no object per event). */
export const SETTLES: { readonly settles: true } = Object.freeze({ settles: true });

/**
 * Discrete-event scheduler: a priority queue by time with a stable tie-break
 * by sequence number. Nothing here reads the wall clock, so a run is a pure
 * function of its seed.
 */
export class SimScheduler implements Timeline {
  private heap = new EventHeap();
  private nowMs = 0;
  private nextSeq = 0;
  /** Events executed so far (for the benchmark). */
  eventsRun = 0;
  /** Of those, events after which promise continuations were let run. */
  settlesRun = 0;

  now(): number {
    return this.nowMs;
  }

  at(atMs: number, fn: () => void, opts?: { settles?: boolean }): TimerHandle {
    const e = new SimEvent(atMs > this.nowMs ? atMs : this.nowMs, this.nextSeq++, fn, opts?.settles === true);
    this.heap.push(e);
    return e;
  }

  after(delayMs: number, fn: () => void, opts?: { settles?: boolean }): TimerHandle {
    return this.at(delayMs > 0 ? this.nowMs + delayMs : this.nowMs, fn, opts);
  }

  sleep(delayMs: number): Promise<void> {
    return new Promise((resolve) => this.after(delayMs, resolve, SETTLES));
  }

  /** True while events are queued. */
  get pending(): number {
    return this.heap.size;
  }

  /**
   * Run events in order until simulated time reaches `untilMs` (events at
   * exactly `untilMs` run), or `stop()` returns true. Awaits after every event
   * that may have resolved a promise, so client code written with async/await
   * runs at the simulated instant its promise resolved.
   */
  runUntil(untilMs: number, stop?: () => boolean): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let turns = 0;
      // One microtask hop: `RESOLVED.then(hop)` queues behind every pending
      // continuation exactly as `await RESOLVED` did, at half the garbage (a
      // reaction and a throwaway promise instead of an await's frame and closures).
      const hop = (): void => {
        try {
          if (turns > 0 && --turns > 0) {
            void RESOLVED.then(hop);
            return;
          }
          const r = this.runEvents(untilMs, stop);
          if (r === RunStop.Settle) {
            this.settlesRun++;
            turns = SETTLE_TURNS;
            void RESOLVED.then(hop);
            return;
          }
          if (r === RunStop.Drained && this.nowMs < untilMs && !stop?.()) this.nowMs = untilMs;
          resolve();
        } catch (err) {
          reject(err);
        }
      };
      hop();
    });
  }

  /**
   * The synchronous part of `runUntil`: run events until one that settles
   * (the caller then lets promise continuations run), until `stop()`, or
   * until no event is due by `untilMs`. A plain loop, so the hot path is not
   * an async function's resumable frame.
   */
  private runEvents(untilMs: number, stop: (() => boolean) | undefined): RunStop {
    const heap = this.heap;
    for (;;) {
      if (stop !== undefined && stop()) return RunStop.Stopped;
      const top = heap.peek();
      if (top === undefined || top.atMs > untilMs) return RunStop.Drained;
      heap.pop();
      const fn = top.fn;
      if (fn === null) continue;
      this.nowMs = top.atMs;
      top.fn = null;
      this.eventsRun++;
      fn();
      if (top.settles) return RunStop.Settle;
    }
  }
}

/** Why `runEvents` returned. */
const RunStop = {
  /** `stop()` returned true. */
  Stopped: 0,
  /** No event is due by the limit. */
  Drained: 1,
  /** The event just run may have resolved a promise. */
  Settle: 2,
} as const;
type RunStop = (typeof RunStop)[keyof typeof RunStop];

/** Real time, for process mode: the same interface on setTimeout. */
export class RealTimeline implements Timeline {
  private readonly startMs = performance.now();
  private readonly timers = new Set<NodeJS.Timeout>();

  now(): number {
    return performance.now() - this.startMs;
  }
  at(atMs: number, fn: () => void): TimerHandle {
    return this.after(atMs - this.now(), fn);
  }
  after(delayMs: number, fn: () => void): TimerHandle {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, Math.max(0, delayMs));
    this.timers.add(t);
    return { cancel: () => (clearTimeout(t), this.timers.delete(t)) };
  }
  sleep(delayMs: number): Promise<void> {
    return new Promise((resolve) => this.after(delayMs, resolve));
  }
  /** Cancel every pending timer (end of run). */
  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
