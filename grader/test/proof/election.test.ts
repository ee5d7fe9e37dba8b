import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { checkElection, parseElection, type ElectionViolation, type Leadership } from "../../src/proof/election.js";

/** The leader-change rule as the README states it, read literally: for each exit, the node's last earlier leadership, then any later leader of another node for a higher term. */
function literalRule(leaders: readonly Leadership[], stopped: readonly { node: string; line: number }[]): ElectionViolation["rule"] | undefined {
  if (leaders.length === 0) return "no-leader";
  let killed = false;
  for (const s of stopped) {
    const led = leaders.filter((l) => l.node === s.node && l.line < s.line).at(-1);
    if (!led) continue;
    killed = true;
    if (leaders.some((l) => l.line > s.line && l.node !== s.node && l.term > led.term)) return undefined;
  }
  return killed ? "no-new-leader" : "no-leader-stopped";
}

const logLine = fc.oneof(
  fc.tuple(fc.constantFrom("n1", "n2", "n3", "n4"), fc.integer({ min: 1, max: 5 })).map(([n, t]) => `${n} | became leader for term ${t}`),
  fc.constantFrom("n1", "n2", "n3", "n4").map((n) => `cluster | ${n} exited (SIGKILL)`),
  fc.constant("n1 | election timeout: asking for pre-votes for term 1"),
);

