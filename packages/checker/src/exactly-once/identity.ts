/**
 * What the exactly-once check needs from a history it did not record itself
 * (a file given to `history-check`): every append and incr invoke carries the
 * request identity, `client_id` and `seq`. Without it a retry (same request
 * sent again) cannot be told from a second request, so a duplicate looks
 * like two writes and a double application can hide. `checkExactlyOnce`
 * itself treats each unidentified call as its own request (the harness's
 * own histories always carry both); a file lacking them gets "unknown"
 * with this reason instead of a verdict on guessed identities.
 */
import type { History, Op } from "../history/op.js";
import { isClientOp } from "../history/op.js";

export interface MissingIdentity {
  /** The first append or incr invoke without both fields. */
  op: Op;
  /** The fields `op` lacks: `client_id`, `seq` or both. */
  fields: string[];
  /** Names the op, its missing fields, and how many writes lack them. */
  message: string;
}

const WRITES = new Set(["append", "incr", "add"]);

/** The first append/incr invoke lacking `client_id` or `seq`, or undefined when every one has both. */
export function missingIdentity(history: History): MissingIdentity | undefined {
  let first: { op: Op; fields: string[] } | undefined;
  let writes = 0;
  let lacking = 0;
  for (const op of history) {
    if (!isClientOp(op) || op.type !== "invoke" || !WRITES.has(op.f)) continue;
    writes++;
    const fields = [...(op.client_id === undefined ? ["client_id"] : []), ...(op.seq === undefined ? ["seq"] : [])];
    if (fields.length === 0) continue;
    lacking++;
    first ??= { op, fields };
  }
  if (first === undefined) return undefined;
  return {
    ...first,
    message:
      `op ${first.op.index}: ${first.op.f} has ${first.fields.map((f) => `no ${f}`).join(" and ")}, which the exactly-once check needs on every append and incr ` +
      `to tell a retry from a second request (${lacking} of ${writes} writes lack them)`,
  };
}
