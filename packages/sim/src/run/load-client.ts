/**
 * Loads a client factory from a module path (`--client`), so a retrying
 * client other than the reference (a student's, or a known-bad one) runs
 * the workload under the same faults. The module must export
 * `createClient(options)` returning an object with the reference client's
 * `execute(op)`, `clientId` and `nextSeq`. What the factory returns, and
 * what `execute` resolves to, are checked: a client that breaks that
 * contract (a forgotten `return`) is told as the module's mistake, not as
 * kv-sim's.
 */
import { loadModuleFunction } from "@dslab/cluster";
import { KvClient, type ClientOptions } from "@dslab/client";
import { missingMethods } from "./load-core.js";

export type ClientFactory = (options: ClientOptions) => KvClient;

export const referenceClient: ClientFactory = (options) => new KvClient(options);

/** A client that breaks its contract: `code` tells a command to blame the --client module (a usage error). */
export class ClientContractError extends Error {
  override name = "ClientContractError";
  readonly code = "E_CLIENT_CONTRACT";
}

export async function loadClient(modulePath: string): Promise<ClientFactory> {
  const create = (await loadModuleFunction("--client", modulePath, "createClient", "(options)")) as unknown as ClientFactory;
  return (options) => {
    const client = create(options);
    const missing = missingMethods(client, ["execute"]);
    if (missing !== undefined) throw new ClientContractError(`createClient(options) returned ${missing}; it must return a client with execute(op), clientId and nextSeq`);
    return client;
  };
}

const OUTCOME_FIELD = { ok: "reply", failed: "error", unknown: "lastError" } as const;

/** What is wrong with what a client's `execute(op)` resolved to, or undefined when it is a result the workload can record. */
export function resultProblem(result: unknown): string | undefined {
  if (typeof result !== "object" || result === null) return `execute(op) resolved to ${result === null ? "null" : typeof result === "undefined" ? "undefined" : `a ${typeof result}`}`;
  const r = result as Record<string, unknown>;
  const outcome = r.outcome;
  if (outcome !== "ok" && outcome !== "failed" && outcome !== "unknown") return `execute(op) resolved to a result whose outcome is ${JSON.stringify(outcome)}, not "ok", "failed" or "unknown"`;
  const field = OUTCOME_FIELD[outcome];
  if (typeof r[field] !== "object" || r[field] === null) return `execute(op) resolved to an ${JSON.stringify(outcome)} result without ${field}`;
  if (!Array.isArray(r.log) || typeof r.attempts !== "number") return "execute(op) resolved to a result without its attempt log (log, attempts)";
  return undefined;
}
