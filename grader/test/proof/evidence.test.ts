import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { parseEvidence, RULE_EFFECT } from "../../src/proof/evidence.js";

describe("parseEvidence: reading (client, seq) pairs", () => {
  test.each([
    // The reference cluster (packages/cluster state machine) and client (packages/client attempt log).
    ["n2 | [dedup] client 42 seq 5 is duplicate, returning cached result", { kind: "duplicate", client: "42", seq: 5 }],
    ["n2 | [dedup] client 42 seq 3 is stale (last applied seq 5), refused", { kind: "request", client: "42", seq: 3 }],
    ["n1 | [session] client 42 seq 6 refused: its session expired", { kind: "request", client: "42", seq: 6 }],
    ["client_id=18446744073709551615 seq=7 attempt=1 node=n1 outcome=timeout(1000ms) action=retry-next backoff_ms=97 t_ms=1000", { kind: "request", client: "18446744073709551615", seq: 7 }],
    ["client_id=2903 seq=7 attempt=3 node=n3 outcome=append_ok(replayed) action=succeed backoff_ms=0 t_ms=1104", { kind: "duplicate", client: "2903", seq: 7 }],
    ["client_id=2903 seq=8 attempt=1 node=n3 outcome=incr_ok action=succeed backoff_ms=0 t_ms=3", { kind: "acknowledged", client: "2903", seq: 8 }],
    // A student's own node.
    ["[apply] client 42 seq 5 append k1", { kind: "applied", client: "42", seq: 5 }],
    ["client_id=c-7 seq=3 applied at index 9", { kind: "applied", client: "c-7", seq: 3 }],
    ['{"client_id":"alice","seq":12,"msg":"applied"}', { kind: "applied", client: "alice", seq: 12 }],
    ["client: alice seq: 3 applied", { kind: "applied", client: "alice", seq: 3 }],
    ["client 'bob' seq 3 applied", { kind: "applied", client: "bob", seq: 3 }],
    ["CLIENT C7 SEQUENCE 4 DEDUPLICATED", { kind: "duplicate", client: "C7", seq: 4 }],
    ["client 42 seq 5 not applied: session expired", { kind: "request", client: "42", seq: 5 }],
    ["refusing to apply client 42 seq 5", { kind: "request", client: "42", seq: 5 }],
    ["client 42 sending seq 5", { kind: "request", client: "42", seq: 5 }],
    // The cluster's and the client's duplicate forms stay duplicates whatever else the line says.
    ["n2 | [dedup] client 42 seq 5 is duplicate, returning cached result (not stale)", { kind: "duplicate", client: "42", seq: 5 }],
    ["client_id=2903 seq=7 attempt=3 node=n3 outcome=append_ok(replayed) action=succeed note=refused", { kind: "duplicate", client: "2903", seq: 7 }],
  ])("%s", (line, expected) => {
    expect(parseEvidence(line).events).toEqual([{ ...expected, line: 1, start: 0, end: line.length }]);
  });

  test.each(["clients 3 seq 4 applied", "client sent seq 5, applied", "no pair here", `[apply] client 1 seq 1 ${"x".repeat(5000)}`])(
    "%s names no (client, seq) pair",
    (line) => {
      expect(parseEvidence(line).events).toEqual([]);
    },
  );
});

