import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { parseLesson } from "../../src/lesson/parse.js";
import { formatDiagnostic } from "../../src/lesson/model.js";
import { criterionRefRules, findCycles, lintCourse, lintDirectory, prereqRules, regexRules, reviewDayRules, uniqueIds, uniqueOrder } from "../../src/lint/lint.js";
import { makeLesson } from "../helpers/lessons.js";

const fixtures = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

describe("lint rules", () => {
  test("unique ids: the second use names the first file and line", () => {
    const out = uniqueIds([makeLesson({ id: "a" }), makeLesson({ id: "a", file: "lessons/other.md" })]);
    expect(out.map(formatDiagnostic)).toEqual([
      'lessons/other.md:2: error id: id "a" is already used by lessons/a.md:2 [duplicate-id]',
    ]);
  });

  test("prereqs must exist and not be the lesson itself", () => {
    const out = prereqRules([makeLesson({ id: "a", prereqs: ["ghost", "a"] })]);
    expect(out.map(formatDiagnostic)).toEqual([
      'lessons/a.md:6: error prereqs: prerequisite "ghost" is not a lesson id in this course [prereq-missing]',
      "lessons/a.md:6: error prereqs: lesson a lists itself as a prerequisite [prereq-self]",
    ]);
  });

  test("a prerequisite cycle is printed, starting at its smallest id", () => {
    const lessons = [
      makeLesson({ id: "c", prereqs: ["b"] }),
      makeLesson({ id: "a", prereqs: ["c"] }),
      makeLesson({ id: "b", prereqs: ["a"] }),
      makeLesson({ id: "d", prereqs: ["a"] }), // depends on the cycle but is not in it
    ];
    expect(findCycles(lessons)).toEqual([["a", "c", "b"]]);
    expect(prereqRules(lessons).map(formatDiagnostic)).toEqual([
      "lessons/a.md:6: error prereqs: prerequisites form a cycle: a -> c -> b -> a [prereq-cycle]",
    ]);
  });

  test("a chain of 50,000 prerequisites is walked without running out of stack, and the cycle closing it is found", () => {
    const n = 50_000;
    const lessons = Array.from({ length: n }, (_, i) => makeLesson({ id: `l${String(i).padStart(5, "0")}`, prereqs: [`l${String((i + 1) % n).padStart(5, "0")}`] }));
    const cycles = findCycles(lessons);
    expect(cycles).toHaveLength(1);
    expect(cycles[0]).toHaveLength(n);
    expect(cycles[0]!.slice(0, 2)).toEqual(["l00000", "l00001"]);
    lessons[n - 1] = makeLesson({ id: lessons[n - 1]!.id });
    expect(findCycles(lessons)).toEqual([]);
  });

  test("a DAG with shared prerequisites has no cycle", () => {
    const lessons = [makeLesson({ id: "a" }), makeLesson({ id: "b", prereqs: ["a"] }), makeLesson({ id: "c", prereqs: ["a", "b"] })];
    expect(findCycles(lessons)).toEqual([]);
  });

  test("two disjoint cycles are both reported", () => {
    const lessons = [
      makeLesson({ id: "a", prereqs: ["b"] }), makeLesson({ id: "b", prereqs: ["a"] }),
      makeLesson({ id: "x", prereqs: ["y"] }), makeLesson({ id: "y", prereqs: ["x"] }),
    ];
    expect(findCycles(lessons)).toEqual([["a", "b"], ["x", "y"]]);
  });

  test("order is unique within a part, and may repeat across parts", () => {
    const out = uniqueOrder([
      makeLesson({ id: "a", part: "w1", order: 1 }),
      makeLesson({ id: "b", part: "w1", order: 1 }),
      makeLesson({ id: "c", part: "w2", order: 1 }),
    ]);
    expect(out.map(formatDiagnostic)).toEqual([
      'lessons/b.md:5: error order: order 1 in part "w1" is already used by a (lessons/a.md:5) [duplicate-order]',
    ]);
  });

  test.each([
    ["(a)\\1", "backreferences (\\1..\\9) need backtracking and are not supported by the linear-time engine (RE2); match the repeated text explicitly"],
    ["(?<n>a)\\k<n>", "named backreferences (\\k<name>) need backtracking and are not supported by the linear-time engine (RE2)"],
    ["client(?= 42)", "lookaround ((?=, (?!, (?<=, (?<!) is not supported by the linear-time engine (RE2); match the surrounding text instead"],
    ["(?!x)y", "lookaround ((?=, (?!, (?<=, (?<!) is not supported by the linear-time engine (RE2); match the surrounding text instead"],
    ["(?<=seq )\\d+", "lookaround ((?=, (?!, (?<=, (?<!) is not supported by the linear-time engine (RE2); match the surrounding text instead"],
    ["(?<!x)y", "lookaround ((?=, (?!, (?<=, (?<!) is not supported by the linear-time engine (RE2); match the surrounding text instead"],
    ["(?>a+)b", "atomic groups ((?>...)) are not supported by the linear-time engine (RE2)"],
    ["a++", "possessive quantifiers (*+, ++, ?+) are not supported by the linear-time engine (RE2)"],
    ["[unclosed", "invalid regular expression: error parsing regexp: missing closing ]: `[unclosed`"],
    ["x{2000}", "invalid regular expression: error parsing regexp: invalid repeat count: `{2000}`"],
  ])("regex %s is rejected with a reason", (source, reason) => {
    const l = makeLesson({ id: "a", proof: { type: "paste", status: "regex", regexPatterns: [{ source, line: 9 }] } });
    expect(regexRules(l)).toEqual([
      { severity: "error", code: "regex-unsupported", file: "lessons/a.md", line: 9, field: "proof.regex_patterns[0]", message: `${JSON.stringify(source)}: ${reason}` },
    ]);
  });

  test.each(["\\[dedup\\] client \\S+ seq \\d+", "\\\\1 is an escaped backslash", "(?i)retry", "a\\+\\+", "[(?=]"])("regex %s is accepted", (source) => {
    const l = makeLesson({ id: "a", proof: { type: "paste", status: "regex", regexPatterns: [{ source, line: 9 }] } });
    expect(regexRules(l)).toEqual([]);
  });

  test.each([
    [[3, 7, 21, 60], []],
    [[], []],
    [[0, 3], ["review_schedule_days[0]: must be a positive number of days, found 0"]],
    [[3, -1], ["review_schedule_days[1]: must be a positive number of days, found -1"]],
    [[3, 7, 7], ["review_schedule_days[2]: must be greater than the previous entry (7), found 7; the days count from the completion date and increase"]],
    [[7, 3], ["review_schedule_days[1]: must be greater than the previous entry (7), found 3; the days count from the completion date and increase"]],
  ])("review days %j", (days, messages) => {
    const out = reviewDayRules(makeLesson({ id: "a", reviewScheduleDays: days }));
    expect(out.map((d) => `${d.field}: ${d.message}`)).toEqual(messages);
    for (const d of out) expect(d).toMatchObject({ severity: "error", code: "review-days", line: 12 });
  });
});

