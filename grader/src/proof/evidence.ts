// Reads exactly-once evidence from a pasted log. Pure.
//
// What the reference components print, and how each line is read:
//   server  `n2 | [dedup] client 42 seq 5 is duplicate, returning cached result`  -> duplicate
//   server  `[dedup] client 42 seq 3 is stale (last applied seq 5), refused`      -> request (refused)
//   client  `client_id=42 seq=5 attempt=1 node=n1 outcome=timeout(1000ms) ...`   -> request
//   client  `client_id=42 seq=5 attempt=2 node=n2 outcome=append_ok(replayed) ...` -> duplicate
//   client  `client_id=42 seq=5 attempt=1 node=n1 outcome=append_ok ...`         -> acknowledged
//   a student's own node, e.g. `[apply] client 42 seq 5 ...` or `client_id=42 seq=5 applied` -> applied
//   a node program's Maelstrom reply `{"src":"n1","dest":"c1","body":{"type":"write_ok","in_reply_to":2,...}}`
//     -> a reply to client c1 (it names no seq: the node's output does not echo the request)

import { readLines } from "./lines.js";

export type EvidenceKind = "applied" | "acknowledged" | "duplicate" | "request";

export interface EvidenceEvent {
  kind: EvidenceKind;
  client: string;
  seq: number;
  /** 1-based line in the paste. */
  line: number;
  /** Offsets of the line in the paste (UTF-16 code units), for highlighting. */
  start: number;
  end: number;
}

/**
 * A node program's `*_ok` reply to a client, in Maelstrom's JSON form. The
 * request it answers is not in the node's output, so the reply names the
 * client (its `dest`, which the lessons' requests also send as `client_id`)
 * but no seq.
 */
export interface ReplyEvent {
  client: string;
  /** The reply's body type, e.g. `write_ok`. */
  type: string;
  line: number;
  start: number;
  end: number;
}

export interface EvidenceViolation {
  rule: "duplicate-without-original" | "duplicate-unknown-client" | "line-too-long" | "applied-twice" | "seq-not-increasing";
  line: number;
  message: string;
}

/**
 * What a broken rule means for the paste. A (client, seq) applied twice, or
 * applied seqs going backwards, is the bug the lessons are about: the paste
 * shows it, so the proof fails. A duplicate whose original is not in the
 * paste shows no bug: the original may be in a log the student did not paste
 * (another node's, or lines before the selection), so a person looks.
 */
export const RULE_EFFECT: Record<EvidenceViolation["rule"], "fail" | "review"> = {
  "applied-twice": "fail",
  "seq-not-increasing": "fail",
  "duplicate-without-original": "review",
  // A duplicate of a seq whose client cannot be read (`[dedup] client abc seq 5`, a made-up id the
  // reference never prints) cannot be held to the rules; read as no evidence at all, it passed.
  "duplicate-unknown-client": "review",
  // A line over MAX_LINE_CHARS is not read (lines.ts); a `[dedup]` line padded past it
  // still matched the lesson's patterns, and with its evidence unread the paste passed.
  "line-too-long": "review",
};

export interface Evidence {
  events: EvidenceEvent[];
  replies: ReplyEvent[];
  /** Broken rules that fail the proof (RULE_EFFECT "fail"). */
  violations: EvidenceViolation[];
  /** Broken rules that send the proof to review (RULE_EFFECT "review"). */
  toReview: EvidenceViolation[];
  clients: number;
}

