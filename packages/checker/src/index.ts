// @dslab/checker: history model and formats, linearizability and exactly-once
// checkers, HTML timelines.
export * from "./history/op.js";
export * from "./history/pair.js";
export * from "./history/builder.js";
export * from "./formats/edn.js";
export * from "./formats/json.js";
export * from "./formats/parse-error.js";
export * from "./formats/flat-string.js";
export * from "./formats/history-io.js";
export * from "./lin/model.js";
export * from "./lin/multi-register.js";
export * from "./lin/search.js";
export * from "./lin/check.js";
export * from "./exactly-once/check.js";
export * from "./exactly-once/identity.js";
export * from "./render/timeline.js";
export { runCli, EXIT, USAGE } from "./cli/run.js";
