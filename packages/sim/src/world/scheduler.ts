/**
 * Time for the harness. `Timeline` is the interface the network, the nemesis
 * and the clients schedule against; `SimScheduler` runs it as discrete events
 * (simulated time, far faster than real time), `RealTimeline` runs it on real
 * timers for process mode. Same code, two clocks.
 *
 * How simulated time stays a pure function of the seed while the clients,
 * the workload driver and the final reads are ordinary async code:
 *
 * - Simulated code blocks only on promises the timeline makes: `sleep`, and
 *   `wait` (the client transport's reply-or-timeout). Each belongs to a
 *   `SimTask` (a workload worker, the final reads), which counts the
 *   timeline promises it is blocked on.
 * - An event that settles one of those promises marks the scheduler
 *   "woken". After such an event the scheduler runs nothing until the
 *   microtask queue is empty: it queues one microtask that queues the next
 *   step with `process.nextTick`, and Node runs a tick queued from a
 *   microtask only after `runMicrotasks()` has drained the whole queue,
 *   continuations queued along the way included. So a woken task runs
 *   to its next block (or its end) at the simulated instant it was woken,
 *   however many `await`s the path takes: an extra `await` in the client or
 *   the driver costs a microtask, never a change of order. Events that wake
 *   nothing (node ticks, peer messages, a reply that comes after its
 *   timeout) run back to back with no microtask at all.
 * - With the queue empty, every live task must be blocked on a timeline
 *   promise. One that is not is waiting on something the scheduler will
 *   never resolve (a real timer, real I/O, a promise nobody settles): the
 *   run stops with a `SimTaskStuckError` naming it, rather than going on
 *   with a history that real time, not the seed, would decide.
 *
 * Why not count microtask turns (a fixed number of hops per event) or count
 * wakes against blocks to decide when to move on: a fixed count breaks the
 * order as soon as a path is one `await` deeper, and block counting must
 * assume one outstanding promise per task (a `Promise.race` of a reply and
 * a sleep, or a wrapper's extra promise, would let time move on early).
 * Draining the queue needs neither assumption, and costs one microtask and
 * one tick per waking event, less than the turns it replaces. The tasks'
 * counts only check, after the fact, that nothing waits outside the
 * simulation.
 */

export interface TimerHandle {
  cancel(): void;
}

/**
 * A promise simulated code may block on, and the two ways to settle it. The
 * caller settles it from an event (a reply delivered, a timeout fired).
 */
export interface Wait<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export interface Timeline {
  /** Milliseconds since the start of the run. */
  now(): number;
  /** Run `fn` at `atMs` (never before now), with `arg` when given. */
  at(atMs: number, fn: () => void): TimerHandle;
  at<A>(atMs: number, fn: (arg: A) => void, arg: A): TimerHandle;
  /**
   * Run `fn` after `delayMs`, with `arg` when given: a hot path passes its
   * state as `arg` to a function made once, instead of a closure per call.
   */
  after(delayMs: number, fn: () => void): TimerHandle;
  after<A>(delayMs: number, fn: (arg: A) => void, arg: A): TimerHandle;
  /** A promise that resolves after `delayMs` on this timeline, for `task` to block on. */
  sleep(delayMs: number, task?: SimTask): Promise<void>;
  /** A promise for `task` to block on, settled by whoever holds the `Wait`. */
  wait<T>(task?: SimTask): Wait<T>;
  /**
   * Start `body` as a task: simulated code that blocks only on this
   * timeline's promises. The promise settles with the body's.
   */
  spawn<T>(label: string, body: (task: SimTask) => Promise<T>): Promise<T>;
}

/**
 * One strand of simulated async code (a workload worker, the final reads).
 * `label` names it in a `SimTaskStuckError` and may change as it goes (the
 * worker's current client).
 */
export class SimTask {
  /** Timeline promises made for this task and not settled yet. */
  waits = 0;
  done = false;
  /** Simulated ms at which the task last resumed (for the stuck error). */
  resumedAtMs = 0;
  constructor(public label: string) {}
}

/** Thrown when a task waits on something the simulation does not resolve. */
export class SimTaskStuckError extends Error {
  override readonly name = "SimTaskStuckError";
  readonly code = "E_SIM_TASK_STUCK";
  constructor(
    readonly task: string,
    readonly atMs: number,
  ) {
    super(
      `${task} is waiting on something the simulation does not resolve: it resumed at ${atMs} ms simulated and has ` +
        `neither finished nor blocked on the simulated sleep or transport since. Simulated code may await only the ` +
        `sleep and transport it was given (no setTimeout, no real I/O, no promise that nothing settles), or the ` +
        `history would depend on real time instead of the seed.`,
    );
  }
}

/**
 * Wall time spent running events, by kind (`SimScheduler.profile`, for the
 * benchmark's breakdown): `classify` names the kind of an event from its
 * function and argument.
 */
