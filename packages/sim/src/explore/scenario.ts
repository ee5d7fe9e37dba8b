/**
 * Opening a search scenario by name for the explorer: the model from the
 * search's own lookup (`scenarioModel`), for the shape a trace file gives or
 * the scenario's defaults (with the command line's overrides), and its view:
 * the model's own (`explore`), else the explorer's view for that scenario,
 * else the generic one. A scenario added to the search appears here with
 * the generic view and no change to this directory.
 */
import { DEDUP_DEFAULTS, scenarioModel, SCENARIOS, type DedupStoreClass, type Model, type ScenarioName } from "../search/index.js";
import { dedupView } from "./dedup-view.js";
import { GENERIC_VIEW } from "./generic-view.js";
import type { ExploreScenario, ExploreView, ModelWithView } from "./types.js";

export const EXPLORE_SCENARIOS: readonly string[] = SCENARIOS;

type Shape = { clients: number; appends: number; maxRetries: number; maxDrops: number; maxDuplicates: number };

/** Bounds on a shape from outside (a trace file, the command line): the explorer keeps every state of a path in memory. */
const SHAPE_MAX: Record<keyof Shape, number> = { clients: 2, appends: 50, maxRetries: 20, maxDrops: 50, maxDuplicates: 50 };

/** Checks a shape from outside field by field; absent fields take `base`. Throws with the field's name. */
export function checkShape(given: unknown, base: Shape): Shape {
  if (given === undefined) return { ...base };
  if (given === null || typeof given !== "object" || Array.isArray(given)) throw new Error("shape: expected an object");
  const out = { ...base };
  for (const [key, value] of Object.entries(given as Record<string, unknown>)) {
    if (!(key in SHAPE_MAX)) continue; // a field another version of the search wrote: not this scenario's
    const k = key as keyof Shape;
    const min = k === "clients" || k === "appends" ? 1 : 0;
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > SHAPE_MAX[k]) {
      throw new Error(`shape.${k}: expected an integer from ${min} to ${SHAPE_MAX[k]}, got ${JSON.stringify(value)}`);
    }
    out[k] = value;
  }
  return out;
}

export interface OpenScenarioOptions {
  scenario: string;
  /** The store class the scenario's server runs (`loadStore`). */
  store: DedupStoreClass;
  /** Its file, for the page's header. */
  storeFile: string;
  /** The command line's shape options; a trace file's shape replaces them. */
  shape?: Partial<Shape>;
}

export function openScenario(options: OpenScenarioOptions): ExploreScenario {
  if (!EXPLORE_SCENARIOS.includes(options.scenario)) throw new Error(`no scenario named ${JSON.stringify(options.scenario)} (expected one of ${EXPLORE_SCENARIOS.join(", ")})`);
  const name = options.scenario as ScenarioName;
  const defaults = checkShape(options.shape, { ...DEDUP_DEFAULTS });
  return {
    name,
    source: options.storeFile,
    open(given) {
      const shape = checkShape(given, defaults);
      const model = scenarioModel(name, options.store, shape) as ModelWithView<unknown, unknown>;
      return { model: model as Model<unknown, unknown>, shape, view: viewFor(name, model, shape) };
    },
  };
}

function viewFor(name: string, model: ModelWithView<unknown, unknown>, shape: Shape): ExploreView<unknown, unknown> {
  if (model.explore !== undefined) return model.explore;
  if (name === "dedup-single") return dedupView(shape) as unknown as ExploreView<unknown, unknown>;
  return GENERIC_VIEW;
}
