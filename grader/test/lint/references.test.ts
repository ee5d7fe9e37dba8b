import { mkdtemp, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { formatDiagnostic } from "../../src/lesson/model.js";
import { lintDirectory } from "../../src/lint/lint.js";
import { checkLessons, classifyRef, mentionsCriterion, readRepository, referenceRules, resolveLesson, type Repository } from "../../src/lint/references.js";
import { makeLesson } from "../helpers/lessons.js";

/** A repository with lessons whose "How to check" cells name files, check commands and scripts, some of them wrong. */
const REFS_REPO = fileURLToPath(new URL("../fixtures/refs-repo/", import.meta.url));
const REFS_LESSONS = `${REFS_REPO}lessons`;

describe("a How-to-check code span is a file, a check command, a script or something else", () => {
  test.each([
    ["week-12/test/retry-client.test.ts", { kind: "file", path: "week-12/test/retry-client.test.ts", test: true }],
    ["./week-12/test/x.spec.js:12:3", { kind: "file", path: "week-12/test/x.spec.js", test: true }],
    ["week-12/node/test_main.py", { kind: "file", path: "week-12/node/test_main.py", test: true }],
    ["week-12/day2-vote-rules.md", { kind: "file", path: "week-12/day2-vote-rules.md", test: false }],
    ["npm run check -- --lesson retry", { kind: "check", script: "check", lessons: ["retry"] }],
    ["npm run check -- vote", { kind: "check", script: "check", lessons: ["vote"] }],
    ["npm run check -- --seeds 5 --lesson=keys,dedup", { kind: "check", script: "check", lessons: ["keys", "dedup"] }],
    ["npm run check -- --seeds 5", { kind: "check", script: "check", lessons: [] }],
    ["npm run check", { kind: "check", script: "check", lessons: [] }],
    ["npm run kv-sim -- run --seed 1", { kind: "script", script: "kv-sim" }],
    ["kv-sim run --seed 920564 --nemesis all", { kind: "script", script: "kv-sim" }],
    ["npm test", { kind: "script", script: "test" }],
    ["npx vitest run test/x.test.ts", { kind: "other" }],
    ["npm ci", { kind: "other" }],
    ["[dedup] client 42", { kind: "other" }],
    ["x", { kind: "other" }],
    ["became leader for term N", { kind: "other" }],
    ["history-check history.edn", { kind: "script", script: "history-check" }],
    ["kv get x", { kind: "other" }],
    ["kv --node n1 get x", { kind: "script", script: "kv" }],
  ])("%s", (span, ref) => {
    expect(classifyRef(span)).toEqual(ref);
  });

  test("the check command's lessons: every --lesson, else the first positional; option values are not lessons", () => {
    expect(checkLessons(["--", "--lesson", "a", "--lesson", "b,c"])).toEqual(["a", "b", "c"]);
    expect(checkLessons(["--", "--workbook", "dir", "retry"])).toEqual(["retry"]);
    expect(checkLessons(["--", "-v"])).toEqual([]);
  });
});

describe("a test file has a test for a criterion when it holds the criterion id, not followed by a digit", () => {
  test.each([
    ['it("w11-l04#1 a repeat is answered from the table")', true],
    ['it(`w11-l04#1: ...`)', true],
    ['"w11-l04#1"', true],
    ['it("w11-l04#12 another criterion")', false],
    ['it("w11-l04#10 and w11-l04#1")', true],
    ['it("w11-l04 #1")', false],
  ])("%s", (text, found) => {
    expect(mentionsCriterion(text, "w11-l04#1")).toBe(found);
  });
});

test("a check command's lesson is an exact id, else a unique case-insensitive part of an id or title", () => {
  const lessons = [makeLesson({ id: "w12-d03-retry", title: "Quest: Client Retry" }), makeLesson({ id: "w12-d05-keys", title: "Quest: Idempotency Keys" }), makeLesson({ id: "w12", title: "Overview" })];
  expect(resolveLesson("w12", lessons)).toEqual({ lesson: lessons[2] });
  expect(resolveLesson("RETRY", lessons)).toEqual({ lesson: lessons[0] });
  expect(resolveLesson("idempotency", lessons)).toEqual({ lesson: lessons[1] });
  expect(resolveLesson("quest", lessons)).toEqual({ candidates: [lessons[0], lessons[1]] });
  expect(resolveLesson("nope", lessons)).toEqual({ candidates: [] });
});

describe("referenceRules over an in-memory repository", () => {
  const criterion = (n: number, checkRefs: string[]) => ({ id: `fx#${n}`, number: n, text: "t", howToCheck: checkRefs.join(", "), checkRefs, line: 20 + n, tests: [] });
  const repo = (over: Partial<Repository> = {}): Repository => ({
    root: "repo",
    files: new Map([["test/fx.test.ts", { kind: "file", text: 'it("fx#1 works")' }], ["docs/old.d", { kind: "problem", reason: "it is a directory, not a file" }]]),
    scripts: new Set(["check"]),
    ...over,
  });

  test("a path outside the repository and a directory are errors", () => {
    const l = makeLesson({ id: "fx", criteria: [criterion(1, ["../elsewhere/x.test.ts", "/abs/x.test.ts", "docs/old.d"])] });
    expect(referenceRules([l], repo()).map((d) => `${d.code}: ${d.message}`)).toEqual([
      "ref-outside-root: criterion fx#1: `../elsewhere/x.test.ts` points outside the repository; name a path relative to its root",
      "ref-outside-root: criterion fx#1: `/abs/x.test.ts` points outside the repository; name a path relative to its root",
      "ref-missing-file: criterion fx#1: `docs/old.d` cannot be used: it is a directory, not a file",
    ]);
  });

  test("without a root package.json, every command is an error that says so", () => {
    const l = makeLesson({ id: "fx", criteria: [criterion(1, ["test/fx.test.ts", "npm run check -- fx"])] });
    expect(referenceRules([l], repo({ scripts: { problem: "there is no package.json" } })).map(formatDiagnostic)).toEqual([
      'lessons/fx.md:21: error body.criteria: criterion fx#1: `npm run check -- fx` runs the npm script "check", but there is no package.json (repository root: repo) [ref-unknown-script]',
    ]);
  });

  test("a check command names lessons of the whole course, those with errors too", () => {
    const l = makeLesson({ id: "fx", criteria: [criterion(1, ["npm run check -- --lesson broken-one"])] });
    expect(referenceRules([l], repo())).toHaveLength(1);
    expect(referenceRules([l], repo(), [l, makeLesson({ id: "broken-one" })])).toEqual([]);
  });
});

describe("grader lint holds the How-to-check references to the repository (fixture: refs-repo)", () => {
  test("each kind of dangling reference is an error naming the criterion, the span and what is wrong; valid ones pass", async () => {
    const report = await lintDirectory(REFS_LESSONS);
    const found = report.diagnostics.map((d) => `${d.file.split("/").pop()}:${d.line} ${d.severity} ${d.code}: ${d.message}`);
    const root = path.relative(process.cwd(), REFS_REPO);
    expect(found).toEqual([
      `dangling.md:15 error ref-missing-file: criterion fx-dangling#1: \`week-12/test/gone.test.ts\` does not exist (repository root: ${root})`,
      `dangling.md:16 error ref-missing-file: criterion fx-dangling#2: \`docs/gone.md\` does not exist (repository root: ${root})`,
      'unknown-lesson.md:15 error ref-unknown-lesson: criterion fx-unknown-lesson#1: `npm run check -- --lesson nosuch` names no lesson: "nosuch" is neither a lesson id nor part of one\'s id or title in this course',
      'unknown-lesson.md:16 error ref-ambiguous-lesson: criterion fx-unknown-lesson#2: `npm run check -- fx-` names more than one lesson: "fx-" is part of fx-dangling, fx-unknown-lesson, fx-unknown-script, fx-unrunnable, fx-untitled, fx-valid; name one by its id or a part only it has',
      'unknown-script.md:15 error ref-unknown-script: criterion fx-unknown-script#1: `npm run kv-sims -- run` runs the npm script "kv-sims", which the root package.json does not have (scripts: check, kv-sim)',
      'unknown-script.md:16 error ref-unknown-script: criterion fx-unknown-script#2: `history-check history.edn` runs the npm script "history-check", which the root package.json does not have (scripts: check, kv-sim)',
      'unrunnable.md:15 warning criterion-no-ref: criterion fx-unrunnable#1 names no test file or check command a student can run (`week-12/test/x.test.ts`, `npm run check -- --lesson ID`) under "How to check"',
      'untitled.md:15 error ref-no-test: criterion fx-untitled#1: `week-12/test/good.test.ts` has no test for this criterion: no test title there starts with "fx-untitled#1"',
    ]);
    expect(report).toMatchObject({ files: 6, lessons: 6, errors: 7, warnings: 1 });
  });

  test("the valid lesson alone is clean: a test file with its titles, check commands by id and by part of a title, a script, a plain file", async () => {
    const report = await lintDirectory(REFS_LESSONS);
    expect(report.diagnostics.filter((d) => d.file.endsWith("valid.md"))).toEqual([]);
  });

  test("references are relative to --root: from another root every file dangles and no script exists", async () => {
    const report = await lintDirectory(REFS_LESSONS, fileURLToPath(new URL("../fixtures/pastes/", import.meta.url)));
    const valid = report.diagnostics.filter((d) => d.file.endsWith("valid.md")).map((d) => d.code);
    expect(valid).toEqual(["ref-missing-file", "ref-unknown-script", "ref-unknown-script", "ref-unknown-script", "ref-missing-file", "ref-missing-file"]);
  });
});

describe("the root package.json under --root", () => {
  test("one far larger than a package.json is a problem that says its size, not read", async () => {
    const root = await mkdtemp(path.join(tmpdir(), "grader-refs-"));
    try {
      const file = path.join(root, "package.json");
      await writeFile(file, "");
      await truncate(file, 64 * 1024 * 1024);
      const repo = await readRepository(root, []);
      expect(repo.scripts).toEqual({ problem: "the root package.json cannot be read: it is 67,108,864 bytes, more than the 4,194,304 a package.json may be" });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
