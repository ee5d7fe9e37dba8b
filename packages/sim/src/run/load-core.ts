/**
 * Loads a KvNodeCore factory from a module path (`--core`), so a core other
 * than the reference (a student's) runs under the same simulation. The
 * module must export `createKvNodeCore(config, restored)`.
 */
import { pathToFileURL } from "node:url";
import { resolveModulePath } from "./module-path.js";
import type { CoreFactory } from "../inprocess/cluster.js";

export async function loadCore(modulePath: string): Promise<CoreFactory> {
  const abs = resolveModulePath(modulePath);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(abs).href)) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`--core: cannot load ${modulePath}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  const factory = mod.createKvNodeCore;
  if (typeof factory !== "function") {
    throw new Error(`--core: ${modulePath} does not export a function createKvNodeCore(config, restored); it exports ${Object.keys(mod).join(", ") || "nothing"}`);
  }
  return factory as CoreFactory;
}
