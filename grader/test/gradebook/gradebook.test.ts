import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { gradeClass, similarityText, type Paste } from "../../src/gradebook/batch.js";
import { csvField, gradebookCsv, parseCsv, sheetField } from "../../src/gradebook/csv.js";
import { upsertManualGrade } from "../../src/gradebook/manual.js";
import type { ManualGrade } from "../../src/gradebook/model.js";
import { readGradebookRows, readManualGrades, reviewPageName, writeGradebook, writeManualGrades } from "../../src/gradebook/store.js";
import { proofChecker } from "../../src/proof/check.js";
import { withPatterns } from "../helpers/lessons.js";

const enc = (s: string) => new TextEncoder().encode(s);
const lesson = withPatterns("retry", ["\\[dedup\\] client \\S+ seq \\d+ is duplicate"]);
const checker = proofChecker(lesson);
const passing = (client: number) => enc(`[apply] client ${client} seq 1 at t=${client * 31}\n[dedup] client ${client} seq 1 is duplicate, returning cached result\nrun ${client * 977}`);
const NOW = "2026-11-24T10:00:00.000Z";

const pastes: Paste[] = [
  { student: "alice", data: passing(1) },
  { student: "bob", data: enc("it worked, trust me") },
  { student: "carol", data: passing(3) },
];

describe("near-identical pastes", () => {
  test("a copy with one line changed goes to review with its similarity, rounded down, and the client both name", () => {
    const long = Array.from({ length: 300 }, (_, i) => `[apply] client 5 seq ${i + 1} append k v${i} at t=${i * 7}`).join("\n") + "\n[dedup] client 5 seq 300 is duplicate, returning cached result";
    const copy = long.replace(/^[^\n]*/, "copied by a friend");
    const { rows } = gradeClass({ checker, pastes: [{ student: "alice", data: enc(long) }, { student: "zoe", data: enc(copy) }], manual: [], now: NOW });
    for (const [self, other] of [["alice", "zoe"], ["zoe", "alice"]]) {
      const row = rows.find((r) => r.student === self)!;
      expect(row.status).toBe("needs-review");
      expect(row.reasons).toEqual([
        expect.stringMatching(new RegExp(`^near-identical to the paste of ${other} \\(similarity 0\\.9\\d with ids, numbers and whitespace normalised; both name client 5\\)$`)),
      ]);
    }
  });

  test("a copied lost-reply paste with one number and a space changed goes to review, both students named; the honest pastes of the class pass", () => {
    const attemptLog = (client: string, seq: number, backoffMs: number, replayedMs: number) => [
      `client_id=${client} seq=${seq} attempt=1 node=n1 outcome=timeout(1000ms) action=retry-next backoff_ms=${backoffMs} t_ms=1000`,
      `n1 | [dedup] client ${client} seq ${seq} is duplicate, returning cached result`,
      `client_id=${client} seq=${seq} attempt=2 node=n1 outcome=append_ok(replayed) action=succeed backoff_ms=0 t_ms=${replayedMs}`,
      `client_id=${client} seq=${seq + 1} attempt=1 node=n1 outcome=append_ok action=succeed backoff_ms=0 t_ms=4`,
      "n1 | became leader for term 2",
    ].join("\n");
    const alice = attemptLog("290341886112200198731443657610290341", 7, 97, 1104);
    const pastes: Paste[] = [
      { student: "alice", data: enc(alice) },
      { student: "bob", data: enc(attemptLog("118446744073709551615002219023476121", 3, 112, 1131)) },
      { student: "carol", data: enc(attemptLog("77301994822017634002193847561029384", 12, 84, 1090)) },
      { student: "zoe", data: enc(alice.replace("t_ms=1104", "t_ms=1107").replace("| became", "|  became")) },
    ];
    const { rows, similar } = gradeClass({ checker, pastes, manual: [], now: NOW });
    expect(similar).toEqual([
      { a: "alice", b: "zoe", similarity: 1, identical: false, sharedOrigin: "both name client 290341886112200198731443657610290341" },
    ]);
    const reason = (other: string) => `near-identical to the paste of ${other} (similarity 1.00 with ids, numbers and whitespace normalised; both name client 290341886112200198731443657610290341)`;
    expect(rows.map((r) => [r.student, r.status, r.reasons])).toEqual([
      ["alice", "needs-review", [reason("zoe")]],
      ["bob", "pass", []],
      ["carol", "pass", []],
      ["zoe", "needs-review", [reason("alice")]],
    ]);
  });

  test.each([[0.996, "0.99"], [1, "1.00"], [0.8, "0.80"], [0.29, "0.29"], [0.8149, "0.81"]])("similarity %d reads %s", (x, text) => {
    expect(similarityText(x)).toBe(text);
  });
});