// The client: `client_id=42`, `client: c-1`, `"client_id":"alice"` (any id after `=`, `:` or a quote), or
// `client 42` / `client c-1` (after a space the id must hold a digit, so `client sent seq 5` names no client).
const CLIENT = /\bclient(?:[_-]?id)?(?:["']?\s*[:=]\s*["']?([A-Za-z0-9][\w.-]{0,63})|\s+["']([A-Za-z0-9][\w.-]{0,63})|\s+([A-Za-z_.-]{0,16}\d[\w.-]{0,63}))/i;
/** Every client id in a text (the forms of CLIENT), for normalising ids when pastes are compared. */
export const CLIENT_ID_GLOBAL = new RegExp(CLIENT.source, "gi");
// Spaces, then an optional `:` or `=` with spaces after it: written `\s*[:=]?\s*`, a run of spaces
// could be split between the two `\s*` in as many ways as it is long, each tried before failing.
const SEQ = /\bseq(?:uence)?["']?(?:\s*[:=]\s*|\s*)["']?(\d{1,15})\b/i;
const REFUSED = /\bstale\b|\brefused\b|\brejected\b|\bexpired\b/i;
/** What the reference cluster (`is duplicate, returning cached result`) and client (`outcome=append_ok(replayed)`) print for a duplicate. */
const EXACT_DUPLICATE = /\bis duplicate, returning cached result\b|\boutcome=\w+_ok\(replayed\)/i;
const DUPLICATE = /\[dedup\]|\bduplicate\b|\bdeduplicated\b|\(replayed\)|\breplayed\b/i;
// The client saw the operation succeed: `outcome=append_ok` (not replayed).
const ACKNOWLEDGED = /\boutcome=\w+_ok\b(?!\()/i;
const APPLIED = /\[appl(?:y|ied)\]|\bappl(?:y|ied|ies|ying)\b/i;
// "not applied", "refusing to apply", "skipped (not) applying": a line about a request that did not happen.
const NOT_APPLIED = /\b(?:not|never|without|skip\w*|refus\w*|reject\w*)\s+(?:\w+\s+){0,2}appl/i;
// A Maelstrom message: `{"src":..., "dest":..., "body":{...}}` on one line.
const MAELSTROM = /^\s*\{\s*"src"\s*:/;

/** The client a Maelstrom `*_ok` reply line answers, or undefined for any other line. */
export function readReply(line: string): { client: string; type: string } | undefined {
  if (!MAELSTROM.test(line) || !line.includes("in_reply_to")) return undefined;
  let message: unknown;
  try {
    message = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof message !== "object" || message === null) return undefined;
  const { dest, body } = message as { dest?: unknown; body?: unknown };
  if (typeof dest !== "string" || typeof body !== "object" || body === null) return undefined;
  const { type, in_reply_to: inReplyTo } = body as { type?: unknown; in_reply_to?: unknown };
  if (typeof type !== "string" || !/^\w+_ok$/.test(type) || typeof inReplyTo !== "number") return undefined;
  return { client: dest, type };
}

export function classifyLine(line: string): EvidenceKind {
  // The cluster's and the client's own duplicate forms first: a word such as "stale" added to the
  // cluster's line made it a request, and its duplicate escaped the rules while the pattern still matched.
  if (EXACT_DUPLICATE.test(line)) return "duplicate";
  if (REFUSED.test(line)) return "request";
  if (DUPLICATE.test(line)) return "duplicate";
  if (ACKNOWLEDGED.test(line)) return "acknowledged";
  if (APPLIED.test(line) && !NOT_APPLIED.test(line)) return "applied";
  return "request";
}

export function parseEvidence(text: string): Evidence {
  const events: EvidenceEvent[] = [];
  const replies: ReplyEvent[] = [];
  const unreadable: EvidenceViolation[] = [];
  const tooLong = readLines(text, ({ text: line, line: lineNo, start, end }) => {
    const c = /client/i.test(line) ? CLIENT.exec(line) : null;
    const s = c ? SEQ.exec(line) : null;
    if (c && s) events.push({ kind: classifyLine(line), client: (c[1] ?? c[2] ?? c[3])!, seq: Number(s[1]), line: lineNo, start, end });
    else {
      const reply = readReply(line);
      if (reply) replies.push({ ...reply, line: lineNo, start, end });
      else if (!c && classifyLine(line) === "duplicate" && SEQ.test(line)) {
        unreadable.push({
          rule: "duplicate-unknown-client", line: lineNo,
          message: `line ${lineNo}: duplicate of seq ${SEQ.exec(line)![1]}, but its client id cannot be read (the cluster logs \`[dedup] client <id> seq <n>\` with an id of letters, digits, '.', '_' or '-' holding a digit); check the line by hand`,
        });
      }
    }
  });
  if (tooLong) unreadable.push(tooLong);
  const broken = [...checkEvents(events, replies), ...unreadable].sort((a, b) => a.line - b.line);
  return {
    events,
    replies,
    violations: broken.filter((v) => RULE_EFFECT[v.rule] === "fail"),
    toReview: broken.filter((v) => RULE_EFFECT[v.rule] === "review"),
    clients: new Set(events.map((e) => e.client)).size,
  };
}

/**
 * The exactly-once rules, in paste order (RULE_EFFECT says what breaking each means):
 * - a duplicate names a (client, seq) the log shows earlier: applied, acknowledged,
 *   or at least sent (the reference cluster logs no line per application, so the
 *   original attempt, whose reply was lost, is what a log can show); or, in a
 *   node program's output, which never echoes the requests, an earlier `*_ok`
 *   reply to that client (`replies`) answered the original;
 * - no (client, seq) is applied twice by the server;
 * - per client, the seqs the server applies increase.
 */
export function checkEvents(events: readonly EvidenceEvent[], replies: readonly ReplyEvent[] = []): EvidenceViolation[] {
  const seen = new Set<string>(); // "client\0seq" sighted in any form
  const answered = new Set<string>(); // clients a reply was sent to, up to the current line
  let nextReply = 0;
  const applied = new Map<string, number>(); // "client\0seq" -> line of the first application
  const lastSeq = new Map<string, { seq: number; line: number }>();
  const out: EvidenceViolation[] = [];
  for (const e of events) {
    const key = `${e.client}\u0000${e.seq}`;
    while (nextReply < replies.length && replies[nextReply]!.line < e.line) answered.add(replies[nextReply++]!.client);
    if (e.kind === "duplicate") {
      if (!seen.has(key) && !answered.has(e.client)) {
        out.push({
          rule: "duplicate-without-original", line: e.line,
          message: `line ${e.line}: duplicate of client ${e.client} seq ${e.seq}, but the paste shows no earlier request or application of it; check that the original was applied (it may be in a log that was not pasted)`,
        });
      }
    } else if (e.kind === "applied") {
      const first = applied.get(key);
      if (first !== undefined) {
        out.push({
          rule: "applied-twice", line: e.line,
          message: `line ${e.line}: client ${e.client} seq ${e.seq} applied again (first applied on line ${first}); a retry must not be applied twice`,
        });
      } else {
        const prev = lastSeq.get(e.client);
        if (prev && e.seq <= prev.seq) {
          out.push({
            rule: "seq-not-increasing", line: e.line,
            message: `line ${e.line}: client ${e.client} seq ${e.seq} applied after seq ${prev.seq} (line ${prev.line}); seq must increase per client`,
          });
        }
        applied.set(key, e.line);
        if (!prev || e.seq > prev.seq) lastSeq.set(e.client, { seq: e.seq, line: e.line });
      }
    }
    seen.add(key);
  }
  return out;
}
