import { describe, expect, test } from "vitest";
import { LessonProofConfigError, proofChecker } from "../../src/proof/check.js";
import { decodePaste } from "../../src/proof/input.js";
import { makeLesson, withPatterns } from "../helpers/lessons.js";

const enc = (s: string) => new TextEncoder().encode(s);
const DEDUP = "\\[dedup\\] client \\S+ seq \\d+ is duplicate, returning cached result";
const GOOD = [
  "10:00:01 [apply] client 42 seq 5 append k1 x5",
  "10:00:02 client 42: reply for seq 5 lost, retrying",
  "10:00:03 [dedup] client 42 seq 5 is duplicate, returning cached result",
].join("\n");

describe("proof statuses (the client-retry quest's proof rules)", () => {
  const regexLesson = withPatterns("retry", [DEDUP, "\\bretry(ing)?\\b"]);

  test("every pattern matches and the evidence holds: pass with the lesson's xp", () => {
    const r = proofChecker(regexLesson).check(enc(GOOD));
    expect(r).toMatchObject({ status: "pass", score: 10, maxScore: 10, reasons: [] });
    expect(r.patterns).toEqual([{ source: DEDUP, matched: true, matches: 1 }, { source: "\\bretry(ing)?\\b", matched: true, matches: 1 }]);
    expect(r.evidence).toMatchObject({ applied: 1, duplicates: 1, clients: 1, violations: [] });
  });

  test("patterns are case-insensitive", () => {
    expect(proofChecker(regexLesson).check(enc(GOOD.toUpperCase())).status).toBe("pass");
  });

  test("a pattern that does not match fails, naming the pattern", () => {
    const r = proofChecker(regexLesson).check(enc("[apply] client 42 seq 5\n[dedup] client 42 seq 5 is duplicate, returning cached result"));
    expect(r).toMatchObject({ status: "fail", score: 0, reasons: ["pattern 2 did not match: \\bretry(ing)?\\b"] });
  });

  test("matching patterns with a duplicate whose original is not in the paste pass with a note to review, not fail", () => {
    const r = proofChecker(regexLesson).check(enc("retrying\n[dedup] client 42 seq 5 is duplicate, returning cached result"));
    expect(r).toMatchObject({ status: "pass" });
    expect(r.reasons).toEqual([
      "evidence to review: line 2: duplicate of client 42 seq 5, but the paste shows no earlier request or application of it; check that the original was applied (it may be in a log that was not pasted)",
    ]);
    expect(r.evidence).toMatchObject({ violations: [], toReview: [{ rule: "duplicate-without-original", line: 2 }] });
    const marked = r.highlights.filter((h) => h.kind === "review" || h.kind === "violation");
    expect(marked).toEqual([{ start: 9, end: 70, kind: "review", label: "evidence to review: a person checks this line" }]);
  });

  test("thousands of broken rules give ten reasons of each kind and a count of the rest, not a reason per line (a gradebook cell holds 32,767 characters)", () => {
    const dups = Array.from({ length: 5000 }, (_, i) => `[dedup] client ${i + 1} seq ${i + 1} is duplicate, returning cached result`);
    const applied = Array.from({ length: 30 }, () => "[apply] client 7 seq 1");
    const r = proofChecker(regexLesson).check(enc(["retrying", ...dups, ...applied].join("\n")));
    expect(r.status).toBe("fail");
    const fails = r.reasons.filter((x) => x.startsWith("evidence: "));
    const reviews = r.reasons.filter((x) => x.startsWith("evidence to review: "));
    expect(fails).toHaveLength(11);
    expect(fails.at(-1)).toBe("evidence: and 19 more lines break a rule");
    expect(reviews).toHaveLength(11);
    expect(reviews.at(-1)).toBe("evidence to review: and 4990 more lines to review");
    expect(r.reasons.join("; ").length).toBeLessThan(32_767);
    expect(r.evidence?.toReview).toHaveLength(5000);
  });

  test("a (client, seq) applied twice fails even when every pattern matches", () => {
    const r = proofChecker(regexLesson).check(enc(`${GOOD}\n10:00:04 [apply] client 42 seq 5 append k1 x5`));
    expect(r).toMatchObject({ status: "fail", score: 0 });
    expect(r.reasons).toEqual(["evidence: line 4: client 42 seq 5 applied again (first applied on line 1); a retry must not be applied twice"]);
  });

  test("status manual_or_regex sends what the regexes do not pass to review", () => {
    const lesson = withPatterns("retry", [DEDUP], "manual_or_regex");
    expect(proofChecker(lesson).check(enc(GOOD)).status).toBe("pass");
    const r = proofChecker(lesson).check(enc("I ran it and it worked"));
    expect(r).toMatchObject({ status: "needs-review", score: null });
    expect(r.reasons).toEqual([
      "the regex checks did not pass; sent to review (status: manual_or_regex)",
      `pattern 1 did not match: ${DEDUP}`,
    ]);
  });

  test("a lesson with no patterns sends every paste to review", () => {
    const lesson = makeLesson({ id: "elect", proof: { type: "paste_or_upload", status: "manual_or_regex", regexPatterns: [] } });
    const r = proofChecker(lesson).check(enc(GOOD));
    expect(r).toMatchObject({ status: "needs-review", score: null, reasons: ["lesson elect has no regex patterns; every paste goes to review"] });
  });

  test("status manual sends every paste to review even when the patterns match", () => {
    const r = proofChecker(withPatterns("m", [DEDUP], "manual")).check(enc(GOOD));
    expect(r).toMatchObject({ status: "needs-review", reasons: ["lesson m proofs are graded by hand (status: manual)"] });
  });

  test("a lesson without proof rules sends pastes to review", () => {
    expect(proofChecker(makeLesson({ id: "np" })).check(enc(GOOD)).reasons[0]).toBe("lesson np has no proof rules; every paste goes to review");
  });

  test("a paste that copies the lesson's example log goes to review", () => {
    const lesson = { ...regexLesson, proofExamples: [GOOD.split("\n").slice(0, 2).join("\n"), "one line only"] };
    const r = proofChecker(lesson).check(enc(`  ${GOOD.replace(/\n/g, "  \n")}\none line only`));
    expect(r).toMatchObject({ status: "needs-review", score: null });
    expect(r.reasons).toEqual(["the paste contains the lesson's example log (2 lines) verbatim; a real run has its own ids and times"]);
    expect(proofChecker(lesson).check(enc(GOOD.replace("42", "43"))).reasons).not.toContainEqual(expect.stringContaining("example log"));
  });

  test("highlights cover the regex matches and the evidence lines", () => {
    const r = proofChecker(regexLesson).check(enc(GOOD));
    const kinds = r.highlights.map((h) => `${h.kind}:${GOOD.slice(h.start, h.end)}`);
    expect(kinds).toContain("regex:[dedup] client 42 seq 5 is duplicate, returning cached result");
    expect(kinds).toContain("regex:retrying");
    expect(kinds).toContain("applied:10:00:01 [apply] client 42 seq 5 append k1 x5");
    expect(kinds).toContain("duplicate:10:00:03 [dedup] client 42 seq 5 is duplicate, returning cached result");
  });

  test("a lesson whose patterns RE2 cannot run is a configuration error, not a student failure", () => {
    expect(() => proofChecker(withPatterns("bad", ["(a)\\1"]))).toThrow(LessonProofConfigError);
  });
});

