/**
 * The retry policy as a table: each row is one rule, matched in order
 * against what an attempt produced, and reads the protocol's error registry
 * for `definite`/`retryable`/`durable`. The README prints this table;
 * test/policy.test.ts checks every row.
 *
 * What the final answer may claim (`settle` in client.ts):
 * - `unknown` once any attempt may have applied the operation;
 * - else `failed` after a durable refusal (one that covers every copy of
 *   the request: 12, 20, 22, 1001, ...), or when no copy was ever sent;
 * - else `unknown`: every copy that was answered was refused, but a refusal
 *   such as a follower's 11 speaks for that copy alone, and another copy
 *   (a network duplicate, a late replay) may still reach a leader and be
 *   applied after the client has given up.
 */
import { ErrorCode, errorSpec, type Body, type ErrorBody } from "@dslab/protocol";
import type { TransportFailure } from "./transport/transport.js";

/** What one attempt produced. */
export type AttemptResult =
  | { kind: "reply"; body: Body }
  | { kind: "transport"; failure: TransportFailure; message: string };

/**
 * - `succeed`: return `ok` with the reply.
 * - `fail`: stop; `failed` if no attempt may have applied, else `unknown`.
 * - `redirect`: send to the named leader at once: no backoff, not a retry.
 * - `retry-same`: back off, then the same node again (counts as a retry).
 * - `retry-next`: back off, then the next node (counts as a retry).
 */
export type Action = "succeed" | "fail" | "redirect" | "retry-same" | "retry-next";

export type RuleId =
  | "ok"
  | "redirect"
  | "no-leader"
  | "malformed"
  | "definite-final"
  | "definite-transient"
  | "indefinite-error"
  | "indefinite-final"
  | "timeout"
  | "disconnected"
  | "refused";

export interface RetryRule {
  id: RuleId;
  /** What the attempt produced, for people. */
  when: string;
  action: Action;
  /** Whether this attempt may have applied the operation. */
  mayHaveApplied: boolean;
}

/** The table, in match order. */
export const RETRY_RULES: readonly RetryRule[] = [
  { id: "ok", when: "an `*_ok` reply (fresh, or `replayed` from the session)", action: "succeed", mayHaveApplied: true },
  {
    id: "redirect",
    when: "error 11 with `leader` naming a reachable node, redirect budget left",
    action: "redirect",
    mayHaveApplied: false,
  },
  {
    id: "no-leader",
    when: "error 11 without `leader` (or naming an unreachable node, or the redirect budget is spent)",
    action: "retry-next",
    mayHaveApplied: false,
  },
  { id: "malformed", when: "error 12 malformed-request: never retried", action: "fail", mayHaveApplied: false },
  {
    id: "definite-final",
    when: "any other definite, non-retryable error (1, 10, 20, 21, 22, 1000-1003, 1007)",
    action: "fail",
    mayHaveApplied: false,
  },
  {
    id: "definite-transient",
    when: "a definite, retryable error (14 abort, 30 txn-conflict, 1004 in flight)",
    action: "retry-same",
    mayHaveApplied: false,
  },
  {
    id: "indefinite-error",
    when: "an indefinite error (0 timeout, 13 crash, any unregistered code)",
    action: "retry-next",
    mayHaveApplied: true,
  },
  {
    id: "indefinite-final",
    when: "an indefinite, non-retryable error (1005 applied but reply gone, 1006 session unknown)",
    action: "fail",
    mayHaveApplied: true,
  },
  { id: "timeout", when: "no reply within the attempt timeout", action: "retry-next", mayHaveApplied: true },
  {
    id: "disconnected",
    when: "the connection broke after the request was written",
    action: "retry-next",
    mayHaveApplied: true,
  },
  {
    id: "refused",
    when: "the connection was refused: the request never left",
    action: "retry-next",
    mayHaveApplied: false,
  },
];

const ruleById = new Map(RETRY_RULES.map((r) => [r.id, r]));

export function rule(id: RuleId): RetryRule {
  const r = ruleById.get(id);
  if (!r) throw new Error(`assertion: no retry rule ${id}`);
  return r;
}

export interface ClassifyContext {
  /** Whether a redirect to this node can be followed (it is known to the client or transport). */
  canReach(node: string): boolean;
  /** Redirects this operation may still follow without backing off. */
  redirectsLeft: number;
}

export function isErrorBody(body: Body): body is ErrorBody {
  return body.type === "error" && typeof body.code === "number";
}

/** Match an attempt's result against the table. */
export function classify(result: AttemptResult, ctx: ClassifyContext): RetryRule {
  if (result.kind === "transport") return rule(result.failure);
  const body = result.body;
  if (!isErrorBody(body)) return rule("ok");
  if (body.code === ErrorCode.TemporarilyUnavailable) {
    const leader = body.leader;
    if (typeof leader === "string" && leader !== "" && ctx.redirectsLeft > 0 && ctx.canReach(leader)) return rule("redirect");
    return rule("no-leader");
  }
  if (body.code === ErrorCode.MalformedRequest) return rule("malformed");
  const spec = errorSpec(body.code);
  if (!spec.definite) return rule(spec.retryable ? "indefinite-error" : "indefinite-final");
  return spec.retryable ? rule("definite-transient") : rule("definite-final");
}

/**
 * Whether this attempt put a copy of the request on the network, where it
 * may be duplicated or delivered late. A reply proves a copy arrived, except
 * one the transport made up locally for a request it could not send
 * (`not_sent`); a refused connection sent nothing.
 */
export function leftACopy(result: AttemptResult): boolean {
  return result.kind === "reply" ? result.body.not_sent !== true : result.failure !== "refused";
}

/**
 * Whether an error settles the operation as definitely not applied: the
 * registry calls it durable (every copy of the request gets it).
 */
export function isDurableRefusal(error: ErrorBody): boolean {
  return errorSpec(error.code).durable;
}

/**
 * Transport failures as error bodies, so every outcome carries one error
 * shape. A timeout or a broken connection is error 0 (indefinite); a refused
 * connection is error 11 (definite: nothing was sent).
 */
export function transportErrorBody(failure: TransportFailure, node: string, message: string): ErrorBody {
  const code = failure === "refused" ? ErrorCode.TemporarilyUnavailable : ErrorCode.Timeout;
  return { type: "error", code, text: `${node}: ${message}`, transport: failure };
}
