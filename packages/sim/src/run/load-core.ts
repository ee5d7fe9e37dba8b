/**
 * Loads a KvNodeCore factory from a module path (`--core`), so a core other
 * than the reference (a student's) runs under the same simulation. The
 * module must export `createKvNodeCore(config, restored)`; kv-cluster loads
 * `--core` the same way. What the factory returns is checked at each call: a
 * factory that returns no core (a forgotten `return`) is the module's
 * mistake, told as one, not a node that never comes up.
 */
import { loadCore as loadCoreFactory, shownPath, type CoreFactory } from "@dslab/cluster";

export async function loadCore(modulePath: string): Promise<CoreFactory> {
  const create = await loadCoreFactory(modulePath);
  return (config, restored) => {
    const core = create(config, restored);
    const missing = missingMethods(core, ["tick", "receive", "status"]);
    if (missing !== undefined) throw new Error(`--core: ${shownPath(modulePath)}: createKvNodeCore(config, restored) returned ${missing}; it must return a core with tick(nowMs), receive(message, nowMs) and status()`);
    return core;
  };
}

/** What is wrong with `value` as an object with these methods ("undefined", "an object without receive"), or undefined when nothing is. */
export function missingMethods(value: unknown, methods: readonly string[]): string | undefined {
  if (value === null || value === undefined) return String(value);
  if (typeof value !== "object" && typeof value !== "function") return `a ${typeof value}`;
  const absent = methods.filter((m) => typeof (value as Record<string, unknown>)[m] !== "function");
  return absent.length === 0 ? undefined : `an object without ${absent.join(", ")}`;
}
