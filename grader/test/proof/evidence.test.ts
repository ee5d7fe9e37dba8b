import { describe, expect, test } from "vitest";
import { parseEvidence } from "../../src/proof/evidence.js";

describe("parseEvidence: reading (client, seq) pairs", () => {
  test.each([
    ["[apply] client 42 seq 5 append k1", { kind: "applied", client: "42", seq: 5 }],
    ["client_id=c-7 seq=3 applied at index 9", { kind: "applied", client: "c-7", seq: 3 }],
    ['{"client_id":"18446744073709551615","seq":12,"msg":"applied"}', { kind: "applied", client: "18446744073709551615", seq: 12 }],
    ["node n2 committed client: 9, sequence: 4", { kind: "applied", client: "9", seq: 4 }],
    ["[dedup] client 42 seq 5 is duplicate, returning cached result", { kind: "duplicate", client: "42", seq: 5 }],
    ["CLIENT 42 SEQ 5 DEDUPLICATED", { kind: "duplicate", client: "42", seq: 5 }],
  ])("%s", (line, expected) => {
    expect(parseEvidence(line).events).toEqual([{ ...expected, line: 1, start: 0, end: line.length }]);
  });

  test.each([
    "clients 3 seq 4 applied",
    "client sent seq 5, applied",
    "client 42 seq 5 not applied: session expired",
    "refusing to apply client 42 seq 5",
    "client 42 seq 5 rejected, never committed",
  ])("%s is not an applied event", (line) => {
    expect(parseEvidence(line).events).toEqual([]);
  });

  test.each([
    ["client: alice seq: 3 applied", "alice"],
    ["client 'bob' seq 3 applied", "bob"],
    ["client c7 seq 3 applied", "c7"],
  ])("%s names client %s", (line, client) => {
    expect(parseEvidence(line).events[0]).toMatchObject({ kind: "applied", client, seq: 3 });
  });

  test("request and retry lines are counted as mentions, not as applied", () => {
    const ev = parseEvidence("client 42 sending seq 5\nclient 42 timeout on seq 5, retrying\nno pair here");
    expect(ev.events).toEqual([]);
    expect(ev.mentions).toBe(2);
  });
});

describe("parseEvidence: the exactly-once rules", () => {
  test("a duplicate of a request applied earlier is fine", () => {
    const ev = parseEvidence("[apply] client 1 seq 1\n[apply] client 1 seq 2\n[dedup] client 1 seq 2 is duplicate, returning cached result");
    expect(ev.violations).toEqual([]);
    expect(ev.clients).toBe(1);
  });

  test("a duplicate must name a (client, seq) the log shows applied before", () => {
    const ev = parseEvidence("[dedup] client 1 seq 2 is duplicate, returning cached result\n[apply] client 1 seq 2");
    expect(ev.violations).toEqual([
      { rule: "duplicate-not-applied", line: 1, message: "line 1: duplicate of client 1 seq 2, but the log never shows that request applied before" },
    ]);
  });

  test("a duplicate of another client's seq does not count", () => {
    const ev = parseEvidence("[apply] client 1 seq 2\n[dedup] client 3 seq 2 is duplicate, returning cached result");
    expect(ev.violations.map((v) => v.rule)).toEqual(["duplicate-not-applied"]);
  });

  test("the same (client, seq) applied twice is the bug the lesson is about", () => {
    const ev = parseEvidence("[apply] client 1 seq 2\nretrying\n[apply] client 1 seq 2");
    expect(ev.violations).toEqual([
      { rule: "applied-twice", line: 3, message: "line 3: client 1 seq 2 applied again (first applied on line 1); a retry must not be applied twice" },
    ]);
  });

  test("seq increases per client; clients are independent", () => {
    const ev = parseEvidence("[apply] client 1 seq 5\n[apply] client 2 seq 1\n[apply] client 1 seq 3");
    expect(ev.violations).toEqual([
      { rule: "seq-not-increasing", line: 3, message: "line 3: client 1 seq 3 applied after seq 5 (line 1); seq must increase per client" },
    ]);
  });

  test("lines longer than 4096 characters are not read as log lines", () => {
    expect(parseEvidence(`[apply] client 1 seq 1 ${"x".repeat(5000)}`).events).toEqual([]);
  });
});
