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
//
// A line is read for every event it holds: each client named with a seq after it (or, on a line
// that names its first seq before its first client, each client with the seqs before it) is an
// event, and so is each further seq of that client (`[apply] client 42 seq 5 applied seq 6
// applied`) that the line does not name as a reference point (`(last applied seq 5)`, `at seq 9`).
// A line of one event is read whole, as above. On a line of several, each event is read from its
// own part of the line (lineEvents), and the line goes to review: two applications joined on one
// line are two applications, not the first one alone.

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
  rule: "duplicate-without-original" | "duplicate-unknown-client" | "line-too-long" | "several-events-on-line" | "applied-twice" | "seq-not-increasing";
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
  // Which words between two events on one line belong to which is read from the line's layout
  // (lineEvents): a reading a person confirms. Its applications are counted all the same.
  "several-events-on-line": "review",
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
const SEQ_GLOBAL = new RegExp(SEQ.source, "gi");
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

/** Any word the kinds are read from: a part of a line that holds one says what its event was. */
function hasKindWord(text: string): boolean {
  return DUPLICATE.test(text) || REFUSED.test(text) || /\boutcome=\w+_ok\b/i.test(text) || APPLIED.test(text);
}

const KIND_RANK: Record<EvidenceKind, number> = { request: 0, acknowledged: 1, duplicate: 2, applied: 3 };

/** Where a part of a line between two events is cut: after its last `;` or `|`, or before its last `[` (a tag such as `[apply]` opens the event after it). -1 when it holds none. */
function cutIn(line: string, from: number, to: number): number {
  for (let i = to - 1; i >= from; i--) {
    const ch = line.charCodeAt(i);
    if (ch === 0x5b /* [ */) return i;
    if (ch === 0x3b /* ; */ || ch === 0x7c /* | */) return i + 1;
  }
  return -1;
}

export interface LineEvent {
  kind: EvidenceKind;
  client: string;
  seq: number;
}

/**
 * Words that name a seq as the reference point of the event before it, not as
 * an event: `(last applied seq 5)`, `expired at seq 9`, `below the last applied
 * seq 7`. Read in at most MENTION_WINDOW characters before the seq, so each seq
 * costs the same however long the line.
 */
const MENTION_BEFORE = /\b(?:last|latest|previous|prev|prior|below|above|than|at|since|until|expected|expecting)\b(?:\s+[a-z]+){0,2}\s*$/i;
const MENTION_WINDOW = 40;

/** The parenthesis depth at the start of each match, in order: one pass over the line. */
function depthsAt(line: string, matches: readonly RegExpMatchArray[]): number[] {
  const out: number[] = [];
  let depth = 0;
  let pos = 0;
  for (const m of matches) {
    for (; pos < m.index!; pos++) {
      const ch = line.charCodeAt(pos);
      if (ch === 0x28 /* ( */) depth++;
      else if (ch === 0x29 /* ) */ && depth > 0) depth--;
    }
    out.push(depth);
  }
  return out;
}

/**
 * The events of a line that holds more than one, in order, each with its own
 * client and seq and the kind its own part of the line reads as; undefined for
 * a line of one event or none (read whole, as classifyLine reads it).
 *
 * An event is a client named with a seq after it, before the next client (on a
 * line whose first seq comes before its first client: a client with the seq
 * before it). Each further seq of the same client is an event of its own
 * (`[apply] client 42 seq 5 applied seq 6 applied` is two applications), unless
 * it is named as the event's reference point: inside parentheses opened after
 * the client's event before it (`seq 3 is stale (last applied seq 5)`), or after
 * `last`, `at`, `below`, `than`, ... (`expired at seq 9`; MENTION_BEFORE). The
 * text between two events is cut at its last `;`, `|` or `[` (after a `;` or
 * `|`, before a `[`: a tag such as `[apply]` opens the event after it): the text
 * before the cut belongs to the event before, the rest to the event after. Text
 * with no such cut is given by the line's layout: to the event after it when a
 * kind word comes before the line's first seq (`applying client 1 seq 1
 * applying client 1 seq 2`, `client 1: applied seq 1, applied seq 2`),
 * otherwise to the event before it (`client_id=1 seq=1 applied client_id=1
 * seq=2 applied`); when the line also ends with one, it is read with both and
 * the reading that says more counts (applied, then duplicate, then
 * acknowledged): a neighbour's `duplicate` does not hide an application.
 * Linear in the line: the clients, the seqs and the parentheses are found in
 * one pass each, each seq's reference words are read in a window of bounded
 * size, and each part of the line is read at most twice.
 */