describe("paste bounds", () => {
  const checker = proofChecker(withPatterns("retry", [DEDUP]));

  test("a 50 MB paste is refused from its size alone (no bytes needed), with a reason", () => {
    const r = checker.check(new Uint8Array(0), 50 * 1024 * 1024);
    expect(r).toMatchObject({ status: "fail", reasons: ["paste refused: 52,428,800 bytes is over the limit of 1,048,576 bytes; paste only the relevant log lines"] });
  });

  test("a 50 MB paste in memory is refused on its size before anything scans it", () => {
    // A NUL at the end: a scan would report binary data; the size check comes first.
    const big = new Uint8Array(50 * 1024 * 1024).fill(0x61);
    big[big.length - 1] = 0;
    const r = checker.check(big);
    expect(r.status).toBe("fail");
    expect(r.reasons).toEqual(["paste refused: 52,428,800 bytes is over the limit of 1,048,576 bytes; paste only the relevant log lines"]);
    expect(r.text).toBeUndefined();
    expect(r.highlights).toEqual([]);
  });

  test.each([
    ["binary data", Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01]), "paste refused: binary data (NUL byte at offset 4); paste the log as text"],
    [
      "invalid UTF-8",
      Uint8Array.from([0x61, 0xff, 0xfe, 0x62]),
      "paste refused: paste:1:2: not UTF-8 text: byte 0xFF (byte offset 1) is not valid UTF-8; saved in Latin-1/Windows-1252? save it as UTF-8",
    ],
    ["an empty paste", enc(" \n\t\n"), "paste refused: the paste is empty"],
    [
      "UTF-16 little-endian without a byte-order mark",
      Uint8Array.from(Buffer.from("[dedup] client 1 seq 2\n", "utf16le")),
      "paste refused: UTF-16 text (little-endian), not UTF-8; convert it, e.g. `iconv -f UTF-16LE -t UTF-8 paste.txt > paste-utf8.txt`, or save it as UTF-8",
    ],
  ])("%s is refused with a reason", (_name, data, reason) => {
    expect(checker.check(data)).toMatchObject({ status: "fail", score: 0, reasons: [reason] });
  });

  test("a binary upload for a lesson that accepts uploads goes to review instead of failing", () => {
    const lesson = makeLesson({ id: "up", proof: { type: "paste_or_upload", status: "manual_or_regex", regexPatterns: [{ source: "x", line: 9 }] } });
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00]);
    expect(proofChecker(lesson).check(png)).toMatchObject({
      status: "needs-review", score: null,
      reasons: ["an upload that is not text (binary data); lesson up accepts uploads, so it goes to review"],
    });
    expect(proofChecker(lesson).check(new Uint8Array(0), 5 * 1024 * 1024).status).toBe("fail");
  });

  test("CRLF and a BOM are normalized before checking", () => {
    const d = decodePaste(enc(`\ufeffa\r\nb`));
    expect(d).toEqual({ ok: true, text: "a\nb", bytes: 7 });
  });

  test("a custom bound applies", () => {
    expect(proofChecker(withPatterns("x", ["a"]), { maxBytes: 10 }).check(enc("a".repeat(11))).reasons[0]).toBe(
      "paste refused: 11 bytes is over the limit of 10 bytes; paste only the relevant log lines",
    );
  });
});

