/**
 * `kv-sim explore`: a local page to step through a search scenario by hand
 * (deliver, drop, duplicate a message; fire a timer; back and forward) and
 * to walk a trace file from `kv-sim search` to its violation.
 */
export { startExplorer, EXPLORER_DEFAULTS, LOOPBACK, type Explorer, type ExplorerOptions } from "./server.js";
export { ExploreSession, ExploreError, SESSION_DEFAULTS, type SessionSnapshot, type EnabledEvent, type ColumnView } from "./session.js";
export { openScenario, checkShape, shapeDefaults, EXPLORE_SCENARIOS, SHAPE_MAX, type OpenScenarioOptions } from "./scenario.js";
export { parseTrace, TraceFileError, type ExploreTrace } from "./trace-file.js";
export { genericColumns, GENERIC_VIEW } from "./generic-view.js";
export { dedupView, messageText } from "./dedup-view.js";
export { renderPage } from "./page.js";
export type { Column, EventSubject, ExploreScenario, ExploreView, ModelWithView } from "./types.js";
