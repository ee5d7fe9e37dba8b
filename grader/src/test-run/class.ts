/**
 * `gradeClass`: every submission of a class directory (one folder per
 * student), graded `jobs` at a time, each report written, and the lesson
 * results recorded in the gradebook beside the proofs' (writeTestGrades).
 * When a report cannot be written, no further submission is started; the
 * ones being graded finish (their reports written), and then the error for
 * the report that failed is thrown, the gradebook left as it was.
 */
import { readdirSync, statSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { CriterionScore, TestGrade } from "../gradebook/model.js";
import { studentFileNames } from "../fs/student-names.js";
import { GradesFileError, writeTestGrades } from "../gradebook/store.js";
import { unreadableReason } from "../fs/reasons.js";
import { buildSubmissionResult, type FormatEntry, type SubmissionResult } from "../report/index.js";
import { DEFAULT_SANDBOX_GID, DEFAULT_SANDBOX_UID } from "../sandbox/index.js";
import { gradeSubmission, type GradeOptions } from "./grade.js";
import { SubmissionPathError } from "./submission.js";

export interface ClassOptions extends Omit<GradeOptions, "submission" | "name"> {
  dir: string;
  jobs: number;
  /** Gradebook directory; reports go under `<out>/reports/<student>/` (the folder named by studentFileNames). */
  out: string;
  /**
   * Each student's report folder of earlier runs (the outputs record): a
   * student keeps theirs, and a student new to the record gets none of them,
   * whether its student is in the class now or not.
   */
  keptFolders?: Readonly<Record<string, string>>;
  format: FormatEntry;
  onProgress?: (done: number, total: number, running: string[]) => void;
}

export interface ClassRow {
  student: string;
  /** The student's folder under `reports/`: the student's name, or with `~` and a hash when another differs only by case or the name is not portable. */
  reportDir: string;
  result: SubmissionResult;
  /** Why the grader could not grade it at all (a folder with no week-12/, a runner that did not start), in words naming the folder. */
  failure?: string;
}

/** A report folder's name taken by a file (or anything but a folder). */
class ReportFolderTaken extends Error {
  constructor(folder: string) {
    super(`${folder} is not a folder (a file or something else has its name); move it away`);
  }
}

export function listStudents(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => !name.startsWith("."))
    .filter((name) => {
      try {
        return statSync(join(dir, name)).isDirectory();
      } catch {
        return false;
      }
    })
    .sort();
}

export async function gradeClass(o: ClassOptions): Promise<ClassRow[]> {
  const students = listStudents(o.dir);
  const kept = o.keptFolders ?? {};
  const reportDirs = studentFileNames(students, "", kept, Object.values(kept));
  const rows: ClassRow[] = new Array(students.length);
  const running = new Set<string>();
  let next = 0;
  let done = 0;
  // The first report that could not be written (or any other error a worker ends with): no submission is handed
  // out after it; those being graded finish.
  let failed: { error: unknown } | undefined;
  await mkdir(join(o.out, "reports"), { recursive: true });
  // Each job runs its submissions as a user of its own (65534, 65533, ...): code run as one user may signal every
  // process of that user, so two students graded side by side as one user could stop each other's runners.
  const worker = async (job: number): Promise<void> => {
    for (;;) {
      if (failed !== undefined) return;
      const i = next++;
      if (i >= students.length) return;
      const student = students[i]!;
      const reportDir = reportDirs.get(student)!;
      running.add(student);
      o.onProgress?.(done, students.length, [...running]);
      let row: ClassRow;
      try {
        const { dir: _d, jobs: _j, out: _o, format: _f, onProgress: _p, keptFolders: _k, ...grading } = o;
        const graded = await gradeSubmission({ ...grading, submission: join(o.dir, student), name: student, uid: (o.uid ?? DEFAULT_SANDBOX_UID) - job, gid: (o.gid ?? DEFAULT_SANDBOX_GID) - job });
        row = { student, reportDir, result: graded.result };
      } catch (e) {
        const failure = e instanceof SubmissionPathError ? e.problem : e instanceof Error ? e.message : String(e);
        row = { student, reportDir, failure, result: buildSubmissionResult({ submission: student, startedAt: new Date(), elapsedMs: 0, tests: [], lessons: o.lessons, error: failure }) };
      }
      rows[i] = row;
      const report = join(o.out, "reports", reportDir, o.format.fileName);
      const folder = join(o.out, "reports", reportDir);
      try {
        await mkdir(folder, { recursive: true }).catch((err: NodeJS.ErrnoException) => {
          // EEXIST from a recursive mkdir: the folder's name is taken by something that is no folder.
          throw err.code === "EEXIST" ? new ReportFolderTaken(folder) : err;
        });
        await writeFile(report, o.format.write(row.result));
      } catch (err) {
        running.delete(student);
        const why = err instanceof ReportFolderTaken ? err.message : unreadableReason(err, "write");
        failed ??= { error: new GradesFileError(`cannot write ${report}: ${why}`, { cause: err }) };
        return;
      }
      running.delete(student);
      done++;
      o.onProgress?.(done, students.length, [...running]);
    }
  };
  // Every worker ends before the error is thrown, so no runner is left grading once the command reports it.
  const stopping = (job: number) =>
    worker(job).catch((error: unknown) => {
      failed ??= { error };
    });
  await Promise.all(Array.from({ length: Math.max(1, Math.min(o.jobs, students.length)) }, (_, job) => stopping(job)));
  if (failed !== undefined) throw failed.error;
  await writeTestGrades(o.out, rows.flatMap((r) => r.result.lessons.map((l) => ({ student: r.student, lesson: l.id, tests: testGrade(r.result, l.id, r.failure) }))));
  return rows;
}

/** One lesson of a result as the gradebook keeps it: points per criterion, or why it could not be graded. */
export function testGrade(r: SubmissionResult, lesson: string, failure?: string): TestGrade {
  const l = r.lessons.find((x) => x.id === lesson)!;
  const byCriterion = new Map<string, CriterionScore>();
  for (const t of r.tests.filter((t) => t.lesson === lesson && t.maxScore > 0)) {
    const c = byCriterion.get(t.criterion) ?? { criterion: t.criterion, score: 0, maxScore: 0, status: "passed" as const };
    c.score = Math.round((c.score + t.score) * 1e6) / 1e6;
    c.maxScore = Math.round((c.maxScore + t.maxScore) * 1e6) / 1e6;
    if (t.status === "error") c.status = "error";
    else if (t.status === "failed" && c.status === "passed") c.status = "failed";
    byCriterion.set(t.criterion, c);
  }
  const criteria = [...byCriterion.values()].sort((a, b) => Number(a.criterion.split("#")[1]) - Number(b.criterion.split("#")[1]));
  const errors = r.tests.filter((t) => t.lesson === lesson && t.status === "error").length;
  return { score: l.score, maxScore: l.maxScore, xp: l.xp, lessonXp: l.lessonXp, criteria, errors, gradedAt: r.startedAt, ...(failure !== undefined ? { notGraded: failure } : {}) };
}
