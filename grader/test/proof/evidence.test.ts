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
    // `kv -v` writes a node with its address beside its id, or its address alone before its id is known.
    ["client_id=2903 seq=7 attempt=1 node=127.0.0.1:9001 outcome=timeout(1000ms) action=retry-next backoff_ms=97 t_ms=1000", { kind: "request", client: "2903", seq: 7 }],
    ["client_id=2903 seq=7 attempt=2 node=n3(127.0.0.1:9003) outcome=append_ok(replayed) action=succeed backoff_ms=0 t_ms=1104", { kind: "duplicate", client: "2903", seq: 7 }],
    ["client_id=2903 seq=8 attempt=1 node=n1([::1]:9001) outcome=incr_ok action=succeed backoff_ms=0 t_ms=3", { kind: "acknowledged", client: "2903", seq: 8 }],
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

describe("parseEvidence: a line of several events", () => {
  const rules = (text: string) => parseEvidence(text).violations.map((v) => [v.rule, v.line]);

  test("two applications of the same (client, seq) on one line fail as applied twice, as on two lines", () => {
    const ev = parseEvidence("[apply] client 42 seq 5 applied; [apply] client 42 seq 5 applied");
    expect(ev.events.map((e) => [e.kind, e.client, e.seq, e.line])).toEqual([["applied", "42", 5, 1], ["applied", "42", 5, 1]]);
    expect(ev.violations).toEqual([
      { rule: "applied-twice", line: 1, message: "line 1: client 42 seq 5 applied again (first applied earlier on line 1); a retry must not be applied twice" },
    ]);
  });

  test("two applications written as `client_id=42 seq=5 applied`, joined by a space, fail as applied twice", () => {
    expect(rules("client_id=42 seq=5 applied client_id=42 seq=5 applied")).toEqual([["applied-twice", 1]]);
  });

  test("two applications written verb first (`applying client 42 seq 5`) on one line fail as applied twice", () => {
    expect(rules("applying client 42 seq 5, applying client 42 seq 5")).toEqual([["applied-twice", 1]]);
    expect(rules("applying client 42 seq 5 applying client 42 seq 5")).toEqual([["applied-twice", 1]]);
  });

  test("a second application after a `[dedup]` event on the same line is not hidden by the duplicate", () => {
    const ev = parseEvidence("[apply] client 42 seq 5\n[dedup] client 42 seq 5 is duplicate, returning cached result [apply] client 42 seq 5");
    expect(ev.events.map((e) => e.kind)).toEqual(["applied", "duplicate", "applied"]);
    expect(ev.violations.map((v) => [v.rule, v.line])).toEqual([["applied-twice", 2]]);
  });

  test("an application is not hidden by a refused request after it on the same line", () => {
    expect(rules("[apply] client 42 seq 5 applied; client 42 seq 6 is stale, refused\n[apply] client 42 seq 5")).toEqual([["applied-twice", 2]]);
  });

  test("an application is not hidden by a client acknowledgement after it on the same line", () => {
    expect(rules("[apply] client 42 seq 5 | client_id=42 seq=5 attempt=1 node=n1 outcome=append_ok action=succeed\n[apply] client 42 seq 5")).toEqual([["applied-twice", 2]]);
  });

  test("applied seqs going backwards on one line fail as not increasing", () => {
    expect(rules("[apply] client 42 seq 6; [apply] client 42 seq 5")).toEqual([["seq-not-increasing", 1]]);
  });

  test("a duplicate after another event on the same line is read with its own client and seq", () => {
    const ev = parseEvidence("[apply] client 1 seq 1; [dedup] client 2 seq 7 is duplicate, returning cached result");
    expect(ev.events.map((e) => [e.kind, e.client, e.seq])).toEqual([["applied", "1", 1], ["duplicate", "2", 7]]);
    expect(ev.toReview.map((v) => v.rule)).toContain("duplicate-without-original");
  });

  test("the client's attempt and the cluster's duplicate of it on one line are a request, then its duplicate", () => {
    const ev = parseEvidence("client_id=42 seq=5 attempt=1 node=n1 outcome=timeout(1000ms) action=retry-next n1 | [dedup] client 42 seq 5 is duplicate, returning cached result");
    expect(ev.events.map((e) => [e.kind, e.client, e.seq])).toEqual([["request", "42", 5], ["duplicate", "42", 5]]);
    expect(ev.toReview.map((v) => v.rule)).not.toContain("duplicate-without-original");
  });

  test("every event of a line is read in order: applied, duplicate, acknowledged, request", () => {
    const line = "[apply] client 1 seq 1 [dedup] client 1 seq 1 is duplicate, returning cached result | client_id=3 seq=4 attempt=1 node=n1 outcome=write_ok; client 9 seq 2 refused";
    expect(parseEvidence(line).events).toEqual([
      { kind: "applied", client: "1", seq: 1, line: 1, start: 0, end: line.length },
      { kind: "duplicate", client: "1", seq: 1, line: 1, start: 0, end: line.length },
      { kind: "acknowledged", client: "3", seq: 4, line: 1, start: 0, end: line.length },
      { kind: "request", client: "9", seq: 2, line: 1, start: 0, end: line.length },
    ]);
  });

  test("a line of several events goes to review, naming the line and how its events were read", () => {
    const ev = parseEvidence("retrying\nclient 42 seq 5 received; [apply] client 42 seq 5 applied");
    expect(ev.violations).toEqual([]);
    expect(ev.toReview).toEqual([
      {
        rule: "several-events-on-line", line: 2,
        message: "line 2 holds 2 events, read as: request client 42 seq 5; applied client 42 seq 5. A log prints one event a line: which words between two events belong to which is read from the line's layout, so check the line by hand",
      },
    ]);
  });

  test.each([
    "client 42 seq 5 received; [apply] client 42 seq 5 applied",
    "client 42 seq 5 received [apply] client 42 seq 5 applied",
    "client_id=42 seq=5 applied client_id=42 seq=6 received",
    "[apply] client 42 seq 5 append k1 [dedup] client 42 seq 5 is duplicate, returning cached result",
    "[dedup] client 42 seq 3 is stale (last applied seq 5), refused [dedup] client 42 seq 4 is stale (last applied seq 5), refused",
  ])("a line of one application beside other events is not read as two applications: %s", (line) => {
    expect(rules(`${line}\n[apply] client 42 seq 6`)).toEqual([]);
  });
});

