/**
 * Loads a client factory from a module path (`--client`), so a retrying
 * client other than the reference (a student's, or a known-bad one) runs
 * the workload under the same faults. The module must export
 * `createClient(options)` returning an object with the reference client's
 * `execute(op)`, `clientId` and `nextSeq`.
 */
import { loadModuleFunction } from "@dslab/cluster";
import { KvClient, type ClientOptions } from "@dslab/client";

export type ClientFactory = (options: ClientOptions) => KvClient;

export const referenceClient: ClientFactory = (options) => new KvClient(options);

export async function loadClient(modulePath: string): Promise<ClientFactory> {
  return (await loadModuleFunction("--client", modulePath, "createClient", "(options)")) as unknown as ClientFactory;
}
