import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { formatDiagnostic, type Diagnostic } from "../../src/lesson/model.js";
import { parseLesson } from "../../src/lesson/parse.js";

const TABLE = `
| # | Criterion | How to check |
| --- | --- | --- |
| 1 | It works | \`test/a.test.ts\` |

## Done when

- [ ] it works
`;

/** A lesson with the given front-matter lines and body (the front-matter starts on line 2). */
function lesson(frontMatter: string, body = TABLE): string {
  return `---\n${frontMatter}\n---\n${body}`;
}

const BASE = "id: l1\npart: p\ntitle: T\norder: 1";

type Expected = Pick<Diagnostic, "severity" | "code" | "line" | "message"> & { field?: string };

const brokenCases: { name: string; text: string; expected: Expected[] }[] = [
  {
    name: "no front-matter",
    text: "# Just a heading\n",
    expected: [{ severity: "error", code: "no-front-matter", line: 1, field: "front-matter", message: "the file must start with a `---` line opening the YAML front-matter" }],
  },
  {
    name: "unclosed front-matter",
    text: "---\nid: l1\n",
    expected: [{ severity: "error", code: "no-front-matter", line: 1, field: "front-matter", message: "the front-matter opened on line 1 is never closed by a `---` line" }],
  },
  {
    name: "YAML syntax error",
    text: lesson("id: l1\ntitle: [unclosed\npart: p"),
    expected: [{ severity: "error", code: "yaml-syntax", line: 4, field: "front-matter", message: "YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]" }],
  },
  {
    name: "empty front-matter",
    text: "---\n---\nbody\n",
    expected: [{ severity: "error", code: "front-matter-shape", line: 2, field: "front-matter", message: "the front-matter must be a mapping of fields, found nothing" }],
  },
  {
    name: "a field given twice",
    text: lesson("id: l1\npart: p\ntitle: T\norder: 1\nid: l2"),
    expected: [{ severity: "error", code: "duplicate-field", line: 6, field: "id", message: "is given twice; keep one" }],
  },
  {
    name: "front-matter that is a list",
    text: lesson("- a\n- b"),
    expected: [{ severity: "error", code: "front-matter-shape", line: 2, field: "front-matter", message: 'the front-matter must be a mapping of fields, found a list' }],
  },
  {
    name: "missing required fields",
    text: lesson("id: l1"),
    expected: [
      { severity: "error", code: "missing-field", line: 2, field: "part", message: "is required but missing" },
      { severity: "error", code: "missing-field", line: 2, field: "title", message: "is required but missing" },
      { severity: "error", code: "missing-field", line: 2, field: "order", message: "is required but missing" },
    ],
  },
  {
    name: "empty title",
    text: lesson("id: l1\npart: p\ntitle:\norder: 1"),
    expected: [{ severity: "error", code: "missing-field", line: 4, field: "title", message: "is empty; a value is required" }],
  },
  {
    name: "id with a space",
    text: lesson("id: my lesson\npart: p\ntitle: T\norder: 1"),
    expected: [{ severity: "error", code: "bad-id", line: 2, field: "id", message: "\"my lesson\" is not a lesson id: use letters, digits, '.', '_', '-' or '/', no spaces or '#'" }],
  },
  {
    name: "id that is a list",
    text: lesson("id: [a]\npart: p\ntitle: T\norder: 1"),
    expected: [{ severity: "error", code: "field-type", line: 2, field: "id", message: "must be a lesson id (text), found a list" }],
  },
  {
    name: "order that is text",
    text: lesson("id: l1\npart: p\ntitle: T\norder: first"),
    expected: [{ severity: "error", code: "field-type", line: 5, field: "order", message: 'must be a non-negative integer, found the text "first"' }],
  },
  {
    name: "part that is a mapping",
    text: lesson("id: l1\npart: {a: 1}\ntitle: T\norder: 1"),
    expected: [{ severity: "error", code: "field-type", line: 3, field: "part", message: "must be a text or a number, found a mapping" }],
  },
  {
    name: "zero duration",
    text: lesson(`${BASE}\nduration_minutes: 0`),
    expected: [{ severity: "error", code: "field-type", line: 6, field: "duration_minutes", message: "must be a positive integer, found number 0" }],
  },
  {
    name: "negative xp",
    text: lesson(`${BASE}\nxp: -5`),
    expected: [{ severity: "error", code: "field-type", line: 6, field: "xp", message: "must be a non-negative integer, found number -5" }],
  },
  {
    name: "kind that is a number",
    text: lesson(`${BASE}\nkind: 3`),
    expected: [{ severity: "error", code: "field-type", line: 6, field: "kind", message: "must be a non-empty text, found number 3" }],
  },
  {
    name: "prereqs as a single string",
    text: lesson(`${BASE}\nprereqs: l0`),
    expected: [{ severity: "error", code: "field-type", line: 6, field: "prereqs", message: 'must be a list of lesson ids (use [] for none), found the text "l0"' }],
  },
  {
    name: "a prereq that is not an id",
    text: lesson(`${BASE}\nprereqs:\n  - ok\n  - 12 monkeys`),
    expected: [{ severity: "error", code: "bad-id", line: 8, field: "prereqs[1]", message: "\"12 monkeys\" is not a lesson id: use letters, digits, '.', '_', '-' or '/', no spaces or '#'" }],
  },
  {
    name: "review days as text",
    text: lesson(`${BASE}\nreview_schedule_days: weekly`),
    expected: [{ severity: "error", code: "field-type", line: 6, field: "review_schedule_days", message: 'must be a list of numbers of days, e.g. [3, 7, 21, 60], found the text "weekly"' }],
  },
  {
    name: "a review day that is not an integer",
    text: lesson(`${BASE}\nreview_schedule_days: [3, 7.5]`),
    expected: [{ severity: "error", code: "field-type", line: 6, field: "review_schedule_days[1]", message: "must be an integer number of days, found number 7.5" }],
  },
  {
    name: "a review day that is text",
    text: lesson(`${BASE}\nreview_schedule_days: [3, '7']`),
    expected: [{ severity: "error", code: "field-type", line: 6, field: "review_schedule_days[1]", message: 'must be an integer number of days, found the text "7"' }],
  },
  {
    name: "proof instructions that are a list",
    text: lesson(`${BASE}\nproof:\n  type: paste\n  instructions: [a, b]`),
    expected: [{ severity: "error", code: "field-type", line: 8, field: "proof.instructions", message: "must be a non-empty text, found a list" }],
  },
  {
    name: "proof that is text",
    text: lesson(`${BASE}\nproof: paste it`),
    expected: [{ severity: "error", code: "field-type", line: 6, field: "proof", message: 'must be a mapping with `type` and optional `status`, `instructions`, `regex_patterns`, `evidence`, found the text "paste it"' }],
  },
  {
    name: "proof evidence naming an unknown rule",
    text: lesson(`${BASE}\nproof:\n  type: paste\n  evidence: [exactly-once, leader-elected]`),
    expected: [{ severity: "error", code: "bad-enum", line: 8, field: "proof.evidence[1]", message: 'must be one of exactly-once, leader-change, found the text "leader-elected"' }],
  },
  {
    name: "proof evidence that is not a list",
    text: lesson(`${BASE}\nproof:\n  type: paste\n  evidence: leader-change`),
    expected: [{ severity: "error", code: "field-type", line: 8, field: "proof.evidence", message: 'must be a list of evidence rules (exactly-once, leader-change), found the text "leader-change"' }],
  },
  {
    name: "proof without a type",
    text: lesson(`${BASE}\nproof:\n  instructions: paste`),
    expected: [{ severity: "error", code: "missing-field", line: 6, field: "proof.type", message: "is required: one of paste, upload, paste_or_upload" }],
  },
  {
    name: "proof with an unknown type",
    text: lesson(`${BASE}\nproof:\n  type: email`),
    expected: [{ severity: "error", code: "bad-enum", line: 7, field: "proof.type", message: 'must be one of paste, upload, paste_or_upload, found the text "email"' }],
  },
  {
    name: "proof with an unknown status",
    text: lesson(`${BASE}\nproof:\n  type: paste\n  status: vibes`),
    expected: [{ severity: "error", code: "bad-enum", line: 8, field: "proof.status", message: 'must be one of regex, manual, manual_or_regex, found the text "vibes"' }],
  },
  {
    name: "regex_patterns as text",
    text: lesson(`${BASE}\nproof:\n  type: paste\n  regex_patterns: dedup`),
    expected: [{ severity: "error", code: "field-type", line: 8, field: "proof.regex_patterns", message: 'must be a list of regular expressions, found the text "dedup"' }],
  },
  {
    name: "an empty regex pattern",
    text: lesson(`${BASE}\nproof:\n  type: paste\n  regex_patterns:\n    - ok\n    - ''`),
    expected: [{ severity: "error", code: "field-type", line: 10, field: "proof.regex_patterns[1]", message: 'must be a non-empty regular expression (text), found the text ""' }],
  },
  {
    name: "a criterion row whose number is not a number",
    text: lesson(BASE, "\n| # | Criterion | How to check |\n| - | - | - |\n| one | x | y |\n"),
    expected: [{ severity: "error", code: "criterion-number", line: 10, field: "body.criteria", message: 'the "#" cell must be a positive integer, found "one"' }],
  },
  {
    name: "a criterion with no text",
    text: lesson(BASE, "\n| # | Criterion | How to check |\n| - | - | - |\n| 1 |  | y |\n"),
    expected: [{ severity: "error", code: "criterion-empty", line: 10, field: "body.criteria", message: 'criterion 1 has an empty "Criterion" cell' }],
  },
  {
    name: "two criteria with the same number",
    text: lesson(BASE, "\n| # | Criterion | How to check |\n| - | - | - |\n| 1 | a | x |\n| 1 | b | y |\n"),
    expected: [{ severity: "error", code: "criterion-duplicate", line: 11, field: "body.criteria", message: "criterion number 1 is used twice (first on line 10)" }],
  },
];