describe("gradeClass", () => {
  test("grades every student with graded_at from the injected clock", () => {
    const { rows } = gradeClass({ checker, pastes, manual: [], now: NOW });
    expect(rows.map((r) => [r.student, r.status, r.score, r.grader, r.gradedAt])).toEqual([
      ["alice", "pass", 10, "auto", NOW],
      ["bob", "fail", 0, "auto", NOW],
      ["carol", "pass", 10, "auto", NOW],
    ]);
  });

  test("identical pastes across students go to review, naming the other student", () => {
    const { rows, similar } = gradeClass({ checker, pastes: [...pastes, { student: "dave", data: passing(1) }], manual: [], now: NOW });
    expect(similar).toEqual([{ a: "alice", b: "dave", similarity: 1, identical: true }]);
    expect(rows.find((r) => r.student === "alice")).toMatchObject({ status: "needs-review", score: null, reasons: ["identical to the paste of dave"] });
    expect(rows.find((r) => r.student === "dave")).toMatchObject({ status: "needs-review", reasons: ["identical to the paste of alice"] });
  });

  test("a manual decision overrides the automated status, is marked manual and keeps the automated result", () => {
    const manual: ManualGrade[] = [{ lesson: "retry", student: "bob", status: "pass", note: "log attached as screenshot", by: "ana", gradedAt: "2026-11-23T09:00:00.000Z" }];
    const { rows } = gradeClass({ checker, pastes, manual, now: NOW });
    expect(rows.find((r) => r.student === "bob")).toEqual({
      student: "bob", lesson: "retry", status: "pass", score: 10, maxScore: 10,
      reasons: ["manual (ana): log attached as screenshot", "auto: fail (pattern 1 did not match: \\[dedup\\] client \\S+ seq \\d+ is duplicate)"],
      grader: "manual:ana", gradedAt: "2026-11-23T09:00:00.000Z", manual: true,
      auto: { status: "fail", score: 0, reasons: ["pattern 1 did not match: \\[dedup\\] client \\S+ seq \\d+ is duplicate"], gradedAt: NOW, sha256: expect.any(String) },
    });
  });

  test("a manual decision for a student with no paste still appears; other lessons' decisions do not", () => {
    const manual: ManualGrade[] = [
      { lesson: "retry", student: "erin", status: "fail", note: "no proof", gradedAt: NOW },
      { lesson: "other", student: "alice", status: "fail", note: "x", gradedAt: NOW },
    ];
    const { rows } = gradeClass({ checker, pastes, manual, now: NOW });
    expect(rows.map((r) => `${r.student}:${r.status}:${r.grader}`)).toEqual(["alice:pass:auto", "bob:fail:auto", "carol:pass:auto", "erin:fail:manual"]);
    expect(rows.at(-1)!.reasons).toEqual(["manual: no proof", "no paste for this student in the last automated run"]);
  });

  test("a paste that changed after the manual decision keeps the decision and says so", () => {
    const first = gradeClass({ checker, pastes, manual: [], now: NOW });
    const sha256 = first.rows.find((r) => r.student === "bob")!.auto!.sha256!;
    const manual: ManualGrade[] = [{ lesson: "retry", student: "bob", status: "fail", note: "no evidence", gradedAt: NOW, sha256 }];
    const changed = pastes.map((p) => (p.student === "bob" ? { ...p, data: enc("new text") } : p));
    const bob = gradeClass({ checker, pastes: changed, manual, now: NOW }).rows.find((r) => r.student === "bob")!;
    expect(bob.status).toBe("fail");
    expect(bob.reasons[1]).toBe("the paste changed after this manual decision; check it again");
  });
});