export interface EventProfile {
  classify: (fn: (arg: never) => void, arg: unknown) => string;
  byKind: Map<string, { events: number; ms: number }>;
}

/** One scheduled event; it is its own cancel handle (no closure per event). */
class SimEvent implements TimerHandle {
  constructor(
    readonly atMs: number,
    /** Tie-break: events at the same time run in the order they were scheduled. */
    readonly seq: number,
    public fn: ((arg: any) => void) | null,
    /** What `fn` is called with (a packet, a node): one object per event instead of a closure. */
    readonly arg: unknown,
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

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * A long run lets the event loop turn about this often (wall ms), between
 * two events with every task blocked, so I/O (a swarm's messages from its
 * child processes, a test runner's timers) is not held up for the whole run.
 * The wall clock decides only when, never what runs.
 */
const YIELD_EVERY_MS = 20;
/** Steps between two looks at the wall clock. */
const CLOCK_CHECK_STEPS = 256;

/**
 * A timeline promise: settling it marks the scheduler woken, so the run
 * drains the microtask queue before the next event. Settling twice is a
 * no-op, as for a plain promise.
 */
class SimWait<T> implements Wait<T> {
  readonly promise: Promise<T>;
  private res!: (value: T) => void;
  private rej!: (error: unknown) => void;
  private settled = false;
  constructor(
    private readonly scheduler: SimScheduler,
    private readonly task: SimTask | undefined,
  ) {
    this.promise = new Promise<T>((resolve, reject) => {
      this.res = resolve;
      this.rej = reject;
    });
    if (task !== undefined) scheduler.blocked(task);
  }
  resolve(value: T): void {
    if (this.settled) return;
    this.settled = true;
    this.scheduler.woken(this.task);
    this.res(value);
  }
  reject(error: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.scheduler.woken(this.task);
    this.rej(error);
  }
}

/**
 * Discrete-event scheduler: a priority queue by time with a stable tie-break
 * by sequence number. The order of events never depends on the wall clock
 * (read only to let the event loop turn now and then), so a run is a pure
 * function of its seed.
 */
export class SimScheduler implements Timeline {
  private heap = new EventHeap();
  private nowMs = 0;
  private nextSeq = 0;
  /** Set when the event running settled a timeline promise. */
  private woke = false;
  /** Live tasks blocked on no timeline promise: zero whenever the microtask queue is empty, or a task is stuck. */
  private unblocked = 0;
  private readonly live = new Set<SimTask>();
  /** Events executed so far (for the benchmark). */
  eventsRun = 0;
  /** Of those, events that woke a task (each followed by a drain of the microtask queue). */
  wakesRun = 0;
  /** When set, every event is timed into it (two clock reads per event). */
  profile: EventProfile | null = null;

  now(): number {
    return this.nowMs;
  }

  at(atMs: number, fn: () => void): TimerHandle;
  at<A>(atMs: number, fn: (arg: A) => void, arg: A): TimerHandle;
  at(atMs: number, fn: (arg: unknown) => void, arg?: unknown): TimerHandle {
    const e = new SimEvent(atMs > this.nowMs ? atMs : this.nowMs, this.nextSeq++, fn, arg);
    this.heap.push(e);
    return e;
  }

  after(delayMs: number, fn: () => void): TimerHandle;
  after<A>(delayMs: number, fn: (arg: A) => void, arg: A): TimerHandle;
  after(delayMs: number, fn: (arg: unknown) => void, arg?: unknown): TimerHandle {
    return this.at(delayMs > 0 ? this.nowMs + delayMs : this.nowMs, fn, arg);
  }

  sleep(delayMs: number, task?: SimTask): Promise<void> {
    const w = new SimWait<void>(this, task);
    this.after(delayMs, () => w.resolve());
    return w.promise;
  }

  wait<T>(task?: SimTask): Wait<T> {
    return new SimWait<T>(this, task);
  }

  /**
   * The body starts in an event of its own at the current instant, so tasks
   * spawned together start one at a time, each running to its first block
   * before the next starts, whatever their first steps await.
   */
  spawn<T>(label: string, body: (task: SimTask) => Promise<T>): Promise<T> {
    const task = new SimTask(label);
    return new Promise<T>((resolve, reject) => {
      const end = (): void => {
        task.done = true;
        this.live.delete(task);
        if (task.waits === 0) this.unblocked--;
      };
      this.after(0, () => {
        task.resumedAtMs = this.nowMs;
        this.live.add(task);
        this.unblocked++;
        this.woke = true;
        let p: Promise<T>;
        try {
          p = body(task);
        } catch (e) {
          end();
          reject(e);
          return;
        }
        p.then(
          (v) => (end(), resolve(v)),
          (e: unknown) => (end(), reject(e)),
        );
      });
    });
  }

  /** A timeline promise was made for `task`. */
  blocked(task: SimTask): void {
    if (task.waits++ === 0 && !task.done) this.unblocked--;
  }

  /** A timeline promise is being settled: the run must drain before the next event. */
  woken(task: SimTask | undefined): void {
    this.woke = true;
    if (task === undefined) return;
    if (--task.waits === 0 && !task.done) {
      this.unblocked++;
      task.resumedAtMs = this.nowMs;
    }
  }

  /** True while events are queued. */
  get pending(): number {
    return this.heap.size;
  }

  /**
   * Run events in order until simulated time reaches `untilMs` (events at
   * exactly `untilMs` run), or `stop()` returns true. After every event that
   * woke a task, the microtask queue drains before the next one (see the
   * header), so async code runs at the simulated instant its promise
   * settled. Rejects with `SimTaskStuckError` if a task is left waiting on
   * something else, and with whatever an event throws.
   */
  runUntil(untilMs: number, stop?: () => boolean): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let stepsToClockCheck = CLOCK_CHECK_STEPS;
      let yieldAtMs = performance.now() + YIELD_EVERY_MS;
      const step = (): void => {
        try {
          // The microtask queue is empty here: every live task is blocked.
          if (this.unblocked > 0) throw this.stuckError();
          if (--stepsToClockCheck === 0) {
            stepsToClockCheck = CLOCK_CHECK_STEPS;
            const wallMs = performance.now();
            if (wallMs >= yieldAtMs) {
              // Every task is blocked on a promise only this scheduler settles, so
              // what the event loop runs meanwhile cannot change the history.
              yieldAtMs = wallMs + YIELD_EVERY_MS;
              setImmediate(step);
              return;
            }
          }
          const r = this.runEvents(untilMs, stop);
          if (r === RunStop.Woke) {
            this.wakesRun++;
            void RESOLVED.then(drain);
            return;
          }
          if (r === RunStop.Drained && this.nowMs < untilMs && !stop?.()) this.nowMs = untilMs;
          resolve();
        } catch (err) {
          reject(err);
        }
      };
      // Queued from a microtask, the tick runs once runMicrotasks() has emptied the queue.
      const drain = (): void => process.nextTick(step);
      void RESOLVED.then(drain);
    });
  }