test("a criterion whose How-to-check names no test file or check command a student can run is flagged", () => {
  const criterion = (n: number, howToCheck: string, checkRefs: string[]) => ({ id: `a#${n}`, number: n, text: "t", howToCheck, checkRefs, line: 20 + n, tests: [] });
  const l = makeLesson({
    id: "a",
    criteria: [
      criterion(1, "run the tests", []),
      criterion(2, "`test/a.test.ts`", ["test/a.test.ts"]),
      criterion(3, "", []),
      criterion(4, "`kv-sim run --seed 1`, `docs/a.md`", ["kv-sim run --seed 1", "docs/a.md"]),
      criterion(5, "`npm run check -- --lesson a`", ["npm run check -- --lesson a"]),
    ],
  });
  const message = (n: number) =>
    `lessons/a.md:${20 + n}: warning body.criteria: criterion a#${n} names no test file or check command a student can run (\`week-12/test/x.test.ts\`, \`npm run check -- --lesson ID\`) under "How to check" [criterion-no-ref]`;
  expect(criterionRefRules(l).map(formatDiagnostic)).toEqual([message(1), message(4)]);
});

describe("lint: a proof with status regex but no patterns", () => {
  test("is a warning: every proof will go to review", () => {
    const l = makeLesson({ id: "a", proof: { type: "paste", status: "regex", regexPatterns: [] } });
    expect(regexRules(l).map(formatDiagnostic)).toEqual([
      "lessons/a.md:7: warning proof.status: status is regex but there are no regex_patterns; every proof will go to review [regex-none]",
    ]);
  });
});

