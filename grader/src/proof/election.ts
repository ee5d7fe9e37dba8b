// Reads a leader change from a pasted cluster log. Pure.
//
// What `kv-cluster start` prints, and how each line is read:
//   `n2 | became leader for term 1`, `cluster | leader is now n2 (term 1)`  -> leader n2 of term 1
//   (the simulator's node lines, `n2 became leader for term 1`, read the same)
//   `cluster | n2 exited (SIGKILL). Restart it with: ...`                  -> n2 stopped
// A line holding several of these (two lines joined) is read for each, in the order it writes them,
// and goes to review as such a line of the exactly-once reader does (several-events-on-line).
//
// The vote-rules lesson asks for a run in which the leader is killed: the
// paste must show a leader, that leader stopping, and another node elected
// for a higher term after it. A log of the first election alone shows none
// of what the lesson is about.

import { RE2JS } from "re2js";
import { severalEventsOnLine } from "./evidence.js";
import { readLines, type LineTooLong } from "./lines.js";

export interface ElectionViolation {
  rule: "no-leader" | "no-leader-stopped" | "no-new-leader" | "two-leaders-in-term";
  /** 1-based line in the paste; 0 when the finding is about the whole paste. */
  line: number;
  message: string;
}

export interface Leadership {
  node: string;
  term: number;
  /** 1-based line in the paste. */
  line: number;
  /** Where on its line the event is written (0-based), for events that share a line; 0 when absent. */
  column?: number;
}

/** A node's exit, where it is written. */
export interface Exit {
  node: string;
  /** 1-based line in the paste. */
  line: number;
  /** Where on its line the exit is written (0-based); 0 when absent. */
  column?: number;
}

/** Whether `a` is written before `b`: on an earlier line, or further left on the same one. */
function precedes(a: { line: number; column?: number }, b: { line: number; column?: number }): boolean {
  return a.line < b.line || (a.line === b.line && (a.column ?? 0) < (b.column ?? 0));
}

export interface ElectionEvidence {
  /** Each (node, term) elected, at its first line. */
  leaders: Leadership[];
  /** Each node that exited, at its first line. */
  stopped: { node: string; line: number }[];
  /** Broken rules that fail the proof. */
  violations: ElectionViolation[];
  /**
   * Lines a person checks: lines too long to read, which may hide a leader or
   * an exit, and lines holding several leader or exit events (two log lines
   * joined), each read where it is written; in line order.
   */
  toReview: (LineTooLong | ReturnType<typeof severalEventsOnLine>)[];
}

// On RE2 (linear time): a backtracking engine tried `(\S+)\s*\|?\s+became` from each character of
// a long run without spaces, and a 1 MB paste of such lines took seconds to read. `\s` and `\S` are
// spelled out as JavaScript's (RE2's \s is ASCII only), so lines read as they always did.
const SPACE = "\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff";
const S = `[${SPACE}]`;
const NS = `[^${SPACE}]`;
const LEADER = RE2JS.compile(`(${NS}+)${S}*\\|?${S}+became leader for term (\\d{1,15})\\b|\\bleader is now (${NS}+) \\(term (\\d{1,15})\\)`);
const EXITED = RE2JS.compile(`\\|${S}*(${NS}+) exited\\b`);

export function parseElection(text: string): ElectionEvidence {
  const leaders: Leadership[] = [];
  const stopped: { node: string; line: number }[] = [];
  const seenLeader = new Set<string>();
  const seenStopped = new Set<string>();
  const exits: Exit[] = [];
  const several: ReturnType<typeof severalEventsOnLine>[] = [];
  const tooLong = readLines(text, ({ text: raw, line }) => {
    // Every event of the line, where it is written, for the review note of a line of several.
    const onLine: { column: number; name: string }[] = [];
    // Every leader and every exit on the line, each where it is written: a second leader of a term,
    // or a leader's exit, is not hidden by joining two lines.
    const l = raw.includes("became leader for term") || raw.includes("leader is now") ? LEADER.matcher(raw) : undefined;
    while (l?.find()) {
      const node = (l.group(1) ?? l.group(3))!;
      const term = Number(l.group(2) ?? l.group(4));
      onLine.push({ column: l.start(), name: `leader ${node} term ${term}` });
      const key = `${node}\u0000${term}`;
      if (!seenLeader.has(key)) {
        seenLeader.add(key);
        leaders.push({ node, term, line, column: l.start() });
      }
    }
    const m = raw.includes(" exited") ? EXITED.matcher(raw) : undefined;
    while (m?.find()) {
      const node = m.group(1)!;
      // Every exit is checked (a node killed as a follower may lead and be killed later); `stopped` counts nodes.
      exits.push({ node, line, column: m.start() });
      onLine.push({ column: m.start(), name: `exit ${node}` });
      if (!seenStopped.has(node)) {
        seenStopped.add(node);
        stopped.push({ node, line });
      }
    }
    if (onLine.length > 1) several.push(severalEventsOnLine(line, onLine.sort((a, b) => a.column - b.column).map((e) => e.name)));
  });
  const toReview: ElectionEvidence["toReview"] = [...several, ...(tooLong ? [tooLong] : [])].sort((a, b) => a.line - b.line);
  return { leaders, stopped, violations: checkElection(leaders, exits), toReview };
}

