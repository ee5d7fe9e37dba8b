/**
 * Loads a client factory from a module path (`--client`), so a retrying
 * client other than the reference (a student's, or a known-bad one) runs
 * the workload under the same faults. The module must export
 * `createClient(options)` returning an object with the reference client's
 * `execute(op)`, `clientId` and `nextSeq`.
 */
import { pathToFileURL } from "node:url";
import { resolveModulePath } from "./module-path.js";
import { KvClient, type ClientOptions } from "@dslab/client";

export type ClientFactory = (options: ClientOptions) => KvClient;

export const referenceClient: ClientFactory = (options) => new KvClient(options);

export async function loadClient(modulePath: string): Promise<ClientFactory> {
  const abs = resolveModulePath(modulePath);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(abs).href)) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`--client: cannot load ${modulePath}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  const factory = mod.createClient;
  if (typeof factory !== "function") {
    throw new Error(`--client: ${modulePath} does not export a function createClient(options); it exports ${Object.keys(mod).join(", ") || "nothing"}`);
  }
  return factory as ClientFactory;
}
