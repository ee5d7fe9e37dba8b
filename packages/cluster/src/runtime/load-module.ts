/**
 * Loads a function another module exports, named on a command line: a core
 * (`--core FILE`, a module exporting `createKvNodeCore(config, restored)`)
 * for kv-cluster and kv-sim, or kv-sim's `--client`. A relative path is
 * taken from the current directory, or else from the repository root, which
 * is where the lessons and the replay commands are written from.
 */
import { existsSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { KvNodeCore, NodeConfig, PersistentState } from "../contract.js";

const REPOSITORY_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

/** What `--core FILE` names: a function that makes a node's core, as `createKvNodeCore` does. */
export type CoreFactory = (config: NodeConfig, restored: PersistentState) => KvNodeCore;

/** Where a module path on a command line points (see the header). */
export function resolveModulePath(modulePath: string): string {
  if (isAbsolute(modulePath)) return modulePath;
  const here = resolve(process.cwd(), modulePath);
  if (existsSync(here)) return here;
  const fromRoot = resolve(REPOSITORY_ROOT, modulePath);
  return existsSync(fromRoot) ? fromRoot : here;
}

/**
 * The function `name` that the module at `modulePath` exports. Throws an
 * Error that starts with `option` (`--core: ...`) when the module cannot be
 * loaded, or exports no such function; `signature` shows the call it must take.
 */
export async function loadModuleFunction(option: string, modulePath: string, name: string, signature: string): Promise<(...args: never[]) => unknown> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(resolveModulePath(modulePath)).href)) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${option}: cannot load ${modulePath}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  const fn = mod[name];
  if (typeof fn !== "function") {
    throw new Error(`${option}: ${modulePath} does not export a function ${name}${signature}; it exports ${Object.keys(mod).join(", ") || "nothing"}`);
  }
  return fn as (...args: never[]) => unknown;
}

/** The core factory `--core FILE` names. */
export async function loadCore(modulePath: string): Promise<CoreFactory> {
  return (await loadModuleFunction("--core", modulePath, "createKvNodeCore", "(config, restored)")) as unknown as CoreFactory;
}