describe("lesson w11-l04 (idempotent writes): its patterns and the one-line dedup proof", () => {
  // The front-matter of w11-l04 "Idempotent writes", as the course gives it.
  const w11l04 = withPatterns("w11-l04", ["duplicate|idempotent|cached|dedup", "client_id|seq"]);
  const LINE = "[dedup] client 42 seq 5 is duplicate, returning cached result";

  test("both patterns match the dedup line alone: `seq` in the line satisfies client_id|seq", () => {
    const r = proofChecker(w11l04).check(enc(LINE));
    expect(r.patterns.map((p) => p.matched)).toEqual([true, true]);
    expect(r.reasons.filter((x) => x.startsWith("pattern"))).toEqual([]);
  });

  test("the dedup line alone passes the lesson its patterns grade, with a note that its original is not in the paste", () => {
    const r = proofChecker(w11l04).check(enc(LINE));
    expect(r).toMatchObject({ status: "pass", score: 10, evidence: { duplicates: 1, violations: [] } });
    expect(r.reasons).toEqual([expect.stringMatching(/^evidence to review: line 1: duplicate of client 42 seq 5, but the paste shows no earlier request/)]);
  });

  test("the same line goes to review, not fail, in a lesson a person grades in the end (manual_or_regex)", () => {
    const reviewed = withPatterns("w11-l04", ["duplicate|idempotent|cached|dedup", "client_id|seq"], "manual_or_regex");
    expect(proofChecker(reviewed).check(enc(LINE))).toMatchObject({ status: "needs-review", score: null });
  });

  test("the dedup line after the attempt it answers passes", () => {
    const paste = `client_id=42 seq=5 attempt=1 node=n1 outcome=timeout(1000ms) action=retry-next backoff_ms=97 t_ms=1000\nn1 | ${LINE}`;
    expect(proofChecker(w11l04).check(enc(paste))).toMatchObject({ status: "pass", score: 10, reasons: [] });
  });

  test("two applications of the same client and seq fail", () => {
    const r = proofChecker(w11l04).check(enc(`[apply] client 42 seq 5\n${LINE}\n[apply] client 42 seq 5`));
    expect(r).toMatchObject({ status: "fail", score: 0 });
    expect(r.reasons).toEqual(["evidence: line 3: client 42 seq 5 applied again (first applied on line 1); a retry must not be applied twice"]);
  });

  test("two applications of the same client and seq written on one line fail too, naming the line", () => {
    const r = proofChecker(w11l04).check(enc(`[apply] client 42 seq 5 applied; [apply] client 42 seq 5 applied\n${LINE}`));
    expect(r).toMatchObject({ status: "fail", score: 0, evidence: { applied: 2, duplicates: 1 } });
    expect(r.reasons).toEqual([
      "evidence: line 1: client 42 seq 5 applied again (first applied earlier on line 1); a retry must not be applied twice",
      "evidence to review: line 1 holds 2 events, read as: applied client 42 seq 5; applied client 42 seq 5. A log prints one event a line: which words between two events belong to which is read from the line's layout, so check the line by hand",
    ]);
    expect(r.highlights.filter((h) => h.kind === "violation")).toEqual([{ start: 0, end: 64, kind: "violation", label: "evidence rule broken" }]);
  });
});

