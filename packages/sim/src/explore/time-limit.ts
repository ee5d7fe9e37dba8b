/**
 * A call into the code under test with a time limit. The explorer runs a
 * student's store, vote rules or core on the server's one thread: a step
 * that never returns (an endless loop) would hang every request, and Ctrl-C
 * with them (its handler never runs). Node's vm module can stop a script
 * after a timeout, and what the script calls is stopped with it; so the call
 * is made from a one-line script run with that timeout.
 */
import { Script } from "node:vm";

export class TimeLimitError extends Error {
  override readonly name = "TimeLimitError";
  constructor(readonly limitMs: number) {
    super(`ran for more than ${limitMs} ms without returning, and was stopped: an endless loop?`);
  }
}

const CALL = "__dslabExploreTimedCall";
const script = new Script(`globalThis.${CALL}()`, { filename: "kv-sim-explore-time-limit.js" });

/** Returns `fn()`, or throws TimeLimitError when it runs past `limitMs`. */
export function withTimeLimit<T>(fn: () => T, limitMs: number): T {
  const global = globalThis as Record<string, unknown>;
  const outer = global[CALL];
  global[CALL] = fn;
  try {
    return script.runInThisContext({ timeout: limitMs }) as T;
  } catch (e) {
    if ((e as { code?: string }).code === "ERR_SCRIPT_EXECUTION_TIMEOUT") throw new TimeLimitError(limitMs);
    throw e;
  } finally {
    global[CALL] = outer;
  }
}