export function lineEvents(line: string): LineEvent[] | undefined {
  const clients = [...line.matchAll(CLIENT_ID_GLOBAL)];
  if (clients.length === 0) return undefined;
  const seqs = [...line.matchAll(SEQ_GLOBAL)];
  if (seqs.length < 2) return undefined;
  const depth = depthsAt(line, seqs);
  /** Whether seqs[j], after the text from `from`, names a reference point of the event at depth `eventDepth`. */
  const isMention = (j: number, from: number, eventDepth: number) =>
    depth[j]! > eventDepth || MENTION_BEFORE.test(line.slice(Math.max(from, seqs[j]!.index! - MENTION_WINDOW), seqs[j]!.index!));
  // start..end: the event's own words (its client and its seq); at: where its seq is.
  const pairs: { client: string; seq: number; start: number; at: number; end: number }[] = [];
  const endOf = (m: RegExpMatchArray) => m.index! + m[0].length;
  const idOf = (m: RegExpMatchArray) => (m[1] ?? m[2] ?? m[3])!;
  let j = 0;
  if (seqs[0]!.index! < clients[0]!.index!) {
    // The seqs before a client, after the previous one, are its own: the last one always, the others unless reference points.
    let from = 0;
    let anchorDepth = Infinity; // the depth of the last client's own seq; Infinity when it has none
    for (const c of clients) {
      const group: number[] = [];
      while (j < seqs.length && endOf(seqs[j]!) <= c.index!) {
        if (seqs[j]!.index! >= from) group.push(j);
        j++;
      }
      const anchor = group.at(-1);
      anchorDepth = anchor === undefined ? Infinity : depth[anchor]!;
      let textFrom = from;
      for (const g of group) {
        const s = seqs[g]!;
        if (g === anchor || !isMention(g, textFrom, depth[anchor!]!)) pairs.push({ client: idOf(c), seq: Number(s[1]), start: s.index!, at: s.index!, end: g === anchor ? endOf(c) : endOf(s) });
        textFrom = endOf(s);
      }
      from = endOf(c);
    }
    // Seqs after the last client are its further events.
    const last = clients.at(-1)!;
    let eventDepth = anchorDepth;
    let textFrom = from;
    for (; j < seqs.length; j++) {
      if (seqs[j]!.index! < from) continue;
      if (eventDepth === Infinity || !isMention(j, textFrom, eventDepth)) {
        pairs.push({ client: idOf(last), seq: Number(seqs[j]![1]), start: seqs[j]!.index!, at: seqs[j]!.index!, end: endOf(seqs[j]!) });
        eventDepth = depth[j]!;
      }
      textFrom = endOf(seqs[j]!);
    }
  } else {
    for (const [i, c] of clients.entries()) {
      const next = clients[i + 1]?.index ?? line.length;
      while (j < seqs.length && seqs[j]!.index! < endOf(c)) j++;
      // The client's first seq is its event; each seq after it another one, unless a reference point.
      let eventDepth = -1;
      let textFrom = endOf(c);
      for (; j < seqs.length && seqs[j]!.index! < next; j++) {
        const s = seqs[j]!;
        if (eventDepth === -1 || !isMention(j, textFrom, eventDepth)) {
          pairs.push({ client: idOf(c), seq: Number(s[1]), start: eventDepth === -1 ? c.index! : s.index!, at: s.index!, end: endOf(s) });
          eventDepth = depth[j]!;
        }
        textFrom = endOf(s);
      }
    }
  }
  if (pairs.length < 2) return undefined;
  // Where each event's part of the line may begin and end: narrow leaves out an uncut gap, wide takes it in.
  const narrowFrom = pairs.map((p) => p.start);
  const wideFrom = [...narrowFrom];
  const narrowTo = pairs.map((p) => p.end);
  const wideTo = [...narrowTo];
  const cutAfter = pairs.map(() => false);
  narrowFrom[0] = wideFrom[0] = 0;
  narrowTo[pairs.length - 1] = wideTo[pairs.length - 1] = line.length;
  for (let i = 0; i + 1 < pairs.length; i++) {
    const from = pairs[i]!.end;
    const to = pairs[i + 1]!.start;
    const cut = cutIn(line, from, to);
    if (cut !== -1) {
      narrowTo[i] = wideTo[i] = cut;
      narrowFrom[i + 1] = wideFrom[i + 1] = cut;
      cutAfter[i] = true;
    } else {
      wideTo[i] = to;
      wideFrom[i + 1] = from;
    }
  }
  // The layout of each stretch of the line between two cuts (two lines joined with `; ` each keep their own):
  // whether a kind word comes before its first seq, and whether one comes after its last event.
  const head: boolean[] = [];
  const tail: boolean[] = [];
  for (let a = 0, i = 0; i < pairs.length; i++) {
    if (i + 1 < pairs.length && !cutAfter[i]) continue;
    const opens = hasKindWord(line.slice(narrowFrom[a]!, pairs[a]!.at));
    const ends = hasKindWord(line.slice(pairs[i]!.end, narrowTo[i]!));
    for (; a <= i; a++) {
      head.push(opens);
      tail.push(ends);
    }
  }
  return pairs.map((p, i) => {
    let kind: EvidenceKind;
    // A stretch with a kind word before its first seq and none after its last event writes each event's words before it.
    if (head[i] && !tail[i]) kind = classifyLine(line.slice(wideFrom[i], narrowTo[i]));
    else if (!head[i]) kind = classifyLine(line.slice(narrowFrom[i], wideTo[i]));
    else {
      const before = classifyLine(line.slice(narrowFrom[i], wideTo[i]));
      const after = classifyLine(line.slice(wideFrom[i], narrowTo[i]));
      kind = KIND_RANK[before] >= KIND_RANK[after] ? before : after;
    }
    return { kind, client: p.client, seq: p.seq };
  });
}