describe("parseEvidence: the exactly-once rules", () => {
  test("the reference lost-reply proof holds: attempt, dedup line, replayed reply", () => {
    const ev = parseEvidence([
      "client_id=42 seq=5 attempt=1 node=n1 outcome=timeout(1000ms) action=retry-next backoff_ms=97 t_ms=1000",
      "n1 | [dedup] client 42 seq 5 is duplicate, returning cached result",
      "client_id=42 seq=5 attempt=2 node=n1 outcome=append_ok(replayed) action=succeed backoff_ms=0 t_ms=1104",
    ].join("\n"));
    expect(ev.violations).toEqual([]);
    expect(ev.events.map((e) => e.kind)).toEqual(["request", "duplicate", "duplicate"]);
  });

  test("a duplicate of a request applied earlier is fine", () => {
    expect(parseEvidence("[apply] client 1 seq 2\n[dedup] client 1 seq 2 is duplicate, returning cached result").violations).toEqual([]);
  });

  test("a duplicate that names no (client, seq) the paste shows earlier is sent to review, not counted as a violation", () => {
    const ev = parseEvidence("[dedup] client 1 seq 2 is duplicate, returning cached result\n[apply] client 1 seq 2");
    expect(ev.violations).toEqual([]);
    expect(ev.toReview).toEqual([
      {
        rule: "duplicate-without-original", line: 1,
        message: "line 1: duplicate of client 1 seq 2, but the paste shows no earlier request or application of it; check that the original was applied (it may be in a log that was not pasted)",
      },
    ]);
  });

  test("a duplicate of another client's seq has no original in the paste", () => {
    const ev = parseEvidence("[apply] client 1 seq 2\n[dedup] client 3 seq 2 is duplicate, returning cached result");
    expect(ev.toReview.map((v) => v.rule)).toEqual(["duplicate-without-original"]);
  });

  test.each([
    "[dedup] client abc seq 5 is duplicate, returning cached result",
    "[dedup] client \u00fc seq 5 is duplicate, returning cached result",
    "[dedup] client \u001b[2Jx seq 5 is duplicate, returning cached result",
    "[dedup] seq 5 is duplicate, returning cached result",
  ])("a duplicate of a seq whose client id cannot be read is sent to review: %j", (line) => {
    const ev = parseEvidence(`retrying\n${line}`);
    expect(ev.violations).toEqual([]);
    expect(ev.toReview).toEqual([
      {
        rule: "duplicate-unknown-client", line: 2,
        message: "line 2: duplicate of seq 5, but its client id cannot be read (the cluster logs `[dedup] client <id> seq <n>` with an id of letters, digits, '.', '_' or '-' holding a digit); check the line by hand",
      },
    ]);
  });

  test("a line too long to read as a log line is sent to review, once for all of them, not skipped in silence", () => {
    const long = `[dedup] client 42 seq 5 is duplicate, returning cached result${" ".repeat(5000)}x`;
    const ev = parseEvidence(`retrying\n${long}\n${"y".repeat(4097)}`);
    expect(ev.events).toEqual([]);
    expect(ev.violations).toEqual([]);
    expect(ev.toReview).toEqual([
      {
        rule: "line-too-long", line: 2,
        message: "line 2 (and 1 more) is over 4,096 characters, longer than a log line: not read for evidence; check it by hand",
      },
    ]);
  });

  test.each([
    ["applied-twice", "fail"],
    ["seq-not-increasing", "fail"],
    ["duplicate-without-original", "review"],
    ["duplicate-unknown-client", "review"],
    ["line-too-long", "review"],
  ] as const)("breaking %s means %s", (rule, effect) => {
    expect(RULE_EFFECT[rule]).toBe(effect);
  });

  test("the same (client, seq) applied twice is the bug the lesson is about", () => {
    const ev = parseEvidence("[apply] client 1 seq 2\nretrying\n[apply] client 1 seq 2");
    expect(ev.violations).toEqual([
      { rule: "applied-twice", line: 3, message: "line 3: client 1 seq 2 applied again (first applied on line 1); a retry must not be applied twice" },
    ]);
  });

  test("a client acknowledgement next to the server's application is not a second application", () => {
    const ev = parseEvidence("[apply] client 1 seq 2\nclient_id=1 seq=2 attempt=1 node=n1 outcome=write_ok action=succeed backoff_ms=0 t_ms=4");
    expect(ev.violations).toEqual([]);
  });

  test("seq increases per client; clients are independent", () => {
    const ev = parseEvidence("[apply] client 1 seq 5\n[apply] client 2 seq 1\n[apply] client 1 seq 3");
    expect(ev.violations).toEqual([
      { rule: "seq-not-increasing", line: 3, message: "line 3: client 1 seq 3 applied after seq 5 (line 1); seq must increase per client" },
    ]);
  });
});

describe("parseEvidence: reading time", () => {
  test("48 MB of `seq` followed by 4,000 spaces is read in time linear in each line: requests with no seq", () => {
    const ev = parseEvidence(Array.from({ length: 12_000 }, () => `client 1 seq${" ".repeat(4000)}x`).join("\n"));
    expect(ev.events).toEqual([]);
    expect(ev.toReview).toEqual([]);
  });

  test("a seq is read as `seq`, an optional quote, spaces around an optional `:` or `=`, an optional quote, then digits", () => {
    const SEQ_AS_WRITTEN = /\bseq(?:uence)?["']?\s*[:=]?\s*["']?(\d{1,15})\b/i;
    const piece = fc.constantFrom("seq", "sequence", "SEQ", " ", "\t", "\u00a0", ":", "=", '"', "'", "5", "42", "x", "_", "client 7 ");
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 10 }).map((p) => `client 7 ${p.join("")}`), (line) => {
        const s = SEQ_AS_WRITTEN.exec(line);
        expect(parseEvidence(line).events.map((e) => e.seq)).toEqual(s ? [Number(s[1])] : []);
      }),
      { numRuns: 5000 },
    );
  });
});
