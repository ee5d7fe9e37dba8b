export { createKvNodeCore, KvNode, validateClientRequest, type KvNodeState, NODE_DEFAULTS, nodeSchemas, raftSchemas } from "./core.js";