/** At most this many events of a line are named in its review note; the rest are counted. */
const MAX_EVENTS_NAMED = 4;

/**
 * The review note for a line holding several events, each named as it was
 * read (`applied client 42 seq 5`, `leader n1 term 1`), in the order the line
 * writes them: the same words from either evidence reader.
 */
export function severalEventsOnLine(line: number, events: readonly string[]): { rule: "several-events-on-line"; line: number; message: string } {
  const named = events.slice(0, MAX_EVENTS_NAMED);
  if (events.length > MAX_EVENTS_NAMED) named.push(`and ${events.length - MAX_EVENTS_NAMED} more`);
  return {
    rule: "several-events-on-line", line,
    message: `line ${line} holds ${events.length} events, read as: ${named.join("; ")}. A log prints one event a line: which words between two events belong to which is read from the line's layout, so check the line by hand`,
  };
}

function severalEvents(line: number, events: readonly LineEvent[]): EvidenceViolation {
  return severalEventsOnLine(line, events.map((e) => `${e.kind} client ${e.client} seq ${e.seq}`));
}

export function parseEvidence(text: string): Evidence {
  const events: EvidenceEvent[] = [];
  const replies: ReplyEvent[] = [];
  const unreadable: EvidenceViolation[] = [];
  const tooLong = readLines(text, ({ text: line, line: lineNo, start, end }) => {
    // Most lines name one client and one seq at most: the patterns that find them all run only on the others.
    const several = /client/i.test(line) && (/client[^]*client/i.test(line) || /seq[^]*seq/i.test(line)) ? lineEvents(line) : undefined;
    if (several) {
      for (const e of several) events.push({ kind: e.kind, client: e.client, seq: e.seq, line: lineNo, start, end });
      unreadable.push(severalEvents(lineNo, several));
      return;
    }
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
          message: `line ${e.line}: client ${e.client} seq ${e.seq} applied again (first applied ${first === e.line ? "earlier " : ""}on line ${first}); a retry must not be applied twice`,
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