describe("manual grades survive reruns (grades directory)", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "grader-gb-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("run, review, rerun: the decision is kept and marked manual in CSV and JSON", async () => {
    const run = async (now: string) => {
      const { rows } = gradeClass({ checker, pastes, manual: await readManualGrades(dir), now });
      await writeGradebook(dir, "retry", rows);
    };
    await run(NOW);
    await writeManualGrades(dir, upsertManualGrade(await readManualGrades(dir), { lesson: "retry", student: "bob", status: "pass", note: "verified by hand", gradedAt: "2026-11-24T11:00:00.000Z" }));
    await run("2026-11-25T08:00:00.000Z");
    await run("2026-11-26T08:00:00.000Z");
    const csv = parseCsv(await readFile(path.join(dir, "gradebook.csv"), "utf8")).map((r) => r.fields);
    expect(csv[0]).toEqual(["student", "lesson", "status", "score", "max_score", "reasons", "grader", "graded_at"]);
    expect(csv.find((f) => f[0] === "bob")).toEqual([
      "bob", "retry", "pass", "10", "10",
      "manual: verified by hand; auto: fail (pattern 1 did not match: \\[dedup\\] client \\S+ seq \\d+ is duplicate)",
      "manual", "2026-11-24T11:00:00.000Z",
    ]);
    expect(csv.find((f) => f[0] === "alice")!.slice(6)).toEqual(["auto", "2026-11-26T08:00:00.000Z"]);
    const rows = await readGradebookRows(dir);
    expect(rows.find((r) => r.student === "bob")).toMatchObject({ manual: true, grader: "manual", auto: { status: "fail" } });
  });

  test("a gradebook.json or manual-grades.json that is not UTF-8 is refused naming its line and column; one with a BOM is read", async () => {
    await writeGradebook(dir, "retry", gradeClass({ checker, pastes, manual: [], now: NOW }).rows);
    const file = path.join(dir, "gradebook.json");
    const text = await readFile(file, "utf8");
    // A hand edit saved in Latin-1: "bob" renamed "bobé" with é as the one byte 0xE9.
    const at = text.indexOf('"bob"');
    await writeFile(file, Buffer.concat([Buffer.from(text.slice(0, at + 4)), Buffer.from([0xe9]), Buffer.from(text.slice(at + 4))]));
    const line = text.slice(0, at).split("\n").length;
    const column = at - text.lastIndexOf("\n", at) + 4;
    await expect(readGradebookRows(dir)).rejects.toThrow(`${file}:${line}:${column}: not UTF-8 text: byte 0xE9`);
    await expect(readGradebookRows(dir)).rejects.toThrow("saved in Latin-1/Windows-1252? save it as UTF-8");
    await expect(readGradebookRows(dir)).rejects.toMatchObject({ code: "GRADES_FILE" });
    await writeFile(file, "\ufeff" + text.replace('"bob"', '"bobé"'));
    expect((await readGradebookRows(dir)).map((r) => r.student)).toEqual(["alice", "bobé", "carol"]);
    const manual = path.join(dir, "manual-grades.json");
    await writeFile(manual, Buffer.concat([Buffer.from('{"version":1,"grades":[{"student":"Ren'), Buffer.from([0xe9]), Buffer.from('"}]}')]));
    await expect(readManualGrades(dir)).rejects.toThrow(`${manual}:1:39: not UTF-8 text: byte 0xE9 (byte offset 38)`);
  });

  test("a second decision for the same student replaces the first", async () => {
    let grades = upsertManualGrade([], { lesson: "retry", student: "bob", status: "pass", note: "a", gradedAt: NOW });
    grades = upsertManualGrade(grades, { lesson: "retry", student: "bob", status: "fail", note: "b", gradedAt: NOW });
    grades = upsertManualGrade(grades, { lesson: "retry", student: "al", status: "fail", note: "c", gradedAt: NOW });
    expect(grades.map((g) => `${g.student}:${g.note}`)).toEqual(["al:c", "bob:b"]);
  });

  test("rows of other lessons already in the gradebook are kept, sorted by student, then lesson", async () => {
    await writeGradebook(dir, "other", gradeClass({ checker: proofChecker(withPatterns("other", ["x"])), pastes, manual: [], now: NOW }).rows);
    await writeGradebook(dir, "retry", gradeClass({ checker, pastes, manual: [], now: NOW }).rows);
    const rows = await readGradebookRows(dir);
    expect(rows.map((r) => `${r.lesson}/${r.student}`)).toEqual(["other/alice", "retry/alice", "other/bob", "retry/bob", "other/carol", "retry/carol"]);
  });

  test("reruns with the same --now write byte-identical exports", async () => {
    await writeGradebook(dir, "retry", gradeClass({ checker, pastes, manual: [], now: NOW }).rows);
    const a = await readFile(path.join(dir, "gradebook.csv"));
    const aj = await readFile(path.join(dir, "gradebook.json"));
    await writeGradebook(dir, "retry", gradeClass({ checker, pastes, manual: [], now: NOW }).rows);
    expect(await readFile(path.join(dir, "gradebook.csv"))).toEqual(a);
    expect(await readFile(path.join(dir, "gradebook.json"))).toEqual(aj);
  });
});