describe("parseLesson: broken lessons give errors naming file, line and field", () => {
  test.each(brokenCases)("$name", ({ text, expected }) => {
    const result = parseLesson(text, "lessons/x.md");
    expect(result.lesson).toBeUndefined();
    const errors = result.diagnostics.filter((d) => d.severity === "error");
    expect(errors).toEqual(expected.map((e) => ({ file: "lessons/x.md", ...e })));
  });
});

describe("parseLesson: hostile front-matter is the lesson's error, never a crash", () => {
  test("a value nested thousands of levels deep is reported as too deep for the YAML reader, at its line", () => {
    const result = parseLesson(lesson(`${BASE}\nx: ${"[".repeat(5000)}${"]".repeat(5000)}`), "lessons/x.md");
    expect(result.lesson).toBeUndefined();
    const errors = result.diagnostics.filter((d) => d.severity === "error");
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]).toMatchObject({ code: "yaml-syntax", line: 6, message: "YAML nested too deeply for the reader (it ran out of stack); a lesson's front-matter nests a few levels" });
  });

  test("an alias bomb is refused at the first alias, without expanding it", () => {
    const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    const names = "abcdefghi";
    for (let i = 1; i < names.length; i++) lines.push(`${names[i]}: &${names[i]} [${Array(9).fill(`*${names[i - 1]}`).join(",")}]`);
    const result = parseLesson(lesson(`${BASE}\n${lines.join("\n")}`), "lessons/x.md");
    expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([
      expect.objectContaining({ code: "yaml-alias", line: 7, field: "front-matter", message: expect.stringContaining("YAML aliases are not allowed in a lesson's front-matter (*a, and 71 more)") }),
    ]);
  });
});

