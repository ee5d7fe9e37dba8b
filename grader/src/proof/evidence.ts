// Reads exactly-once evidence from a pasted log: which (client, seq) pairs the
// server applied and which it answered as duplicates. Pure.

export type EvidenceKind = "applied" | "duplicate";

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

export interface EvidenceViolation {
  rule: "duplicate-not-applied" | "applied-twice" | "seq-not-increasing";
  line: number;
  message: string;
}

export interface Evidence {
  events: EvidenceEvent[];
  violations: EvidenceViolation[];
  clients: number;
  /** Lines naming a (client, seq) pair that are neither applied nor duplicate lines (requests, retries). */
  mentions: number;
}

// The client: `client_id=42`, `client: c-1`, `"client_id":"alice"` (any id after `=`, `:` or a quote), or
// `client 42` / `client c-1` (after a space the id must hold a digit, so `client sent seq 5` names no client).
const CLIENT = /\bclient(?:[_-]?id)?(?:["']?\s*[:=]\s*["']?([A-Za-z0-9][\w.-]{0,63})|\s+["']([A-Za-z0-9][\w.-]{0,63})|\s+([A-Za-z_.-]{0,16}\d[\w.-]{0,63}))/i;
const SEQ = /\bseq(?:uence)?["']?\s*[:=]?\s*["']?(\d{1,15})\b/i;
const DUPLICATE = /\[dedup\]|\bduplicate\b|\bdeduplicated\b/i;
const APPLIED = /\[appl(?:y|ied)\]|\bappl(?:y|ied|ies|ying)\b|\bcommitted\b/i;
// "not applied", "refusing to apply", "skipped (not) applying": a line about a request that did not happen.
const NOT_APPLIED = /\b(?:not|never|without|skip\w*|refus\w*|reject\w*)\s+(?:\w+\s+){0,2}(?:appl|commit)/i;
// Lines longer than this are not log lines; skipping them keeps parsing linear and cheap.
const MAX_LINE_CHARS = 4096;

export function parseEvidence(text: string): Evidence {
  const events: EvidenceEvent[] = [];
  let mentions = 0;
  let start = 0;
  let lineNo = 0;
  while (start <= text.length) {
    let end = text.indexOf("\n", start);
    if (end === -1) end = text.length;
    lineNo++;
    const line = text.slice(start, end);
    if (line.length <= MAX_LINE_CHARS && /client/i.test(line)) {
      const c = CLIENT.exec(line);
      const s = c ? SEQ.exec(line) : null;
      if (c && s) {
        const client = (c[1] ?? c[2] ?? c[3])!;
        const kind: EvidenceKind | undefined = DUPLICATE.test(line)
          ? "duplicate"
          : APPLIED.test(line) && !NOT_APPLIED.test(line) ? "applied" : undefined;
        if (kind) events.push({ kind, client, seq: Number(s[1]), line: lineNo, start, end });
        else mentions++;
      }
    }
    start = end + 1;
  }
  return { events, violations: checkEvents(events), clients: new Set(events.map((e) => e.client)).size, mentions };
}

/**
 * The exactly-once rules: a duplicate names a pair applied earlier in the log;
 * no pair is applied twice; per client, applied seqs increase.
 */
export function checkEvents(events: readonly EvidenceEvent[]): EvidenceViolation[] {
  const applied = new Map<string, number>(); // "client\0seq" -> line
  const lastSeq = new Map<string, { seq: number; line: number }>();
  const out: EvidenceViolation[] = [];
  for (const e of events) {
    const key = `${e.client}\u0000${e.seq}`;
    if (e.kind === "duplicate") {
      if (!applied.has(key)) {
        out.push({
          rule: "duplicate-not-applied", line: e.line,
          message: `line ${e.line}: duplicate of client ${e.client} seq ${e.seq}, but the log never shows that request applied before`,
        });
      }
      continue;
    }
    const first = applied.get(key);
    if (first !== undefined) {
      out.push({
        rule: "applied-twice", line: e.line,
        message: `line ${e.line}: client ${e.client} seq ${e.seq} applied again (first applied on line ${first}); a retry must not be applied twice`,
      });
      continue;
    }
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
  return out;
}
