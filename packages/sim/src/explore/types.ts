/**
 * What the explorer needs from a scenario: a model (`Model<S,E>` from the
 * search engine) for a shape, and optionally a view that lays its states
 * out as columns and groups its events by what they act on. A scenario
 * without a view is shown by the generic one (views.ts): every top-level
 * part of the state a column, every enabled event a button.
 */
import type { Model } from "../search/index.js";

/** One column of the page: a node, the server, a client, the network. */
export interface Column {
  /** Stable across states (`server`, `c1`, `n2`): the page compares a column with the one before. */
  id: string;
  kind: "node" | "client" | "network" | "world";
  title: string;
  /** A second header line (a role, "done", "waiting for seq 2"). */
  subtitle?: string;
  /** Plain data, rendered as nested key/value tables; the order of the keys is kept. */
  fields: Record<string, unknown>;
}

/** What an enabled event acts on (a message in flight, a client's timer), so its actions are shown together. */
export interface EventSubject {
  /** Equal for the events that act on the same thing. */
  key: string;
  /** A line naming the thing: `c1 -> server: append "c1:2" (client c1 seq 2)`. */
  text: string;
  kind: "message" | "timer" | "other";
  /** The button's word: deliver, duplicate, drop, fire. */
  action: string;
}

export interface ExploreView<S, E> {
  columns(state: S): Column[];
  /** What the event acts on; undefined: the event is listed alone, with its line. */
  subject?(event: E, state: S): EventSubject | undefined;
}

/** A scenario as the explorer opens it: its model for a shape, and its view. */
export interface ExploreScenario<S = unknown, E = unknown> {
  name: string;
  /**
   * The model for `shape` (a trace file's), or for the scenario's defaults
   * when undefined; the shape actually used comes back, with the view (none:
   * the generic one). Throws with a sentence when the shape is not usable.
   */
  open(shape: unknown): { model: Model<S, E>; shape: unknown; view?: ExploreView<S, E> };
  /** Where the code under test came from (a store module's path), shown in the page's header. */
  source?: string;
}

/** A model that carries its own view (a scenario may add one without the explorer changing). */
export type ModelWithView<S, E> = Model<S, E> & { explore?: ExploreView<S, E> };
