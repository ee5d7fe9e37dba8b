export * from "./errors.js";
export * from "./messages.js";
export * from "./schema.js";
export * from "./codec.js";
export * from "./json-depth.js";
export * from "./finite-json.js";
export * from "./prng.js";
export * from "./stable-stringify.js";