describe("parseEvidence: a line of one client and several seqs", () => {
  const rules = (text: string) => parseEvidence(text).violations.map((v) => [v.rule, v.line]);
  const read = (text: string) => parseEvidence(text).events.map((e) => [e.kind, e.client, e.seq, e.line]);

  test("each seq the client is named with is its own event: two applications of one client on one line are both read", () => {
    expect(read("[apply] client 42 seq 5 applied seq 6 applied")).toEqual([["applied", "42", 5, 1], ["applied", "42", 6, 1]]);
    expect(read("client 42: applied seq 5, applied seq 6")).toEqual([["applied", "42", 5, 1], ["applied", "42", 6, 1]]);
    expect(read("[dedup] client 42 seq 5 is duplicate, returning cached result; [apply] seq 6")).toEqual([["duplicate", "42", 5, 1], ["applied", "42", 6, 1]]);
    expect(read("applied seq 5, applied seq 6 for client 42")).toEqual([["applied", "42", 5, 1], ["applied", "42", 6, 1]]);
  });

  test.each([
    "[apply] client 42 seq 5 applied seq 5 applied",
    "client_id=42 seq=5 applied seq=5 applied",
    "client 42: applied seq 5, applied seq 5",
    "[apply] client 42 seq 5; [apply] seq 5",
    "applying client 42 seq 5, applying seq 5",
    "applied seq 5, applied seq 5 for client 42",
  ])("the same seq applied twice for one client on one line fails as applied twice: %s", (line) => {
    expect(rules(line)).toEqual([["applied-twice", 1]]);
  });

  test("an application missing between two seqs of one line is not hidden: the later line's seq goes backwards", () => {
    expect(rules("[apply] client 42 seq 5 applied seq 7 applied\n[apply] client 42 seq 6")).toEqual([["seq-not-increasing", 2]]);
  });

  test("a line of one client and several events goes to review, naming the line and how its events were read", () => {
    expect(parseEvidence("retrying\n[apply] client 42 seq 5 applied seq 6 applied").toReview).toEqual([
      {
        rule: "several-events-on-line", line: 2,
        message: "line 2 holds 2 events, read as: applied client 42 seq 5; applied client 42 seq 6. A log prints one event a line: which words between two events belong to which is read from the line's layout, so check the line by hand",
      },
    ]);
  });

  test.each([
    ["n2 | [dedup] client 42 seq 3 is stale (last applied seq 5), refused", 3],
    ["n1 | client 42 seq 6 refused: it expired at seq 9", 6],
    ["n1 | client 42 seq 2 refused: its numbering begins at seq 1 (it may be a late copy)", 2],
    ["client c1 seq 5 is below the last applied seq 7; this copy was not applied and never will be", 5],
    ["[apply] client 42 seq 8 applied (after a retry of seq 8)", 8],
  ])("a seq named as the event's reference point (in parentheses, after `last`, `at`, `below`) is not an event of its own: %s", (line, seq) => {
    const ev = parseEvidence(`${line}\n${line}`);
    expect(ev.events.map((e) => [e.client, e.seq, e.line])).toEqual([[line.includes("c1") ? "c1" : "42", seq, 1], [line.includes("c1") ? "c1" : "42", seq, 2]]);
    expect(ev.toReview.map((v) => v.rule)).not.toContain("several-events-on-line");
  });
});