  /**
   * The synchronous part of `runUntil`: run events until one that woke a
   * task, until `stop()`, or until no event is due by `untilMs`. A plain
   * loop, so the hot path is not an async function's resumable frame.
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
      this.woke = false;
      if (this.profile === null) fn(top.arg);
      else timed(fn, top.arg, this.profile);
      if (this.woke) return RunStop.Woke;
    }
  }

  private stuckError(): SimTaskStuckError {
    for (const t of this.live) if (t.waits === 0) return new SimTaskStuckError(t.label, t.resumedAtMs);
    return new SimTaskStuckError("a task", this.nowMs);
  }
}

/** Runs one event and adds its wall time to its kind's. */
function timed(fn: (arg: never) => void, arg: unknown, profile: EventProfile): void {
  const t0 = performance.now();
  try {
    fn(arg as never);
  } finally {
    const ms = performance.now() - t0;
    const kind = profile.classify(fn, arg);
    const k = profile.byKind.get(kind);
    if (k === undefined) profile.byKind.set(kind, { events: 1, ms });
    else {
      k.events++;
      k.ms += ms;
    }
  }
}

/** Why `runEvents` returned. */
const RunStop = {
  /** `stop()` returned true. */
  Stopped: 0,
  /** No event is due by the limit. */
  Drained: 1,
  /** The event just run settled a timeline promise. */
  Woke: 2,
} as const;
type RunStop = (typeof RunStop)[keyof typeof RunStop];

/** Real time, for process mode: the same interface on setTimeout. */
export class RealTimeline implements Timeline {
  private readonly startMs = performance.now();
  private readonly timers = new Set<NodeJS.Timeout>();

  now(): number {
    return performance.now() - this.startMs;
  }
  at(atMs: number, fn: () => void): TimerHandle;
  at<A>(atMs: number, fn: (arg: A) => void, arg: A): TimerHandle;
  at(atMs: number, fn: (arg: unknown) => void, arg?: unknown): TimerHandle {
    return this.after(atMs - this.now(), fn, arg);
  }
  after(delayMs: number, fn: () => void): TimerHandle;
  after<A>(delayMs: number, fn: (arg: A) => void, arg: A): TimerHandle;
  after(delayMs: number, fn: (arg: unknown) => void, arg?: unknown): TimerHandle {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn(arg);
    }, Math.max(0, delayMs));
    this.timers.add(t);
    return { cancel: () => (clearTimeout(t), this.timers.delete(t)) };
  }
  sleep(delayMs: number): Promise<void> {
    return new Promise((resolve) => this.after(delayMs, resolve));
  }
  wait<T>(): Wait<T> {
    let resolve!: (value: T) => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  }
  spawn<T>(label: string, body: (task: SimTask) => Promise<T>): Promise<T> {
    return body(new SimTask(label));
  }
  /** Cancel every pending timer (end of run). */
  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