describe("leader-change: a leader exits and another node leads a higher term after it", () => {
  test("the verdict on any log is the rule read literally (each exit against every leader)", () => {
    fc.assert(
      fc.property(fc.array(logLine, { maxLength: 30 }), (lines) => {
        const el = parseElection(lines.join("\n"));
        const verdict = el.violations.map((v) => v.rule).filter((r) => r !== "two-leaders-in-term");
        const exits = lines.flatMap((l, i) => (/ exited/.test(l) ? [{ node: l.split(" ")[2]!, line: i + 1 }] : []));
        const expected = literalRule(el.leaders, exits);
        expect(verdict).toEqual(expected === undefined ? [] : [expected]);
      }),
      { numRuns: 2000 },
    );
  });

  test("a log's verdict is the same with some of its lines joined by a space: each leader and exit of a line is read where it is written", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(logLine, fc.constantFrom("\n", " ")), { maxLength: 30 }), (lines) => {
        const apart = lines.map(([l]) => l).join("\n");
        const joined = lines.map(([l, sep], i) => (i === 0 ? l : `${sep}${l}`)).join("");
        const verdict = (text: string) => {
          const el = parseElection(text);
          return { rules: el.violations.map((v) => v.rule), leaders: el.leaders.map((l) => [l.node, l.term]), stopped: el.stopped.map((x) => x.node) };
        };
        expect(verdict(joined)).toEqual(verdict(apart));
      }),
      { numRuns: 2000 },
    );
  });

  test("two leaders of a term written on one line are both read: the second is not hidden by joining the lines", () => {
    const el = parseElection("n2 | became leader for term 2 n3 | became leader for term 2\ncluster | n2 exited");
    expect(el.leaders.map((l) => [l.node, l.term, l.line])).toEqual([["n2", 2, 1], ["n3", 2, 1]]);
    expect(el.violations.map((v) => v.rule)).toContain("two-leaders-in-term");
  });

  test("an exit written on the same line as a leader event is read with it, in the order the line gives them", () => {
    // n1 is elected and killed on one line; n2 leads a higher term after it: the change the lesson asks for.
    const joined = parseElection("n1 | became leader for term 1 cluster | n1 exited (SIGKILL)\nn2 | became leader for term 2");
    expect(joined.leaders.map((l) => [l.node, l.term, l.line])).toEqual([["n1", 1, 1], ["n2", 2, 2]]);
    expect(joined.stopped).toEqual([{ node: "n1", line: 1 }]);
    expect(joined.violations).toEqual([]);
    // The exit before the election on the line is not the leader stopping: n1 was not leading when it exited.
    const before = parseElection("cluster | n1 exited (SIGKILL) n1 | became leader for term 1\nn2 | became leader for term 2");
    expect(before.stopped).toEqual([{ node: "n1", line: 1 }]);
    expect(before.violations.map((v) => [v.rule, v.line])).toEqual([["no-leader-stopped", 2]]);
    // The next leader on the line of the exit comes after it.
    const sameLine = parseElection("n1 | became leader for term 1\ncluster | n1 exited (SIGKILL) n2 | became leader for term 2");
    expect(sameLine.violations).toEqual([]);
    // Every exit of the line is read, beside a leader or not.
    expect(parseElection("cluster | n1 exited cluster | n2 exited").stopped).toEqual([{ node: "n1", line: 1 }, { node: "n2", line: 1 }]);
  });

  test("a line of several leader or exit events goes to review, naming the line and its events in the order it writes them, as a line of several exactly-once events does", () => {
    const el = parseElection("n3 | became candidate for term 1\nn1 | became leader for term 1 cluster | n1 exited (SIGKILL)\nn2 | became leader for term 2");
    expect(el.toReview).toEqual([
      {
        rule: "several-events-on-line", line: 2,
        message: "line 2 holds 2 events, read as: leader n1 term 1; exit n1. A log prints one event a line: which words between two events belong to which is read from the line's layout, so check the line by hand",
      },
    ]);
    // The verdict is the same as with the lines apart: n1 led, exited, and n2 leads a higher term after it.
    expect(el.violations).toEqual([]);
    const five = parseElection("cluster | n1 exited cluster | n2 exited n3 | became leader for term 4 cluster | leader is now n3 (term 4) cluster | n3 exited");
    expect(five.toReview.map((r) => r.message)).toEqual([
      "line 1 holds 5 events, read as: exit n1; exit n2; leader n3 term 4; leader n3 term 4; and 1 more. A log prints one event a line: which words between two events belong to which is read from the line's layout, so check the line by hand",
    ]);
  });

  test("a log of one event a line, the real cluster's, has nothing to review", () => {
    const log = ["n1 | became leader for term 1", "cluster | leader is now n1 (term 1)", "cluster | n1 exited (SIGKILL). Restart it with: npm run kv-cluster -- node --id n1", "n2 | became leader for term 2"].join("\n");
    expect(parseElection(log)).toMatchObject({ violations: [], toReview: [] });
  });

  test("a node killed as a follower, restarted, elected and killed again is a leader that stopped: the next leader after it is the change", () => {
    const log = [
      "cluster | n1 exited (SIGKILL). Restart it with: npm run kv-cluster -- node --id n1",
      "n1 | became leader for term 1",
      "cluster | n1 exited (SIGKILL). Restart it with: npm run kv-cluster -- node --id n1",
      "n3 | became leader for term 2",
    ].join("\n");
    const el = parseElection(log);
    expect(el.stopped).toEqual([{ node: "n1", line: 1 }]);
    expect(el.violations).toEqual([]);
    expect(parseElection(log.split("\n").slice(0, 3).join("\n")).violations.map((v) => [v.rule, v.line])).toEqual([["no-new-leader", 3]]);
  });

  test("16 MB of long runs without spaces, of pipes, and a leader and an exit after such runs, is read in time linear in each line", () => {
    const runs = ["a".repeat(4000), "|".repeat(4000), `n1 |${"|".repeat(4000)}`];
    const lines = [...Array.from({ length: 4000 }, (_, i) => runs[i % runs.length]!), `${"x".repeat(4000)} became leader for term 1`, `${"|".repeat(4000)}x exited`];
    const el = parseElection(lines.join("\n"));
    expect(el.leaders.map((l) => [l.node, l.term, l.line])).toEqual([["x".repeat(4000), 1, 4001]]);
    expect(el.stopped).toEqual([{ node: `${"|".repeat(3999)}x`, line: 4002 }]);
  });

  test("leader and exit lines are read as the cluster writes them, whatever spaces (tabs, no-break spaces) and pipes they hold", () => {
    const JS_LEADER = /(\S+)\s*\|?\s+became leader for term (\d{1,15})\b|\bleader is now (\S+) \(term (\d{1,15})\)/;
    const JS_EXITED = /\|\s*(\S+) exited\b/;
    const piece = fc.constantFrom("n1", "n2", "|", " ", "\t", "\u00a0", "\u2028", "\u3000", "\v", "became leader for term ", "leader is now ", "(term ", ")", "1", "2", "x", " exited", "é");
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }).map((p) => p.join("")), (line) => {
        const el = parseElection(line);
        const all = [...line.matchAll(new RegExp(JS_LEADER.source, "g"))].map((l) => [l[1] ?? l[3], Number(l[2] ?? l[4])] as const);
        const exits = [...line.matchAll(new RegExp(JS_EXITED.source, "g"))].map((e) => e[1]!);
        expect(el.leaders.map((x) => [x.node, x.term])).toEqual(all.filter(([n, t], i) => all.findIndex(([n2, t2]) => n2 === n && t2 === t) === i));
        expect(el.stopped.map((x) => x.node)).toEqual(exits.filter((n, i) => exits.indexOf(n) === i));
      }),
      { numRuns: 5000 },
    );
  });

  test("a paste of 16,000 leaders and 16,000 exits with no leader after its node's exit is judged: no new leader", () => {
    // n<i> leads term i, then every node exits: each exit has a leader before it and none after.
    const lines: string[] = [];
    for (let i = 1; i <= 16_000; i++) lines.push(`n${i} | became leader for term ${i}`);
    for (let i = 1; i <= 16_000; i++) lines.push(`cluster | n${i} exited`);
    const el = parseElection(lines.join("\n"));
    expect(el.leaders).toHaveLength(16_000);
    expect(el.violations).toEqual([
      { rule: "no-new-leader", line: 16_001, message: "line 16001: n1, leader of term 1, exited, but no other node becomes leader for a higher term after it; paste the election that follows" },
    ]);
  });

  test("200,000 leaders and exits, the new leader after the last exit only, are judged: the paste shows the change", () => {
    // n<i> leads term 2i + 2; the nodes exit from the highest term down; m then leads term 3, higher only than the last one's.
    const n = 200_000;
    const leaders: Leadership[] = Array.from({ length: n }, (_, i) => ({ node: `n${i}`, term: 2 * i + 2, line: i + 1 }));
    const stopped = Array.from({ length: n }, (_, i) => ({ node: `n${n - 1 - i}`, line: n + i + 1 }));
    leaders.push({ node: "m", term: 3, line: 2 * n + 1 });
    expect(checkElection(leaders, stopped)).toEqual([]);
    leaders.pop();
    expect(checkElection(leaders, stopped).map((v) => v.rule)).toEqual(["no-new-leader"]);
  });
});
