/**
 * One exploration: a path of states from the model's initial state, a
 * position on it, and the trace file loaded (if any). No IO: the server
 * (server.ts) turns requests into these calls and `snapshot()` into JSON.
 *
 * - Taking an event at the position cuts the path after the position and
 *   appends the new state (as a browser's history does); back and forward
 *   move along the path. Forward at the path's end takes the trace's next
 *   event while the path still follows the trace.
 * - A trace is replayed event by event when loaded: each event must be
 *   enabled where it comes (compared as stable JSON), else the replay stops
 *   there and says why; the path is the trace's states, the position its
 *   start.
 * - The path is bounded (`maxPathLength` states), and every state in it is
 *   plain data from the model's `step`, which never changes a state it is
 *   given, so going back is reading an older entry.
 */
import { fnv1a64, stableStringify, type Model } from "../search/index.js";
import { GENERIC_VIEW } from "./generic-view.js";
import type { ExploreTrace } from "./trace-file.js";
import type { Column, EventSubject, ExploreScenario, ExploreView } from "./types.js";
import { TimeLimitError, withTimeLimit } from "./time-limit.js";

/** A refused request: the HTTP status and a sentence that says what to do. */
export class ExploreError extends Error {
  override readonly name = "ExploreError";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface EnabledEvent {
  index: number;
  /** Stable: a hash of the event's canonical JSON. */
  id: string;
  /** deliver, duplicate, drop, fire, or the event's own `kind`. */
  action: string;
  /** The model's line for what taking it does. */
  line: string;
  subject?: EventSubject;
}

interface PathEntry {
  state: unknown;
  /** The event that led here (none for the initial state) and its line. */
  event?: unknown;
  line?: string;
  violation: { invariant: string; message: string } | null;
  /** The enabled events, computed when first shown. */
  enabled?: { event: unknown; info: EnabledEvent }[];
}

interface LoadedTrace {
  name: string;
  trace: ExploreTrace;
  /** Events of the trace replayed (all of them unless it stopped). */
  replayed: number;
  stoppedAt?: { step: number; line: string; reason: string };
}

export interface ColumnView extends Column {
  /** Field keys whose value differs from the state before (the same column one step back). */
  changed: string[];
}

export interface SessionSnapshot {
  scenario: string;
  source?: string;
  shape: unknown;
  position: number;
  pathLength: number;
  maxPathLength: number;
  /** The events along the path, one line each (path[0] is the initial state, so step i led to state i). */
  path: { step: number; line: string; violated: boolean }[];
  trace: null | {
    name: string;
    lines: string[];
    length: number;
    violation?: { invariant: string; message: string };
    replayed: number;
    stoppedAt?: { step: number; line: string; reason: string };
    /** How many leading steps of the path are the trace's. */
    followed: number;
    /** True while the path up to the position is the trace's. */
    onTrace: boolean;
  };
  /** The enabled event that forward takes (the path's next step, or the trace's next event), if any. */
  forwardId?: string;
  columns: ColumnView[];
  events: EnabledEvent[];
  invariants: { name: string; holds: boolean; message?: string }[];
  /** The first invariant broken in this state, with its sentence. */
  violation: { invariant: string; message: string } | null;
  predicates: { name: string; holds: boolean }[];
  canBack: boolean;
  canForward: boolean;
  /** The raw state, for the page's "plain data" view. */
  state: unknown;
}

export interface SessionLimits {
  /** States kept on the path (the initial state included). */
  maxPathLength: number;
  /** How long one call into the scenario's model (a step, the enabled events) may run before it is stopped. */
  maxCallMs: number;
}

export const SESSION_DEFAULTS: SessionLimits = { maxPathLength: 10_000, maxCallMs: 5_000 };

function eventAction(event: unknown): string {
  const kind = (event as { kind?: unknown } | null)?.kind;
  return typeof kind === "string" ? kind : "take";
}

/** What went wrong in a call into the model: "threw RangeError: ...", or "ran for more than ..." when stopped. */
function failure(e: unknown): string {
  if (e instanceof TimeLimitError) return e.message;
  return `threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
}

function threw(what: string, e: unknown): ExploreError {
  return new ExploreError(500, `${what} ${failure(e)}`);
}

/** The model with each call into the code under test stopped after `limitMs`; everything else is the model's own. */
function timeLimited(model: Model<unknown, unknown>, limitMs: number): Model<unknown, unknown> {
  const limited = <A extends unknown[], R>(f: (...args: A) => R) => (...args: A): R => withTimeLimit(() => f(...args), limitMs);
  return Object.assign(Object.create(model) as Model<unknown, unknown>, {
    initial: limited(() => model.initial()),
    events: limited((s: unknown) => model.events(s)),
    step: limited((s: unknown, e: unknown) => model.step(s, e)),
    describe: limited((e: unknown, s: unknown, next: unknown) => model.describe(e, s, next)),
    invariants: Object.fromEntries(Object.entries(model.invariants).map(([name, check]) => [name, limited(check)])),
  });
}

export class ExploreSession {
  private model!: Model<unknown, unknown>;
  private shape: unknown;
  private view!: ExploreView<unknown, unknown>;
  private path: PathEntry[] = [];
  private position = 0;
  private loaded: LoadedTrace | undefined;
  /** Leading steps of the path that are the trace's events. */
  private followed = 0;

  constructor(
    private readonly scenario: ExploreScenario,
    private readonly limits: SessionLimits = SESSION_DEFAULTS,
    shape?: unknown,
  ) {
    this.open(shape);
    this.path = [this.entry(this.initial())];
  }

  private open(shape: unknown): void {
    const opened = this.scenario.open(shape);
    this.model = timeLimited(opened.model, this.limits.maxCallMs);
    this.shape = opened.shape;
    this.view = opened.view ?? GENERIC_VIEW;
  }

  private initial(): unknown {
    try {
      return this.model.initial();
    } catch (e) {
      throw threw("the scenario's initial state", e);
    }
  }

  private violationOf(state: unknown): { invariant: string; message: string } | null {
    for (const [name, check] of Object.entries(this.model.invariants)) {
      const message = check(state);
      if (message !== null) return { invariant: name, message };
    }
    return null;
  }

  private entry(state: unknown, event?: unknown, line?: string): PathEntry {
    return { state, event, line, violation: this.violationOf(state) };
  }

  private enabled(entry: PathEntry): { event: unknown; info: EnabledEvent }[] {
    if (entry.enabled) return entry.enabled;
    let events: unknown[];
    try {
      events = this.model.events(entry.state);
    } catch (e) {
      throw threw("listing the enabled events", e);
    }
    entry.enabled = events.map((event, index) => {
      let line: string;
      try {
        line = this.model.describe(event, entry.state, this.model.step(entry.state, event));
      } catch (e) {
        line = `(this event's step ${e instanceof TimeLimitError ? e.message : `threw ${e instanceof Error ? e.message : String(e)}`})`;
      }
      const subject = this.view.subject?.(event, entry.state);
      const info: EnabledEvent = { index, id: fnv1a64(stableStringify(event)), action: subject?.action ?? eventAction(event), line, ...(subject ? { subject } : {}) };
      return { event, info };
    });
    return entry.enabled;
  }

  /** Appends the state after `event` (enabled at the position), cutting the path after the position, and moves to it. */
  private append(event: unknown): void {
    if (this.position + 1 >= this.limits.maxPathLength) {
      throw new ExploreError(409, `the path holds at most ${this.limits.maxPathLength} states; step back or reset`);
    }
    const here = this.path[this.position]!;
    let next: unknown;
    let line: string;
    try {
      next = this.model.step(here.state, event);
      line = this.model.describe(event, here.state, next);
    } catch (e) {
      throw threw("the event's step", e);
    }
    this.path.length = this.position + 1;
    this.followed = Math.min(this.followed, this.position);
    this.path.push(this.entry(next, event, line));
    this.position++;
  }

  /** `append`, keeping count of the steps that are still the trace's. */
  private follow(event: unknown): void {
    const at = this.position;
    const l = this.loaded;
    const traceEvent = l !== undefined && this.followed === at && at < l.replayed ? l.trace.events[at] : undefined;
    this.append(event);
    if (traceEvent !== undefined && stableStringify(traceEvent) === stableStringify(event)) this.followed = at + 1;
  }

  /** Takes the enabled event with this index or id. */
  take(choice: { index?: number; id?: string }): void {
    const enabled = this.enabled(this.path[this.position]!);
    const found =
      choice.id !== undefined ? enabled.find((e) => e.info.id === choice.id) : choice.index !== undefined ? enabled[choice.index] : undefined;
    if (found === undefined) {
      const asked = choice.id !== undefined ? `id ${JSON.stringify(choice.id)}` : `index ${String(choice.index)}`;
      throw new ExploreError(409, `no enabled event with ${asked} in this state (${enabled.length} enabled: indexes 0 to ${enabled.length - 1})`);
    }
    this.follow(found.event);
  }

  back(): void {
    if (this.position === 0) throw new ExploreError(409, "already at the initial state");
    this.position--;
  }

  /** The next state on the path, or the trace's next event while the path follows the trace. */
  forward(): void {
    if (this.position + 1 < this.path.length) {
      this.position++;
      return;
    }
    const next = this.nextTraceEvent();
    if (next === undefined) throw new ExploreError(409, "nothing ahead: take an event, or load a trace");
    this.follow(next);
  }

  /** The trace's next event as the model lists it here, while the path up to the position is the trace's. */
  private nextTraceEvent(): unknown {
    const l = this.loaded;
    if (l === undefined || this.followed !== this.position || this.position >= l.replayed) return undefined;
    const wanted = stableStringify(l.trace.events[this.position]);
    return this.enabled(this.path[this.position]!).find((e) => stableStringify(e.event) === wanted)?.event;
  }

  goto(position: number): void {
    if (!Number.isInteger(position) || position < 0 || position >= this.path.length) {
      throw new ExploreError(400, `position: expected an integer from 0 to ${this.path.length - 1}, got ${JSON.stringify(position)}`);
    }
    this.position = position;
  }

  /** Back to the initial state: the trace's whole path again when one is loaded, else the initial state alone. */
  reset(): void {
    if (this.loaded) this.replay(this.loaded);
    else this.path = [this.entry(this.initial())];
    this.position = 0;
  }

  /** The trace's path again, at the last state the path shared with it. */
  rejoin(): void {
    if (!this.loaded) throw new ExploreError(409, "no trace is loaded");
    const at = Math.min(this.position, this.followed);
    this.replay(this.loaded);
    this.position = Math.min(at, this.path.length - 1);
  }

  /** Loads a trace of this scenario (its shape may differ from the one explored now): the path becomes its states, at the start. */
  loadTrace(trace: ExploreTrace, name: string): void {
    if (trace.scenario !== this.scenario.name) {
      throw new ExploreError(422, `the trace is of scenario ${JSON.stringify(trace.scenario)}, and this explorer runs ${JSON.stringify(this.scenario.name)}: start npm run kv-sim -- explore --trace FILE for it`);
    }
    const before = { model: this.model, shape: this.shape, view: this.view };
    try {
      this.open(trace.shape);
    } catch (e) {
      throw new ExploreError(422, `the trace's shape: ${(e as Error).message}`);
    }
    const unknown = trace.invariants.filter((n) => !(n in this.model.invariants));
    if (unknown.length > 0) {
      Object.assign(this, before);
      throw new ExploreError(422, `the trace checks ${unknown.join(", ")}, which this scenario does not have (it has ${Object.keys(this.model.invariants).join(", ")})`);
    }
    const loaded: LoadedTrace = { name, trace, replayed: 0 };
    this.replay(loaded);
    this.loaded = loaded;
    this.position = 0;
  }

  private replay(l: LoadedTrace): void {
    this.path = [this.entry(this.initial())];
    this.position = 0;
    this.followed = 0;
    delete l.stoppedAt;
    l.replayed = 0;
    for (const [i, event] of l.trace.events.entries()) {
      const wanted = stableStringify(event);
      const here = this.path[this.position]!;
      let match: unknown;
      try {
        match = this.model.events(here.state).find((e) => stableStringify(e) === wanted);
      } catch (e) {
        l.stoppedAt = { step: i + 1, line: l.trace.lines[i] ?? wanted, reason: threw("listing the enabled events", e).message };
        break;
      }
      if (match === undefined) {
        l.stoppedAt = { step: i + 1, line: l.trace.lines[i] ?? wanted, reason: "this event is not enabled here: the code under test behaves differently from the code that made the trace" };
        break;
      }
      try {
        this.append(match);
        l.replayed = i + 1;
      } catch (e) {
        l.stoppedAt = { step: i + 1, line: l.trace.lines[i] ?? wanted, reason: (e as Error).message };
        break;
      }
    }
    this.followed = this.path.length - 1;
    this.position = 0;
  }

  snapshot(): SessionSnapshot {
    const here = this.path[this.position]!;
    const enabled = this.enabled(here).map((e) => e.info);
    const columns = this.columnsOf(here.state);
    const before = this.position > 0 ? new Map(this.columnsOf(this.path[this.position - 1]!.state).map((c) => [c.id, c])) : undefined;
    const withChanges: ColumnView[] = columns.map((c) => {
      const old = before?.get(c.id);
      const changed = before === undefined ? [] : Object.keys(c.fields).filter((k) => old === undefined || stableStringify(old.fields[k]) !== stableStringify(c.fields[k]));
      return { ...c, changed };
    });
    const l = this.loaded;
    const ahead = this.position + 1 < this.path.length ? this.path[this.position + 1]!.event : this.nextTraceEvent();
    const forwardId = ahead === undefined ? undefined : fnv1a64(stableStringify(ahead));
    return {
      scenario: this.scenario.name,
      ...(this.scenario.source !== undefined ? { source: this.scenario.source } : {}),
      shape: this.shape,
      position: this.position,
      pathLength: this.path.length,
      maxPathLength: this.limits.maxPathLength,
      path: this.path.slice(1).map((p, i) => ({ step: i + 1, line: p.line ?? "", violated: p.violation !== null })),
      trace:
        l === undefined
          ? null
          : {
              name: l.name,
              lines: l.trace.lines.length === l.trace.events.length ? l.trace.lines : l.trace.events.map((e, i) => l.trace.lines[i] ?? stableStringify(e)),
              length: l.trace.events.length,
              ...(l.trace.violation ? { violation: l.trace.violation } : {}),
              replayed: l.replayed,
              ...(l.stoppedAt ? { stoppedAt: l.stoppedAt } : {}),
              followed: this.followed,
              onTrace: this.position <= this.followed,
            },
      ...(forwardId !== undefined ? { forwardId } : {}),
      columns: withChanges,
      events: enabled,
      invariants: Object.entries(this.model.invariants).map(([name, check]) => {
        const message = check(here.state);
        return message === null ? { name, holds: true } : { name, holds: false, message };
      }),
      violation: here.violation,
      predicates: Object.entries(this.model.predicates).map(([name, p]) => ({ name, holds: p(here.state) })),
      canBack: this.position > 0,
      canForward: this.position + 1 < this.path.length || this.nextTraceEvent() !== undefined,
      state: here.state,
    };
  }

  private columnsOf(state: unknown): Column[] {
    try {
      return this.view.columns(state);
    } catch (e) {
      throw threw("the scenario's view", e);
    }
  }
}
