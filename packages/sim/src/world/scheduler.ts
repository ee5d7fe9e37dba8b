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

/** Binary min-heap on (atMs, seq). */
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
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }
  pop(): SimEvent | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && before(a[l]!, a[m]!)) m = l;
        if (r < a.length && before(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

function before(x: SimEvent, y: SimEvent): boolean {
  return x.atMs < y.atMs || (x.atMs === y.atMs && x.seq < y.seq);
}

/**
 * Lets pending promise continuations run before simulated time moves on.
 * Awaiting a plain value yields one microtask turn; a client's chain from a
 * resolved reply or timer to its next request is a handful of turns deep.
 * (setImmediate would drain everything, but a trip round the event loop per
 * event costs more than the simulation itself. A continuation deeper than
 * this still runs, right after the next event, and deterministically so.)
 */
const SETTLE_TURNS = 12;
async function settle(): Promise<void> {
  for (let i = 0; i < SETTLE_TURNS; i++) await undefined;
}

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

  at(atMs: number, fn: () => void, opts: { settles?: boolean } = {}): TimerHandle {
    const e = new SimEvent(Math.max(atMs, this.nowMs), this.nextSeq++, fn, opts.settles ?? false);
    this.heap.push(e);
    return e;
  }

  after(delayMs: number, fn: () => void, opts: { settles?: boolean } = {}): TimerHandle {
    return this.at(this.nowMs + Math.max(0, delayMs), fn, opts);
  }

  sleep(delayMs: number): Promise<void> {
    return new Promise((resolve) => this.after(delayMs, resolve, { settles: true }));
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
  async runUntil(untilMs: number, stop?: () => boolean): Promise<void> {
    for (;;) {
      if (stop?.()) return;
      const top = this.heap.peek();
      if (!top || top.atMs > untilMs) break;
      this.heap.pop();
      if (!top.fn) continue;
      this.nowMs = top.atMs;
      const fn = top.fn;
      top.fn = null;
      this.eventsRun++;
      fn();
      if (top.settles) {
        this.settlesRun++;
        await settle();
      }
    }
    if (this.nowMs < untilMs && !stop?.()) this.nowMs = untilMs;
  }
}

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
