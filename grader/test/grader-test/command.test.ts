/**
 * The `grader test` command as an instructor runs it: usage errors and
 * unreadable paths, each report format written by --format (and valid by
 * its own specification), and --class over a small class into a gradebook
 * that already holds a proof's manual grade.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GradebookRow } from "../../src/gradebook/model.js";
import { readGradebookRows, writeGradebook } from "../../src/gradebook/store.js";
import { parseXml, validateExercismResults, validateGradescopeResults, type SubmissionResult } from "../../src/report/index.js";
import { grader } from "../helpers/cli.js";
import { HOSTILE } from "../hostile/catalogue.js";
import { makeSubmission, MUTANTS, REPOSITORY_ROOT, WORKBOOK } from "./submissions.js";

const KEYS = "w12-leader-election-client-idempotency-d05-quest-idempotency-keys-2h";
const work = mkdtempSync(join(tmpdir(), "dslab-grader-command-"));
let reference: string;
beforeAll(() => {
  process.env.DSLAB_GRADER_SEED_SCALE = "0.25";
  reference = makeSubmission(join(work, "reference"));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("grader test: the command line", () => {
  it("--help says how to grade one submission and a class", async () => {
    const r = await grader(["test", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--submission DIR/);
    expect(r.stdout).toMatch(/--class DIR/);
    expect(r.stdout).toMatch(/gradescope, exercism, junit, json, md/);
  });

  it("usage errors exit 2 and say what to give", async () => {
    const none = await grader(["test"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/give --submission DIR .* or --class DIR/);
    const both = await grader(["test", "--submission", "a", "--class", "b"]);
    expect(both.code).toBe(2);
    const format = await grader(["test", "--submission", reference, "--format", "pdf"]);
    expect(format.code).toBe(2);
    expect(format.stderr).toMatch(/--format "pdf": expected one of gradescope, exercism, junit, json, md/);
  });

  it("an unreadable submission path exits 4, naming the path and why", async () => {
    const missing = await grader(["test", "--submission", join(work, "no-such-dir")]);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toMatch(/--submission .*no-such-dir: no such directory/);
    const empty = join(work, "empty");
    mkdirSync(empty, { recursive: true });
    const notWorkbook = await grader(["test", "--submission", empty]);
    expect(notWorkbook.code).toBe(4);
    expect(notWorkbook.stderr).toMatch(/neither a week-12 directory \(with src\/\) nor a repository containing week-12\//);
  });
});

describe("grader test --format", () => {
  it("writes each format to --out: Gradescope, Exercism and JUnit valid by their specifications, JSON the result, Markdown a table per lesson", { timeout: 180_000 }, async () => {
    const files: Record<string, string> = {};
    for (const format of ["gradescope", "exercism", "junit", "json", "md"]) {
      const out = join(work, `report-${format}`);
      const r = await grader(["test", "--submission", reference, "--lesson", "keys", "--format", format, "--out", out], { timeoutMs: 120_000 });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/reference: 12 \/ 12; wrote .* to /);
      files[format] = readFileSync(out, "utf8");
    }
    const gradescope = JSON.parse(files.gradescope!) as { score: number; tests: { status: string; visibility: string }[] };
    expect(validateGradescopeResults(gradescope)).toEqual([]);
    expect(gradescope.score).toBe(12);
    expect(gradescope.tests.filter((t) => t.visibility === "after_due_date")).toHaveLength(4);
    expect(validateExercismResults(JSON.parse(files.exercism!))).toEqual([]);
    expect(() => parseXml(files.junit!)).not.toThrow();
    const json = JSON.parse(files.json!) as SubmissionResult;
    expect(json.total).toEqual({ score: 12, maxScore: 12 });
    expect(files.md).toMatch(/\*\*Total: 12 \/ 12\*\*/);
  });

  it("a failing submission's report says what failed, with the replay command for a fault run", { timeout: 180_000 }, async () => {
    const dir = makeSubmission(join(work, "vote-twice"), { overrides: { "src/vote-rules.ts": join(MUTANTS, "vote-twice.ts") } });
    const r = await grader(["test", "--submission", dir, "--lesson", "vote", "--skip-typecheck", "--format", "md"], { timeoutMs: 150_000 });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/two leaders in one term/);
    expect(r.stdout).toMatch(/npm run kv-sim -- run --seed \d+ .*--core week-12\/plug\/core\.ts/);
    expect(r.stdout).not.toMatch(/dslab-sandbox-|DSLAB_WORKBOOK=\//);
  });
});