const warningCases: { name: string; text: string; expected: Expected }[] = [
  {
    name: "an unknown field is kept and warned about",
    text: lesson(`${BASE}\nauthor: ana`),
    expected: { severity: "warning", code: "unknown-field", line: 6, field: "author", message: "unknown field, kept as is (known fields: id, part, title, order, duration_minutes, prereqs, kind, xp, proof, review_schedule_days)" },
  },
  {
    name: "an unknown proof field",
    text: lesson(`${BASE}\nproof:\n  type: paste\n  points: 3`),
    expected: { severity: "warning", code: "unknown-field", line: 8, field: "proof.points", message: "unknown proof field, ignored (known: type, status, instructions, regex_patterns, evidence)" },
  },
  {
    name: "no criteria table",
    text: lesson(BASE, "\n## Done when\n\n- [ ] x\n"),
    expected: { severity: "warning", code: "no-criteria", line: 0, field: "body.criteria", message: "no pass-criteria table (`| # | Criterion | How to check |`) was found" },
  },
  {
    name: "no done-when checklist",
    text: lesson(BASE, "\n| # | Criterion | How to check |\n| - | - | - |\n| 1 | a | x |\n"),
    expected: { severity: "warning", code: "no-done-when", line: 0, field: "body.done_when", message: 'no "Done when" checklist was found (a "Done when" heading followed by a list)' },
  },
  {
    name: "a criterion that does not say how to check it",
    text: lesson(BASE, "\n| # | Criterion | How to check |\n| - | - | - |\n| 1 | a |  |\n\n## Done when\n\n- x\n"),
    expected: { severity: "warning", code: "criterion-no-check", line: 10, field: "body.criteria", message: "criterion 1 does not say how to check it" },
  },
  {
    name: "a second criteria table",
    text: lesson(BASE, `${TABLE}\n| # | Criterion | How to check |\n| - | - | - |\n| 2 | b | y |\n`),
    expected: { severity: "warning", code: "criteria-table-repeated", line: 16, field: "body.criteria", message: "a second pass-criteria table was found; only the first one is read" },
  },
  {
    name: "tabs indenting the front-matter",
    text: lesson(`${BASE}\nprereqs:\n\t- l0`),
    expected: { severity: "warning", code: "tab-indent", line: 7, field: "front-matter", message: "tabs indent 1 front-matter line(s); read as two spaces each (YAML allows only spaces)" },
  },
  {
    name: "mojibake in the body",
    text: lesson(BASE, `${TABLE}\nLeader \u00e2\u20ac\u201d follower\n`),
    expected: { severity: "warning", code: "mojibake-repaired", line: 16, message: "repaired 1 mis-encoded character(s) (UTF-8 read as Windows-1252), e.g. `\u00e2\u20ac\u201d` -> `\u2014`; save the file as UTF-8" },
  },
];

