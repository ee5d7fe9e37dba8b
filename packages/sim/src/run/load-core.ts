/**
 * Loads a KvNodeCore factory from a module path (`--core`), so a core other
 * than the reference (a student's) runs under the same simulation. The
 * module must export `createKvNodeCore(config, restored)`; kv-cluster loads
 * `--core` the same way.
 */
export { loadCore } from "@dslab/cluster";