describe("lintCourse over fixture courses", () => {
  test("the well-formed fixture course has warnings only, its references resolving in the fixture repository", async () => {
    const report = await lintDirectory(fixtures("course"));
    expect(report).toMatchObject({ files: 3, lessons: 3, errors: 0, warnings: 4 });
    expect(report.diagnostics.map((d) => d.code)).toEqual(["mojibake-repaired", "tab-indent", "unknown-field", "criterion-no-ref"]);
  });

  test("the broken fixture course reports every rule, sorted by file and line", async () => {
    const report = await lintDirectory(fixtures("broken-course"));
    const lines = report.diagnostics.map((d) => `${d.file.split("/").pop()}:${d.line} ${d.code} ${d.field ?? ""}`);
    expect(lines).toEqual([
      "a.md:6 prereq-cycle prereqs",
      "b.md:5 duplicate-order order",
      "c.md:6 prereq-missing prereqs",
      "d.md:2 duplicate-id id",
      "d.md:10 regex-unsupported proof.regex_patterns[0]",
      "d.md:11 regex-unsupported proof.regex_patterns[1]",
      "d.md:13 review-days review_schedule_days[1]",
      "d.md:13 review-days review_schedule_days[2]",
      "e.md:0 no-criteria body.criteria",
      "e.md:0 no-done-when body.done_when",
      "e.md:2 missing-field title",
    ]);
    expect(report.diagnostics[0]!.message).toBe("prerequisites form a cycle: fx-a -> fx-c -> fx-b -> fx-a");
    expect(report).toMatchObject({ files: 5, lessons: 4, errors: 9, warnings: 2 });
  });

  test("a lesson with a field error is still checked for its other fields, and other lessons may name it as a prerequisite", () => {
    const broken = [
      "---", "id: fx-broken", "part: p", "title: Broken", "order: two", "prereqs: [fx-ghost]",
      "proof:", "  type: paste", "  regex_patterns:", "    - '(a)\\1'", "review_schedule_days: [0, 5]", "---", "",
    ].join("\n");
    const fine = ["---", "id: fx-fine", "part: p", "title: Fine", "order: 2", "prereqs: [fx-broken]", "---", ""].join("\n");
    const parsed = [parseLesson(broken, "lessons/broken.md"), parseLesson(fine, "lessons/fine.md")];
    expect(parsed[0]!.lesson).toBeUndefined();
    expect(parsed[0]!.partial).toMatchObject({ id: "fx-broken", prereqs: ["fx-ghost"], reviewScheduleDays: [0, 5] });
    const report = lintCourse({
      dir: "lessons",
      lessons: parsed.flatMap((r) => (r.lesson ? [r.lesson] : [])),
      partial: parsed.flatMap((r) => (r.partial ? [r.partial] : [])),
      diagnostics: parsed.flatMap((r) => r.diagnostics),
      files: 2,
    });
    const errors = report.diagnostics.filter((d) => d.severity === "error").map(formatDiagnostic);
    expect(errors).toEqual([
      'lessons/broken.md:5: error order: must be a non-negative integer, found the text "two" [field-type]',
      'lessons/broken.md:6: error prereqs: prerequisite "fx-ghost" is not a lesson id in this course [prereq-missing]',
      'lessons/broken.md:10: error proof.regex_patterns[0]: "(a)\\\\1": backreferences (\\1..\\9) need backtracking and are not supported by the linear-time engine (RE2); match the repeated text explicitly [regex-unsupported]',
      "lessons/broken.md:11: error review_schedule_days[0]: must be a positive number of days, found 0 [review-days]",
    ]);
    // fx-fine names fx-broken: no "not a lesson id" error for it.
    expect(report).toMatchObject({ lessons: 1, errors: 4 });
  });

  test("the course in lessons/ is clean: every How-to-check reference resolves in the repository", async () => {
    const report = await lintDirectory(fileURLToPath(new URL("../../../lessons", import.meta.url)));
    expect(report.diagnostics.map(formatDiagnostic)).toEqual([]);
    expect(report.lessons).toBe(6);
  });
});