describe("parseLesson: tolerated problems are warnings and the lesson still parses", () => {
  test.each(warningCases)("$name", ({ text, expected }) => {
    const result = parseLesson(text, "lessons/x.md");
    expect(result.lesson).toBeDefined();
    expect(result.diagnostics).toEqual([{ file: "lessons/x.md", ...expected }]);
  });
});

describe("parseLesson: a well-formed lesson", () => {
  const file = "test/fixtures/course/retry.md";
  const result = parseLesson(readFileSync(new URL("../fixtures/course/retry.md", import.meta.url), "utf8"), file);
  const l = result.lesson!;

  test("has no diagnostics", () => {
    expect(result.diagnostics).toEqual([]);
  });

  test("reads every front-matter field", () => {
    expect({ id: l.id, part: l.part, title: l.title, order: l.order, durationMinutes: l.durationMinutes, prereqs: l.prereqs, kind: l.kind, xp: l.xp, reviewScheduleDays: l.reviewScheduleDays }).toEqual({
      id: "fx-retry", part: "fx-week", title: "Fixture retry lesson", order: 2, durationMinutes: 60, prereqs: ["fx-election"], kind: "lesson", xp: 10, reviewScheduleDays: [3, 7, 21, 60],
    });
    expect(l.proof).toEqual({
      type: "paste", status: "regex", instructions: "Paste the dedup line.",
      regexPatterns: [
        { source: "\\[dedup\\] client \\S+ seq \\d+ is duplicate, returning cached result", line: 14 },
        { source: "retry", line: 15 },
      ],
    });
    expect(l.fieldLines).toMatchObject({ id: 2, proof: 10, review_schedule_days: 16 });
  });

  test("gives each pass criterion an id `<lesson>#<n>`, its line and an empty list of tests for later suites", () => {
    expect(l.criteria).toEqual([
      { id: "fx-retry#1", number: 1, text: "A retry reuses client_id and seq", howToCheck: "test/retry.test.ts", checkRefs: ["test/retry.test.ts"], line: 25, tests: [] },
      { id: "fx-retry#2", number: 2, text: "No append applied twice", howToCheck: "npm run check -- --lesson fx-retry", checkRefs: ["npm run check -- --lesson fx-retry"], line: 26, tests: [] },
    ]);
  });

  test("reads the done-when checklist with its check marks", () => {
    expect(l.doneWhen).toEqual([
      { text: "retry tests pass", checked: false, line: 30 },
      { text: "proof pasted", checked: true, line: 31 },
    ]);
  });

  test("reads the deliverable and the proof section", () => {
    expect(l.deliverable).toBe("week-12/day3-fixture.md");
    expect(l.proofSection).toBe("Paste the [dedup] line.");
    expect(l.proofExamples).toEqual([]);
  });
});

