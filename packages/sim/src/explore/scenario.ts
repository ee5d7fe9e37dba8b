/**
 * Opening a search scenario by name for the explorer: the model from the
 * search's own lookup (`scenarioModel`, every event offered: no reduction),
 * for the shape a trace file gives or the scenario's defaults
 * (`SCENARIO_INFO`, with the command line's overrides), and its view: the
 * model's own (`explore`), else the explorer's view for that scenario, else
 * the generic one. A scenario added to the search appears here with the
 * generic view and no change to this directory.
 */
import { SCENARIO_INFO, scenarioModel, SCENARIOS, type Model, type ScenarioName, type ScenarioPieces, type ScenarioShape } from "../search/index.js";
import { dedupView, type DedupViewShape } from "./dedup-view.js";
import { GENERIC_VIEW } from "./generic-view.js";
import type { ExploreScenario, ExploreView, ModelWithView } from "./types.js";

export const EXPLORE_SCENARIOS: readonly string[] = SCENARIOS;

/** The largest number a shape from outside may hold (a trace file, the command line): the explorer keeps every state of a path in memory. */
export const SHAPE_MAX = 50;

/** The names of a scenario's shape numbers, with their defaults. */
export function shapeDefaults(scenario: ScenarioName): ScenarioShape {
  return Object.fromEntries(Object.entries(SCENARIO_INFO[scenario].shape).map(([name, spec]) => [name, spec.default]));
}

/** Checks a shape from outside field by field; absent fields take `base`, names the scenario does not have are left out. Throws naming the field. */
export function checkShape(scenario: ScenarioName, given: unknown, base: ScenarioShape): ScenarioShape {
  if (given === undefined) return { ...base };
  if (given === null || typeof given !== "object" || Array.isArray(given)) throw new Error("expected an object of numbers");
  const out = { ...base };
  for (const name of Object.keys(SCENARIO_INFO[scenario].shape)) {
    if (!Object.hasOwn(given, name)) continue;
    const value = (given as Record<string, unknown>)[name];
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > SHAPE_MAX) {
      throw new Error(`${name}: expected an integer from 0 to ${SHAPE_MAX}, got ${JSON.stringify(value)}`);
    }
    out[name] = value;
  }
  return out;
}

export interface OpenScenarioOptions {
  scenario: string;
  /** The workbook's pieces the scenario runs (`loadPieces`). */
  pieces: ScenarioPieces;
  /** Where they came from, for the page's header. */
  source: string;
  /** The command line's shape numbers; a trace file's shape replaces them. */
  shape?: Partial<ScenarioShape>;
}

/** The scenario, its shape checked and its model built once (so a shape it refuses is refused here). */
export function openScenario(options: OpenScenarioOptions): ExploreScenario {
  if (!EXPLORE_SCENARIOS.includes(options.scenario)) throw new Error(`no scenario named ${JSON.stringify(options.scenario)} (expected one of ${EXPLORE_SCENARIOS.join(", ")})`);
  const name = options.scenario as ScenarioName;
  const defaults = checkShape(name, options.shape, shapeDefaults(name));
  const build = (shape: ScenarioShape) => {
    const model = scenarioModel(name, options.pieces, shape) as ModelWithView<unknown, unknown>;
    return { model: model as Model<unknown, unknown>, shape, view: viewFor(name, model, shape) };
  };
  build(defaults);
  return { name, source: options.source, open: (given) => build(checkShape(name, given, defaults)) };
}

function viewFor(name: ScenarioName, model: ModelWithView<unknown, unknown>, shape: ScenarioShape): ExploreView<unknown, unknown> {
  if (model.explore !== undefined) return model.explore;
  if (name === "dedup-single") return dedupView(shape as unknown as DedupViewShape) as unknown as ExploreView<unknown, unknown>;
  return GENERIC_VIEW;
}