describe("grader test: a hidden test that runs another lesson's piece", () => {
  it("w12 d03 criterion 5: with the vote rules unwritten, the cluster test names week-12/src/vote-rules.ts and the vote-rules lesson", { timeout: 180_000 }, async () => {
    const dir = makeSubmission(join(work, "retry-without-votes"), { files: { "src/vote-rules.ts": readFileSync(join(WORKBOOK, "src", "vote-rules.ts"), "utf8") } });
    const r = await grader(["test", "--submission", dir, "--lesson", "retry", "--skip-typecheck", "--format", "json"], { timeoutMs: 150_000 });
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as SubmissionResult;
    const cluster = result.tests.find((t) => t.criterion.endsWith("#5") && t.status === "failed");
    expect(cluster?.message).toBe(
      "not implemented yet: electionTimeoutTicks in week-12/src/vote-rules.ts, a piece of lesson w12-leader-election-client-idempotency-d02-quest-vote-rules-2h; this criterion-5 test runs it with yours, so its points wait on that piece too",
    );
    expect(result.tests.filter((t) => t.status !== "passed")).toHaveLength(1);
  });
});

describe("grader test --class", () => {
  it("grades every student with --jobs 2, prints the table and records criterion scores in the gradebook, manual grades kept", { timeout: 300_000 }, async () => {
    const klass = join(work, "class");
    makeSubmission(join(klass, "ada"), { repository: true });
    makeSubmission(join(klass, "bob"), { overrides: { "src/idempotency-handler.ts": join(MUTANTS, "key-ignores-body.ts") } });
    makeSubmission(join(klass, "cy"), HOSTILE.find((h) => h.name === "crash-at-start")!.make(REPOSITORY_ROOT, "class"));
    const out = join(work, "gradebook");
    const manual: GradebookRow = { student: "bob", lesson: KEYS, status: "pass", score: 60, maxScore: 60, reasons: ["reviewed by hand"], grader: "manual:kim", gradedAt: "2026-01-01T00:00:00.000Z", manual: true };
    await writeGradebook(out, KEYS, [manual]);

    const r = await grader(["test", "--class", klass, "--jobs", "2", "--lesson", "keys", "--skip-typecheck", "--out", out], { timeoutMs: 280_000 });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toMatch(/^student\s+keys\s+total\s+errors$/);
    expect(lines.find((l) => l.startsWith("ada"))).toMatch(/^ada\s+12\/12\s+12\/12\s+0$/);
    expect(lines.find((l) => l.startsWith("bob"))).toMatch(/^bob\s+\d+\/12\s+\d+\/12\s+0$/);
    expect(lines.find((l) => l.startsWith("cy"))).toMatch(/^cy\s+0\/12\s+0\/12\s+0$/);

    const rows = await readGradebookRows(out);
    const bob = rows.find((x) => x.student === "bob" && x.lesson === KEYS)!;
    expect(bob.manual).toBe(true);
    expect(bob.grader).toBe("manual:kim");
    expect(bob.tests?.criteria.map((c) => c.criterion)).toEqual([1, 2, 3, 4].map((n) => `${KEYS}#${n}`));
    expect(bob.tests?.criteria.find((c) => c.criterion === `${KEYS}#2`)?.status).toBe("failed");
    const ada = rows.find((x) => x.student === "ada")!;
    expect(ada.status).toBe("needs-review");
    expect(ada.tests).toMatchObject({ score: 12, maxScore: 12, errors: 0 });
    expect(readFileSync(join(out, "gradebook.csv"), "utf8").split("\r\n")[0]).toBe("student,lesson,status,score,max_score,reasons,grader,graded_at,test_score,test_max_score,test_xp,test_lesson_xp,test_errors,criteria");
    expect(JSON.parse(readFileSync(join(out, "reports", "cy", "result.json"), "utf8")).notes.join()).toMatch(/throws when it is imported/);

    // The proofs graded again: the test scores stay on the rows.
    await writeGradebook(out, KEYS, [{ ...manual, student: "ada", manual: false, grader: "auto", status: "pass" }]);
    const again = await readGradebookRows(out);
    expect(again.find((x) => x.student === "ada")?.tests?.score).toBe(12);
    expect(again.find((x) => x.student === "cy")?.tests?.score).toBe(0);
  });

  it("a report that cannot be written stops the class: no new submission is started, the one grading finishes and no process is left, then exit 4 naming the file", { timeout: 200_000 }, async () => {
    const klass = join(work, "class-unwritable");
    const tag = `grading-ben-${process.pid}-${Date.now()}`;
    // ana cannot be graded (an empty folder): her report is written at once, and fails.
    mkdirSync(join(klass, "ana"), { recursive: true });
    // ben takes a while: his retry client waits at import, in a shell named by the tag.
    makeSubmission(join(klass, "ben"), {
      reference: true,
      files: {
        "src/retry-client.ts": `import { execFileSync } from "node:child_process";\nexport * from "./reference/retry-client.js";\nexecFileSync("/bin/sh", ["-c", "sleep 6; true", ${JSON.stringify(tag)}]);\n`,
      },
    });
    makeSubmission(join(klass, "cid"));
    makeSubmission(join(klass, "dan"));
    const out = join(work, "gb-unwritable");
    mkdirSync(join(out, "reports"), { recursive: true });
    // A file where ana's report folder goes: her report cannot be written.
    writeFileSync(join(out, "reports", "ana"), "not a folder");

    const r = await grader(["test", "--class", klass, "--jobs", "2", "--lesson", "retry", "--skip-typecheck", "--out", out], { timeoutMs: 180_000 });
    const left = execFileSync("ps", ["-eo", "pid,args"], { encoding: "utf8" }).split("\n").filter((l) => l.includes(tag) && !l.includes("ps -eo"));
    expect(r.code, r.stderr).toBe(4);
    const ana = join(out, "reports", "ana");
    expect(r.stderr).toBe(`grader test: cannot write ${join(ana, "result.json")}: ${ana} is not a folder (a file or something else has its name); move it away\n`);
    expect(left, "processes of the submission still running after the grader ended").toEqual([]);
    // ben, being graded when ana's report failed, was finished and his report written; cid and dan were never started.
    expect(JSON.parse(readFileSync(join(out, "reports", "ben", "result.json"), "utf8")).submission).toBe("ben");
    expect(existsSync(join(out, "reports", "cid"))).toBe(false);
    expect(existsSync(join(out, "reports", "dan"))).toBe(false);
  });

  it("a class directory with no student folder exits 4 and writes nothing, like grader proofs; a missing one exits 4", async () => {
    const empty = join(work, "empty-class");
    mkdirSync(empty, { recursive: true });
    writeFileSync(join(empty, "README.txt"), "not a student");
    const out = join(work, "gb-empty");
    const r = await grader(["test", "--class", empty, "--out", out]);
    expect(r.code).toBe(4);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^grader test: --class .*empty-class: no student folder in it .*nothing written\n$/);
    expect(existsSync(out)).toBe(false);
    const missing = await grader(["test", "--class", join(work, "nope")]);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toMatch(/--class .*nope: no such directory/);
  });

  it("w12 d03 (retry): a row with no proof carries the lesson's XP as its maximum, never the test XP; a folder that cannot be graded says so and why, by the student's name", { timeout: 200_000 }, async () => {
    const klass = join(work, "class-retry");
    makeSubmission(join(klass, "alice"));
    makeSubmission(join(klass, "carl"), { stubs: true });
    mkdirSync(join(klass, "dora"), { recursive: true });
    const out = join(work, "gb-retry");
    // A proof row of another lesson already there: the rows come out sorted by student, then lesson.
    await writeGradebook(out, "w11-l04", [{ student: "carl", lesson: "w11-l04", status: "pass", score: 30, maxScore: 30, reasons: [], grader: "auto", gradedAt: "2026-01-01T00:00:00.000Z", manual: false }]);
    const r = await grader(["test", "--class", klass, "--jobs", "2", "--lesson", "retry", "--skip-typecheck", "--out", out], { timeoutMs: 180_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split("\n").find((l) => l.startsWith("dora"))).toMatch(/^dora\s+-\s+-\s+not graded$/);
    expect(r.stderr).toMatch(/^grader test: dora: not graded: neither a week-12 directory \(with src\/\) nor a repository containing week-12\/ \(.*class-retry\/dora\)$/m);
    expect(r.stderr).not.toMatch(/--submission/);

    const rows = await readGradebookRows(out);
    expect(rows.map((x) => `${x.student} ${x.lesson.slice(0, 8)}`)).toEqual(["alice w12-lead", "carl w11-l04", "carl w12-lead", "dora w12-lead"]);
    const retry = rows.filter((x) => x.lesson.includes("retry"));
    for (const row of retry) expect(row.maxScore, row.student).toBe(60);
    expect(retry.find((x) => x.student === "alice")?.tests).toMatchObject({ score: 20, maxScore: 20, xp: 60, lessonXp: 60 });
    expect(retry.find((x) => x.student === "carl")?.tests).toMatchObject({ score: 0, xp: 0, lessonXp: 60 });
    const dora = retry.find((x) => x.student === "dora")!;
    expect(dora.reasons).toEqual(["not graded: grader test could not grade the submission: neither a week-12 directory (with src/) nor a repository containing week-12/; no proof graded yet"]);
    expect(dora.tests?.notGraded).toMatch(/^neither a week-12 directory/);
    const csv = readFileSync(join(out, "gradebook.csv"), "utf8").split("\r\n");
    expect(csv[0]).toBe("student,lesson,status,score,max_score,reasons,grader,graded_at,test_score,test_max_score,test_xp,test_lesson_xp,test_errors,criteria");
    expect(csv.find((l) => l.startsWith("dora,"))).toMatch(/,,,,60,,not graded: neither a week-12 directory/);

    // The proofs graded afterwards for alice only: carl and dora, with no paste, keep the lesson's maximum.
    await writeGradebook(out, retry[0]!.lesson, [{ student: "alice", lesson: retry[0]!.lesson, status: "pass", score: 60, maxScore: 60, reasons: [], grader: "auto", gradedAt: "2026-01-02T00:00:00.000Z", manual: false }]);
    const after = await readGradebookRows(out);
    expect(after.filter((x) => x.lesson.includes("retry")).map((x) => [x.student, x.maxScore])).toEqual([["alice", 60], ["carl", 60], ["dora", 60]]);
  });
});
