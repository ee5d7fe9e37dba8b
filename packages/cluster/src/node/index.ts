export { createKvNodeCore, validateClientRequest, NODE_DEFAULTS, nodeSchemas, raftSchemas } from "./core.js";