describe("parseEvidence: lines joined with `; ` or ` | `", () => {
  const event = fc.tuple(
    fc.constantFrom(
      "[apply] client C seq S append k1",
      "[dedup] client C seq S is duplicate, returning cached result",
      "n2 | [dedup] client C seq S is duplicate, returning cached result",
      "[dedup] client C seq S is stale (last applied seq 9), refused",
      "client_id=C seq=S attempt=1 node=n1 outcome=timeout(1000ms) action=retry-next",
      "client_id=C seq=S attempt=2 node=n1 outcome=append_ok(replayed) action=succeed",
      "client_id=C seq=S attempt=1 node=n1 outcome=append_ok action=succeed",
      "client_id=C seq=S applied",
      "applying client C seq S",
      "refusing to apply client C seq S",
      // One client and two seqs: two events, or one event and the seq it refers to.
      "[apply] client C seq S applied seq T applied",
      "client_id=C seq=S applied seq=T applied",
      "client C: applied seq S, applied seq T",
      "client C seq S refused: it expired at seq T",
      "client C seq S is below the last applied seq T; this copy was not applied and never will be",
    ),
    fc.constantFrom("1", "2"),
    fc.integer({ min: 1, max: 3 }),
    fc.integer({ min: 1, max: 3 }),
  ).map(([form, c, seq, other]) => form.replace("C", c).replace("S", String(seq)).replace("T", String(other)));
  const reading = (text: string) => {
    const ev = parseEvidence(text);
    return {
      events: ev.events.map((e) => [e.kind, e.client, e.seq]),
      violations: ev.violations.map((v) => v.rule),
      toReview: ev.toReview.map((v) => v.rule).filter((r) => r !== "several-events-on-line"),
    };
  };

  test("read the same events and break the same rules as the lines apart: each event of a line is read with its own words", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(event, fc.constantFrom("\n", "; ", " | ")), { minLength: 1, maxLength: 12 }), (lines) => {
        const apart = lines.map(([l]) => l).join("\n");
        const joined = lines.map(([l, sep], i) => (i === 0 ? l : `${sep}${l}`)).join("");
        expect(reading(joined)).toEqual(reading(apart));
      }),
      { numRuns: 3000 },
    );
  });
});

describe("parseEvidence: reading time", () => {
  test("48 MB of `seq` followed by 4,000 spaces is read in time linear in each line: requests with no seq", () => {
    const ev = parseEvidence(Array.from({ length: 12_000 }, () => `client 1 seq${" ".repeat(4000)}x`).join("\n"));
    expect(ev.events).toEqual([]);
    expect(ev.toReview).toEqual([]);
  });

  test("16 MB of lines of many clients, many seqs or long gaps between two events is read in time linear in each line", () => {
    const shapes = [
      "client 1 ".repeat(440) + "seq 1 seq 2",
      "seq 1 ".repeat(600) + "client 1 client 2",
      `client 1 seq 1 ${"x".repeat(3900)} client 1 seq 2`,
      `applying client 1 seq 1 ${" ".repeat(3900)}client 1 seq 2`,
      `[apply] client 1 seq 1 applied ${"applied ".repeat(480)}client 2 seq 1`,
      `client 1 seq 1 ${"a ".repeat(60)}`.repeat(30),
    ];
    const lines = Array.from({ length: 660 }, () => shapes).flat();
    const ev = parseEvidence(lines.join("\n"));
    expect(ev.toReview.filter((v) => v.rule === "line-too-long")).toEqual([]);
    // Two events on each line of many clients and two seqs after the last one, 600 on the line of 600 seqs and a client after them, 2, 2, 2 and 30 on the rest.
    expect(ev.events).toHaveLength(660 * (2 + 600 + 2 + 2 + 2 + 30));
  });

  test("a seq is read as `seq`, an optional quote, spaces around an optional `:` or `=`, an optional quote, then digits: each one after a client is an event of that client", () => {
    const SEQ_AS_WRITTEN = /\bseq(?:uence)?["']?\s*[:=]?\s*["']?(\d{1,15})\b/i;
    const piece = fc.constantFrom("seq", "sequence", "SEQ", " ", "\t", "\u00a0", ":", "=", '"', "'", "5", "42", "x", "_", "client 7 ");
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 10 }).map((p) => `client 7 ${p.join("")}`), (line) => {
        // The text after each `client 7` up to the next holds that client's seqs, if any.
        const clients = [...line.matchAll(/\bclient 7/g)];
        const seqs = clients.flatMap((c, i) =>
          [...line.slice(c.index + c[0].length, clients[i + 1]?.index ?? line.length).matchAll(new RegExp(SEQ_AS_WRITTEN.source, "gi"))].map((s) => Number(s[1])),
        );
        // One seq on the line: it is the line's first, as a line of one event has always been read.
        if (seqs.length === 1) expect(seqs[0]).toBe(Number(SEQ_AS_WRITTEN.exec(line)![1]));
        expect(parseEvidence(line).events.map((e) => e.seq)).toEqual(seqs);
      }),
      { numRuns: 5000 },
    );
  });
});