describe("leader-change: a line of several leader or exit events", () => {
  const leaderChange = (status: "regex" | "manual_or_regex") => {
    const lesson = withPatterns("vote", ["became leader for term \\d+"], status);
    return { ...lesson, proof: { ...lesson.proof!, evidence: ["leader-change" as const] } };
  };
  const JOINED = "n1 | became leader for term 1 cluster | n1 exited (SIGKILL)\nn2 | became leader for term 2";
  const NOTE = "evidence to review: line 1 holds 2 events, read as: leader n1 term 1; exit n1. A log prints one event a line: which words between two events belong to which is read from the line's layout, so check the line by hand";

  test("goes to review in a lesson a person grades in the end (manual_or_regex), naming the line", () => {
    const r = proofChecker(leaderChange("manual_or_regex")).check(enc(JOINED));
    expect(r).toMatchObject({ status: "needs-review", score: null, reasons: [NOTE], evidence: { leaders: 2, stopped: 1, violations: [] } });
    expect(r.highlights.filter((h) => h.kind === "review")).toEqual([{ start: 0, end: 59, kind: "review", label: "evidence to review: a person checks this line" }]);
  });

  test("passes with the note kept in a lesson graded by its patterns alone, as a line of several exactly-once events does", () => {
    expect(proofChecker(leaderChange("regex")).check(enc(JOINED))).toMatchObject({ status: "pass", score: 10, reasons: [NOTE] });
  });

  test("the same log with its lines apart passes with no note", () => {
    const apart = JOINED.replace(" cluster |", "\ncluster |");
    expect(proofChecker(leaderChange("manual_or_regex")).check(enc(apart))).toMatchObject({ status: "pass", score: 10, reasons: [] });
  });
});
