/**
 * The attempt log: one line per attempt that a person can paste as proof.
 *
 *   client_id=2903...41 seq=7 attempt=1 node=n1 outcome=timeout(1000ms) action=retry-next backoff_ms=97 t_ms=1000
 *   client_id=2903...41 seq=7 attempt=2 node=n2 outcome=error:11:temporarily-unavailable(leader=n3) action=redirect backoff_ms=0 t_ms=1099
 *   client_id=2903...41 seq=7 attempt=3 node=n3 outcome=append_ok(replayed) action=succeed backoff_ms=0 t_ms=1104
 *
 * Fields are `key=value` without spaces: `t_ms` is when the attempt ended,
 * from the operation's start, in whole milliseconds (a simulated clock may
 * have fractions); `backoff_ms` is the wait before the next
 * attempt (0 when none follows or for a redirect). Reads have `client_id=-
 * seq=-`: a read carries no identity.
 * A node id or client_id that is not one plain token (a node can name any
 * string as its leader) is written quoted, with its white space, control
 * characters, `=`, quotes, parentheses and backslashes as `\uXXXX`, so it
 * cannot add fields to the line; letters of any script stay as they are.
 * `kv` writes each node as its id with its address beside it
 * (`node=n1(127.0.0.1:9001)`), or as its address alone until a reply has
 * shown its id.
 */
import { errorSpec, type Body } from "@dslab/protocol";
import { isErrorBody, type Action, type AttemptResult, type RuleId } from "./policy.js";

export interface AttemptRecord {
  /** The client's id; a read (seq undefined) does not send it, and its line shows `client_id=-`. */
  clientId: string;
  /** Undefined for reads, which carry no identity. */
  seq: number | undefined;
  /** 1-based, counting every request sent (redirects included). */
  attempt: number;
  node: string;
  /** Short outcome text, e.g. `write_ok`, `error:22:precondition-failed`, `timeout(1000ms)`. */
  outcome: string;
  /** The retry-table row the attempt matched. */
  rule: RuleId;
  action: Action | "give-up";
  backoffMs: number;
  /** Ms from the operation's start to the end of this attempt. */
  tMs: number;
}

export function describeResult(result: AttemptResult, timeoutMs: number): string {
  if (result.kind === "transport") {
    return result.failure === "timeout" ? `timeout(${timeoutMs}ms)` : result.failure;
  }
  return describeBody(result.body);
}

export function describeBody(body: Body): string {
  if (isErrorBody(body)) {
    const extra = typeof body.leader === "string" ? `(leader=${token(body.leader)})` : "";
    return `error:${body.code}:${errorSpec(body.code).name}${extra}`;
  }
  return body.replayed === true ? `${body.type}(replayed)` : body.type;
}

/** A value as one token of the line: bare when it is plain, else quoted with every character that could split it escaped. */
function token(value: string): string {
  if (value !== "" && !SPLITS_A_TOKEN.test(value)) return value;
  const escape = (c: string): string => Array.from({ length: c.length }, (_, i) => `\\u${c.charCodeAt(i).toString(16).padStart(4, "0")}`).join("");
  return `"${value.replace(SPLITS_A_TOKEN_ALL, escape)}"`;
}

/** White space, control and format characters, and the characters the line's syntax uses. Letters of any script stay as they are. */
const SPLITS_A_TOKEN = /[\s\p{C}="\\()]/u;
const SPLITS_A_TOKEN_ALL = new RegExp(SPLITS_A_TOKEN.source, "gu");

/**
 * The attempt's line. `address`, when given, is where the node listens, and is
 * written after its id without a space (`node=n1(127.0.0.1:9001)`): the id
 * is a token whose parentheses are escaped, so the field still ends at the
 * first space and the id at the first `(`.
 */
export function formatAttempt(r: AttemptRecord, address?: string): string {
  const node = address === undefined ? token(r.node) : `${token(r.node)}(${address})`;
  return (
    `client_id=${r.seq === undefined ? "-" : token(r.clientId)} seq=${r.seq ?? "-"} attempt=${r.attempt} node=${node} ` +
    `outcome=${r.outcome} action=${r.action} backoff_ms=${r.backoffMs} t_ms=${Math.round(r.tMs)}`
  );
}