/**
 * For each i, the highest term among leaders[i..] with its node, and the
 * highest term of a node other than that one (-1 when none): whether a node
 * other than X leads a term above T after i is then one comparison.
 */
function highestTermsFrom(leaders: readonly Leadership[]): { node: string; term: number; otherTerm: number }[] {
  const out = new Array<{ node: string; term: number; otherTerm: number }>(leaders.length + 1);
  out[leaders.length] = { node: "", term: -1, otherTerm: -1 };
  for (let i = leaders.length - 1; i >= 0; i--) {
    const l = leaders[i]!;
    const next = out[i + 1]!;
    if (l.term > next.term) out[i] = { node: l.node, term: l.term, otherTerm: next.node === l.node ? next.otherTerm : next.term };
    else if (l.node !== next.node) out[i] = { ...next, otherTerm: Math.max(next.otherTerm, l.term) };
    else out[i] = next;
  }
  return out;
}

/**
 * The rules, in paste order (`leaders` and `exits` in the order they are written, as parseElection
 * gives them; two events on one line in the order of their columns):
 * - at most one leader per term;
 * - a leader stops (an `exited` line of its node comes after its `became leader` line);
 * - after it stopped, another node becomes leader for a higher term.
 */
export function checkElection(leaders: readonly Leadership[], exits: readonly Exit[]): ElectionViolation[] {
  const out: ElectionViolation[] = [];
  const byTerm = new Map<number, Leadership>();
  for (const l of leaders) {
    const first = byTerm.get(l.term);
    if (first && first.node !== l.node) {
      out.push({
        rule: "two-leaders-in-term", line: l.line,
        message: `line ${l.line}: ${l.node} became leader for term ${l.term}, but ${first.node} already leads term ${l.term} (line ${first.line}); a term has at most one leader`,
      });
    } else if (!first) byTerm.set(l.term, l);
  }
  if (leaders.length === 0) {
    out.push({ rule: "no-leader", line: 0, message: "the paste shows no leader (no `became leader for term N` line); paste the cluster's log of the elections" });
    return out;
  }
  // A leader, then its exit, then a leader of a higher term on another node. One pass over the
  // exits in paste order: each node's latest leadership so far, and, for the leaders after an
  // exit, the highest term and the highest term of any other node. Comparing each exit with every
  // leader instead is quadratic: seconds for a paste of 16,000 leaders and 16,000 exits.
  const after = highestTermsFrom(leaders);
  const latest = new Map<string, Leadership>();
  let before = 0; // leaders[0, before) are above the exit's line
  let from = 0; // leaders[from, ...) are below it
  let killed: { leader: Leadership; line: number } | undefined;
  for (const s of exits) {
    while (before < leaders.length && precedes(leaders[before]!, s)) {
      latest.set(leaders[before]!.node, leaders[before]!);
      before++;
    }
    while (from < leaders.length && !precedes(s, leaders[from]!)) from++;
    const led = latest.get(s.node);
    if (!led) continue;
    killed ??= { leader: led, line: s.line };
    const best = after[from]!;
    const otherTerm = best.node !== s.node ? best.term : best.otherTerm;
    if (otherTerm > led.term) return out;
  }
  if (killed === undefined) {
    const last = leaders.at(-1)!;
    out.push({
      rule: "no-leader-stopped", line: last.line,
      message: `line ${last.line}: ${last.node} leads term ${last.term}, but no leader stops in the paste (no \`cluster | ${last.node} exited\` line after it); kill the leader and paste the log from its election to the next one`,
    });
  } else {
    const { leader, line } = killed;
    out.push({
      rule: "no-new-leader", line,
      message: `line ${line}: ${leader.node}, leader of term ${leader.term}, exited, but no other node becomes leader for a higher term after it; paste the election that follows`,
    });
  }
  return out;
}
