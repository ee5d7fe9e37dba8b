// `grader test`: grades a submission's code (a student's week-12/, or a
// repository containing it) with the visible checks and the hidden suites,
// in the sandbox, and writes a report; or, with --class, every submission of
// a class, in parallel, into the gradebook. This module is the command's
// shell: options, the terminal (progress line, summary table), the files.
import { existsSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { InputError, intOption, numberOption, prepareOutDir, UsageError } from "@dslab/protocol/cli";
import { readFile } from "node:fs/promises";
import { readGradebookRows, readOutputRecord, writeOutputRecord } from "../../gradebook/store.js";
import { sha256, sweepRenamed } from "../../fs/outputs.js";
import { hashedName, portableName } from "../../fs/student-names.js";
import { FORMATS, formatByName, type FormatEntry, type SubmissionResult } from "../../report/index.js";
import { DEFAULT_SANDBOX_UID } from "../../sandbox/index.js";
import { gradeClass, listStudents } from "../../test-run/class.js";
import { DEFAULT_LIMITS, GraderError, gradeSubmission, ISOLATED_LIMITS, protectInstructorFiles } from "../../test-run/grade.js";
import { REPOSITORY_ROOT } from "../../check/load.js";
import { gradedLessons, type GradedLesson } from "../../test-run/lessons.js";
import { SubmissionPathError } from "../../test-run/submission.js";
import { DEFAULT_GRADES_DIR, EXIT, sameDirectory, shown, unreadableReason, type Command, type Io } from "../args.js";

const INTERNAL = 70;
/** Scales the hidden fault runs' seeds: for the grader's own tests and bench only. */
export const SEED_SCALE_VARIABLE = "DSLAB_GRADER_SEED_SCALE";

export const test: Command = {
  name: "test",
  help: `Usage: grader test --submission DIR [--lesson ID]... [--format F] [--out FILE]
       grader test --class DIR [--jobs N] [--lesson ID]... [--format F] [--out DIR]

Grades a submission's code: a student's week-12/ directory, or a whole
repository containing week-12/ (either is detected). The submission's src/ and
node/ are copied into a sandbox over the reference workbook's own files: its
checks/, plug/, test/, package.json and src/todo.ts are never used (the
report says which it ignored), a workbook file it lacks is graded as the
stub. Then, in a sandboxed child process that imports the visible checks and
the hidden suites and gives up root before it imports the submission's code:
tsc --noEmit over src/ and node/ (type errors are reported, they cost no
points), the visible checks, then the hidden tests, one at a time.

Each test is passed, failed (the message says what failed: the criterion,
the seed, expected and received, the checker's anomaly, and the npm run
kv-sim command that replays a fault run in the student's repository), or
error: it could not judge (a test over its wall time, the memory, output or
process limit; the whole run is killed, the test named with the limit, and
a fresh runner goes on with the tests left). A lesson's score is the sum of
its tests' weights passed (visible 1 each, hidden their own), its XP in
proportion.

Options:
  --submission DIR   the submission to grade
  --class DIR        grade every folder of DIR (one per student) instead
  --jobs N           submissions graded at once with --class (default 2)
  --lesson ID        only this lesson (its id or a piece of it: retry, vote,
                     dedup, keys, w11); repeat or give a comma list
  --format F         ${FORMATS.map((f) => f.name).join(", ")} (default: md on stdout,
                     json with --out); --class writes one per student
  --out PATH         --submission: the report file (default: stdout);
                     --class: the gradebook directory (default ${DEFAULT_GRADES_DIR};
                     not the class DIR itself):
                     gradebook.csv and .json (the rows grader proofs writes, each
                     with its criterion scores; manual grades are kept) and
                     reports/<student>/<file> (a student name that differs
                     from another only by case, or is no portable file name,
                     gains ~ and a hash of it; listed on stderr); each
                     student's folder is recorded in .grader-outputs.json and
                     kept on later runs, whoever arrives or leaves; a folder
                     a student no longer has is removed when the record holds
                     its files as theirs and they are unchanged, else left
                     and listed on stderr
  --hidden-visibility V  how hidden tests are marked in the report: hidden,
                     after_due_date (default) or after_published
  --isolate          import the submission's code in a process of its own,
                     out of reach of the hidden tests' code and the results
                     file (below); checks that call it on every simulated
                     event take about ten times longer, so the time limits
                     not given are ${ISOLATED_LIMITS.testWallMs / 1000} s a test and ${ISOLATED_LIMITS.submissionWallMs / 1000} s a submission
  --test-timeout S   wall seconds one test may take (default ${DEFAULT_LIMITS.testWallMs / 1000})
  --budget S         wall seconds for a whole submission (default ${DEFAULT_LIMITS.submissionWallMs / 1000})
  --skip-typecheck   do not run tsc --noEmit
  --json             the same as --format json
  --lessons DIR      the course directory (titles and XP; default: lessons)
  -h, --help         show this help

What the submission's code can reach: it runs as the sandbox user (uid
${DEFAULT_SANDBOX_UID}) once the runner has imported the checks and the hidden suites,
with limits on wall time, CPU, memory, output and processes, on a loopback-
only network, with private /tmp. grader/hidden/ and grader/solutions/ are
made 0700 (root's) before a run, so it cannot read them from disk. By
default it runs in the runner's process, where the hidden tests' code is
in memory and the results file is open: code that reads one or writes the
other is caught only by reading the report. With --isolate it runs in a
process of its own, and neither is within its reach. Without root none of
this holds (a note in the report says so).

Exit codes: 0 the grading ran (whatever the scores; the report has the
outcome), 2 usage error, 4 the submission or class directory cannot be read,
or the class directory holds no student folder (nothing is written then),
or a report or the gradebook cannot be written (named, with why; with
--class no further submission is started then, and the ones being graded
finish first),
70 the grader itself could not run (the runner did not start).
`,
  options: {
    submission: { type: "string" },
    class: { type: "string" },
    jobs: { type: "string" },
    lesson: { type: "string", multiple: true },
    format: { type: "string" },
    out: { type: "string" },
    "hidden-visibility": { type: "string" },
    "test-timeout": { type: "string" },
    budget: { type: "string" },
    "skip-typecheck": { type: "boolean", default: false },
    isolate: { type: "boolean", default: false },
  },
  async run(values, positionals, io) {
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}: give the submission with --submission DIR`);
    const submission = values.submission as string | undefined;
    const klass = values.class as string | undefined;
    if ((submission === undefined) === (klass === undefined)) throw new UsageError("give --submission DIR (one submission) or --class DIR (a folder per student), one of them");
    // --json (every command's) is --format json.
    const formatName = (values.format as string | undefined) ?? (values.json === true ? "json" : undefined);
    const format = formatName === undefined ? undefined : formatByName(formatName);
    if (formatName !== undefined && !format) throw new UsageError(`--format ${JSON.stringify(formatName)}: expected one of ${FORMATS.map((f) => f.name).join(", ")}`);
    const visibility = (values["hidden-visibility"] as string | undefined) ?? "after_due_date";
    if (!["hidden", "after_due_date", "after_published"].includes(visibility)) throw new UsageError(`--hidden-visibility ${JSON.stringify(visibility)}: expected hidden, after_due_date or after_published`);
    const testTimeout = numberOption(values["test-timeout"] as string | undefined, "test-timeout", { min: 1 });
    const budget = numberOption(values.budget as string | undefined, "budget", { min: 1 });
    const jobs = intOption(values.jobs as string | undefined, "jobs", { min: 1, max: 64 }) ?? 2;
    if (values.jobs !== undefined && klass === undefined) throw new UsageError("--jobs goes with --class");
    const hiddenSuites = path.join(REPOSITORY_ROOT, "grader", "hidden", "index.ts");
    if (!existsSync(hiddenSuites)) {
      throw new UsageError(`the hidden suites are not here (${path.relative(process.cwd(), hiddenSuites) || hiddenSuites}); they exist only in the instructor's repository, so grader test runs there (a student runs npm run check)`);
    }
    const lessons = await gradedLessons(String(values.lessons), (values.lesson as string[] | undefined) ?? []);
    const seedScale = Number(process.env[SEED_SCALE_VARIABLE] ?? "1");
    const common = {
      lessons,
      seedScale: Number.isFinite(seedScale) && seedScale > 0 ? seedScale : 1,
      typecheck: values["skip-typecheck"] !== true,
      isolate: values.isolate === true,
      hiddenVisibility: visibility as "hidden" | "after_due_date" | "after_published",
      limits: { ...(testTimeout ? { testWallMs: testTimeout * 1000 } : {}), ...(budget ? { submissionWallMs: budget * 1000, submissionCpuMs: budget * 1500 } : {}) },
    };
    // Said (and done) once the command is known to grade: a refused command changes nothing and says only why.
    const protect = (): void => {
      for (const line of protectInstructorFiles()) io.stderr(`grader test: ${line}\n`);
    };

    if (submission !== undefined) {
      const reportFile = values.out as string | undefined;
      if (reportFile !== undefined && existsSync(reportFile) && statSync(reportFile).isDirectory()) {
        throw new InputError(`--out ${reportFile}: it is a directory; give the report's file name (--out DIR is for --class)`);
      }
      protect();
      let graded;
      try {
        graded = await gradeSubmission({ ...common, submission: path.resolve(submission), name: path.basename(path.resolve(submission)) });
      } catch (e) {
        if (e instanceof SubmissionPathError) throw new InputError(e.message);
        if (e instanceof GraderError) {
          io.stderr(`grader test: the grader could not run: ${e.message}\n`);
          return INTERNAL;
        }
        throw e;
      }
      const out = values.out as string | undefined;
      const f = format ?? (out === undefined ? formatByName("md")! : formatByName("json")!);
      const text = f.write(graded.result);
      if (out === undefined) io.stdout(text);
      else {
        try {
          writeFileSync(out, text);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          const why = code === "EISDIR" ? "it is a directory; give the report's file name" : code === "ENOENT" || code === "ENOTDIR" ? "its directory does not exist" : unreadableReason(e, "write");
          throw new InputError(`--out ${out}: cannot write the report there: ${why}`);
        }
        io.stderr(`grader test: ${summaryLine(graded.result)}; wrote ${f.name} to ${out}\n`);
      }
      return EXIT.ok;
    }

    const dir = path.resolve(klass!);
    let students: string[];
    try {
      students = listStudents(dir);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOENT") throw new InputError(`--class ${klass}: no such directory`);
      // ENOTDIR for the path itself (a file, a device), not only for a parent of it.
      if (code === "ENOTDIR" && existsNotDirectory(dir)) {
        throw new InputError(`--class ${klass}: it is not a directory; give the directory that holds one folder per student`);
      }
      throw new InputError(`--class ${klass}: cannot read it: ${unreadableReason(e)}`);
    }
    if (students.length === 0) throw new InputError(`--class ${klass}: no student folder in it (one folder per student, each a week-12/ or a repository); nothing graded, nothing written`);
    const out = path.resolve((values.out as string | undefined) ?? DEFAULT_GRADES_DIR);
    if (sameDirectory(out, dir)) {
      throw new UsageError(`--out ${values.out} is the class directory ${klass}; its reports/ folder would be graded as a student on the next run: give another --out`);
    }
    // Refused in one line naming --out (exit 4) before any grading, as is a gradebook there that cannot be read.
    prepareOutDir(out, []);
    await readGradebookRows(out);
    const record = await readOutputRecord(out);
    protect();
    const progress = process.stderr.isTTY === true;
    const rows = await gradeClass({
      ...common,
      dir,
      jobs,
      out,
      keptFolders: record.reportFolders,
      format: format ?? formatByName("json")!,
      onProgress: (done, total, running) => {
        if (progress) io.stderr(`\r\x1b[2Kgraded ${done}/${total}${running.length > 0 ? `; grading ${running.join(", ")}` : ""}`);
      },
    });
    if (progress) io.stderr("\r\x1b[2K");
    io.stdout(classTable(rows.map((r) => r.result), lessons));
    io.stdout(`\nGradebook: ${path.join(out, "gradebook.csv")} and gradebook.json; reports under ${path.join(out, "reports")}/\n`);
    const renamed = rows.filter((r) => r.reportDir !== r.student);
    if (renamed.length > 0) {
      io.stderr(`grader test: ${renamed.length} report folder(s) not named as their student (a name that differs from another only by case, or is no portable file name, gains ~ and a hash of it):\n`);
      for (const r of renamed) io.stderr(`  ${shown(JSON.stringify(r.student))} -> reports/${r.reportDir}/\n`);
    }
    // Reports of an earlier run in a folder the student no longer has: removed when recorded as theirs and unchanged, else listed.
    const reportFile = (format ?? formatByName("json")!).fileName;
    const current = new Map(rows.map((r) => [`student:${r.student}`, `reports/${r.reportDir}`]));
    const earlier = new Map(rows.map((r) => {
      const plain = portableName(r.student);
      return [`student:${r.student}`, [r.student, hashedName(r.student), ...(plain !== undefined ? [plain] : [])].filter((d) => d !== "." && d !== ".." && !/[/\\]/.test(d)).map((d) => `reports/${d}`)];
    }));
    const { stale, kept } = await sweepRenamed(out, record.outputs, current, earlier);
    const written = Object.fromEntries(
      await Promise.all(rows.map(async (r) => {
        const file = `reports/${r.reportDir}/${reportFile}`;
        return [file, { owner: `student:${r.student}`, sha256: sha256(await readFile(path.join(out, file))) }] as const;
      })),
    );
    // Each student's folder, kept for the next run; a student not in this class keeps theirs too.
    const reportFolders = new Map(Object.entries(record.reportFolders));
    for (const r of rows) reportFolders.set(r.student, r.reportDir);
    await writeOutputRecord(out, { outputs: { ...kept, ...written }, reportFolders: Object.fromEntries(reportFolders) });
    for (const f of stale) {
      const student = f.owner.slice("student:".length);
      io.stderr(`grader test: ${f.removed ? "removed" : "left stale"} ${shown(path.join(out, f.file))}: ${shown(JSON.stringify(student))}'s report of an earlier run, now in ${shown(f.now)}/; ${f.reason}\n`);
    }
    const failed = rows.filter((r) => r.failure !== undefined);
    for (const r of failed) io.stderr(`grader test: ${shown(r.student)}: not graded: ${r.failure} (${shown(path.join(dir, r.student))})\n`);
    return EXIT.ok;
  },
};

/** Whether `p` is there and is no directory (a file, a device): ENOTDIR is then about `p` itself, not a parent. */
function existsNotDirectory(p: string): boolean {
  try {
    return !statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function summaryLine(r: SubmissionResult): string {
  const errors = r.tests.filter((t) => t.status === "error").length;
  return `${r.submission}: ${r.total.score} / ${r.total.maxScore}${errors > 0 ? `, ${errors} test(s) could not judge` : ""}`;
}

/** The class summary: one row per student, the score per lesson, the total and the tests that could not judge. */
export function classTable(results: readonly SubmissionResult[], lessons: readonly GradedLesson[]): string {
  const header = ["student", ...lessons.map((l) => l.short), "total", "errors"];
  // A submission that could not be graded has no score: "-", not 0/0.
  const rows = results.map((r) => [
    r.submission,
    ...lessons.map((l) => {
      const x = r.lessons.find((y) => y.id === l.id);
      return x && !r.error ? `${x.score}/${x.maxScore}` : "-";
    }),
    r.error ? "-" : `${r.total.score}/${r.total.maxScore}`,
    r.error ? "not graded" : String(r.tests.filter((t) => t.status === "error").length),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ").trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n") + "\n";
}

export type { FormatEntry, Io };