describe("CSV", () => {
  test.each([
    ["plain", "plain"],
    ["a,b", '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ["two\nlines", '"two\nlines"'],
    [" padded", '" padded"'],
  ])("field %j", (value, expected) => {
    expect(csvField(value)).toBe(expected);
    expect(parseCsv(`${expected}\r\n`)).toEqual([{ fields: [value], line: 1, endLine: value.includes("\n") ? 2 : 1 }]);
  });

  test("a quote left open is flagged on the record it opened in, which holds the rest of the text", () => {
    expect(parseCsv('a,b\r\nc,"d\r\ne,f\r\n')).toEqual([
      { fields: ["a", "b"], line: 1, endLine: 1 },
      { fields: ["c", "d\r\ne,f\r\n"], line: 2, endLine: 3, unterminated: true },
    ]);
  });

  test.each([
    ["=1+1", "'=1+1"],
    ["+cmd", "'+cmd"],
    ["-2+3", "'-2+3"],
    ["@SUM(A1)", "'@SUM(A1)"],
    ["\tx", "'\tx"],
    ['=HYPERLINK("http://x","y")', '"\'=HYPERLINK(""http://x"",""y"")"'],
    ["ada", "ada"],
    ["a=b", "a=b"],
  ])("a field that starts like a spreadsheet formula, %j, is written as text", (value, expected) => {
    expect(sheetField(value)).toBe(expected);
  });

  test("the gradebook writes a student id and a reason that start like formulas as text, and its numbers as they are", () => {
    const csv = gradebookCsv([{ student: "=1+1", lesson: "l", status: "fail", score: 0, maxScore: 5, reasons: ["@x"], grader: "auto", gradedAt: NOW, manual: false }]);
    expect(csv.split("\r\n")[1]).toBe(`'=1+1,l,fail,0,5,'@x,auto,${NOW}`);
  });

  test("an empty score for needs-review, CRLF rows", () => {
    const csv = gradebookCsv([{ student: "a", lesson: "l", status: "needs-review", score: null, maxScore: 5, reasons: ["x", "y"], grader: "auto", gradedAt: NOW, manual: false }]);
    expect(csv).toBe(`student,lesson,status,score,max_score,reasons,grader,graded_at\r\na,l,needs-review,,5,x; y,auto,${NOW}\r\n`);
  });
});

describe("review page names", () => {
  test("a course's lower-case id keeps its plain name; ids that differ only by '/' against '_', or by case, never share a page", () => {
    expect(reviewPageName("w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h")).toBe("review-w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h.html");
    const ids = ["w12/a", "w12_a", "Retry", "retry", "w12.a"];
    const names = ids.map(reviewPageName);
    expect(new Set(names.map((n) => n.toLowerCase())).size).toBe(ids.length);
    expect(reviewPageName("w12/a")).toMatch(/^review-w12_a~[0-9a-f]{12}\.html$/);
    expect(reviewPageName("retry")).toBe("review-retry.html");
  });
});