describe("parseLesson: the two proof shapes", () => {
  test("type paste_or_upload with status manual_or_regex and no patterns", () => {
    const l = parseLesson(readFileSync(new URL("../fixtures/course/election.md", import.meta.url), "utf8"), "e.md").lesson!;
    expect(l.proof).toEqual({ type: "paste_or_upload", status: "manual_or_regex", instructions: "Paste or upload the election log.", regexPatterns: [] });
    // "**Done when:**" as a bold paragraph also introduces the checklist.
    expect(l.doneWhen.map((d) => d.text)).toEqual(["election tests pass"]);
  });

  test("status defaults to regex with patterns and to manual without", () => {
    expect(parseLesson(lesson(`${BASE}\nproof:\n  type: paste\n  regex_patterns: [ok]`), "x.md").lesson!.proof!.status).toBe("regex");
    expect(parseLesson(lesson(`${BASE}\nproof:\n  type: upload`), "x.md").lesson!.proof!.status).toBe("manual");
  });
});

describe("parseLesson: real-world file damage (CRLF, BOM, tabs, mojibake, extra fields)", () => {
  const result = parseLesson(readFileSync(new URL("../fixtures/course/messy.md", import.meta.url), "utf8"), "messy.md");

  test("parses with warnings only, each at its line", () => {
    expect(result.diagnostics.map(formatDiagnostic)).toEqual([
      "messy.md:4: warning repaired 5 mis-encoded character(s) (UTF-8 read as Windows-1252), e.g. `\u00e2\u20ac\u201d` -> `\u2014`, `\u00e2\u20ac\u2122` -> `\u2019`, `\u00e2\u20ac\u0153` -> `\u201c`; save the file as UTF-8 [mojibake-repaired]",
      "messy.md:7: warning front-matter: tabs indent 1 front-matter line(s); read as two spaces each (YAML allows only spaces) [tab-indent]",
      "messy.md:8: warning author: unknown field, kept as is (known fields: id, part, title, order, duration_minutes, prereqs, kind, xp, proof, review_schedule_days) [unknown-field]",
    ]);
  });

  test("repairs the punctuation, keeps the extra field and reads the tab-indented list", () => {
    const l = result.lesson!;
    expect(l.title).toBe("Messy \u2014 retries");
    expect(l.body).toContain("It\u2019s \u201cquoted\u201d.");
    expect(l.criteria[0]!.text).toBe("Survives \u2013 all");
    expect(l.extra).toEqual({ author: "someone" });
    expect(l.prereqs).toEqual(["fx-retry"]);
    expect(l.body).not.toContain("\r");
  });
});

describe("parseLesson: a lesson of hostile size", () => {
  // Each item once looked for its text in a copy of every token after it: 200,000 items took minutes.
  test("a Done-when checklist of 200,000 items is read in one pass (well within the test's time limit)", () => {
    const n = 200_000;
    const text = `---\n${BASE}\n---\n${TABLE.replace(/## Done when[\s\S]*/, "")}## Done when\n\n${"- [ ] step\n".repeat(n - 1)}- [x] last\n`;
    const l = parseLesson(text, "huge.md").lesson!;
    expect(l.doneWhen).toHaveLength(n);
    expect(l.doneWhen.at(-1)).toEqual({ text: "last", checked: true, line: 13 + n });
  }, 60_000);
});

describe("parseLesson: numbers past what a count can be", () => {
  test.each([
    ["xp: 1e308", "xp", "must be a non-negative integer, found number 1e+308"],
    ["xp: 9007199254740993", "xp", "must be a non-negative integer, found number 9007199254740992"],
    ["order: 99999999999999999999", "order", "must be a non-negative integer, found number 100000000000000000000"],
    ["review_schedule_days: [3, 1e300]", "review_schedule_days[1]", "must be an integer number of days, found number 1e+300"],
    ["part: .nan", "part", "must be a text or a number, found number NaN"],
  ])("%s is an error: it would sum to Infinity in a report, or name no part", (line, field, message) => {
    const fm = `${BASE.split("\n").filter((l) => !l.startsWith(`${line.split(":")[0]}:`)).join("\n")}\n${line}`;
    const r = parseLesson(lesson(fm), "x.md");
    expect(r.lesson).toBeUndefined();
    expect(r.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.field}: ${d.message}`)).toEqual([`${field}: ${message}`]);
  });
});

describe("formatDiagnostic: a file name holding terminal control characters", () => {
  test("is printed with the controls escaped, so a lesson named 'x ESC[2J.md' cannot clear the terminal that runs grader lint", () => {
    const r = parseLesson(lesson(BASE, "# No table, no checklist\n"), "lessons/x\u001b[2J.md");
    const lines = r.diagnostics.map(formatDiagnostic);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(line).not.toContain("\u001b");
      expect(line.startsWith("lessons/x\\u001b[2J.md")).toBe(true);
    }
  });
});
