// Reads a leader change from a pasted cluster log. Pure.
//
// What `kv-cluster start` prints, and how each line is read:
//   `n2 | became leader for term 1`, `cluster | leader is now n2 (term 1)`  -> leader n2 of term 1
//   (the simulator's node lines, `n2 became leader for term 1`, read the same)
//   `cluster | n2 exited (SIGKILL). Restart it with: ...`                  -> n2 stopped
//
// The vote-rules lesson asks for a run in which the leader is killed: the
// paste must show a leader, that leader stopping, and another node elected
// for a higher term after it. A log of the first election alone shows none
// of what the lesson is about.

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
}

export interface ElectionEvidence {
  /** Each (node, term) elected, at its first line. */
  leaders: Leadership[];
  /** Each node that exited, at its first line. */
  stopped: { node: string; line: number }[];
  /** Broken rules that fail the proof. */
  violations: ElectionViolation[];
  /** Lines a person checks: lines too long to read, which may hide a leader or an exit. */
  toReview: LineTooLong[];
}

const LEADER = /(\S+)\s*\|?\s+became leader for term (\d{1,15})\b|\bleader is now (\S+) \(term (\d{1,15})\)/;
const EXITED = /\|\s*(\S+) exited\b/;

export function parseElection(text: string): ElectionEvidence {
  const leaders: Leadership[] = [];
  const stopped: { node: string; line: number }[] = [];
  const seenLeader = new Set<string>();
  const seenStopped = new Set<string>();
  const tooLong = readLines(text, ({ text: raw, line }) => {
    const l = LEADER.exec(raw);
    if (l) {
      const node = (l[1] ?? l[3])!;
      const term = Number(l[2] ?? l[4]);
      const key = `${node}\u0000${term}`;
      if (!seenLeader.has(key)) {
        seenLeader.add(key);
        leaders.push({ node, term, line });
      }
      return;
    }
    const e = EXITED.exec(raw);
    if (e && !seenStopped.has(e[1]!)) {
      seenStopped.add(e[1]!);
      stopped.push({ node: e[1]!, line });
    }
  });
  return { leaders, stopped, violations: checkElection(leaders, stopped), toReview: tooLong ? [tooLong] : [] };
}

/**
 * The rules, in paste order:
 * - at most one leader per term;
 * - a leader stops (its `exited` line comes after its `became leader` line);
 * - after it stopped, another node becomes leader for a higher term.
 */
export function checkElection(leaders: readonly Leadership[], stopped: readonly { node: string; line: number }[]): ElectionViolation[] {
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
  // A leader, then its exit, then a leader of a higher term on another node.
  let killed: { leader: Leadership; line: number } | undefined;
  for (const s of stopped) {
    const led = leaders.filter((l) => l.node === s.node && l.line < s.line).at(-1);
    if (!led) continue;
    killed ??= { leader: led, line: s.line };
    const next = leaders.find((l) => l.line > s.line && l.node !== s.node && l.term > led.term);
    if (next) return out;
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
