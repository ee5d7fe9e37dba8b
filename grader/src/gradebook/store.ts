// The output directory of `grader proofs` and `grader review`: gradebook.csv,
// gradebook.json, manual-grades.json and one review-<lesson>.html per lesson.
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { abbreviatePath, readRegularFile, ReadRegularError } from "@dslab/protocol/cli";
import { unreadableReason } from "../fs/reasons.js";
import { hashedName, portableName } from "../fs/student-names.js";
import { decodeUtf8, NotUtf8Error } from "../fs/utf8.js";
import { isOutputRecord, type OutputRecord } from "../fs/outputs.js";
import { gradebookCsv } from "./csv.js";
import { compareRows, NO_PROOF_REASON, notGradedReason, type GradebookRow, type ManualGrade, type TestGrade } from "./model.js";

export const MANUAL_GRADES_FILE = "manual-grades.json";
export const GRADEBOOK_JSON = "gradebook.json";
export const GRADEBOOK_CSV = "gradebook.csv";

export class GradesFileError extends Error {
  readonly code = "GRADES_FILE";
}

/** Largest grades file read (gradebook.json, manual-grades.json): far more than a class's; a larger one is refused, not read. */
export const GRADES_FILE_BYTES_MAX = 256 * 1024 * 1024;

/**
 * A grades file's JSON, or undefined when there is none. One that is not a
 * regular file, is over GRADES_FILE_BYTES_MAX, cannot be opened or is not
 * JSON is a GradesFileError naming it (exit 4), never a crash.
 */
async function readJson(file: string): Promise<unknown | undefined> {
  let bytes: Buffer;
  try {
    bytes = (await readRegularFile(file, { maxBytes: GRADES_FILE_BYTES_MAX })).bytes;
  } catch (err) {
    if (!(err instanceof ReadRegularError)) throw err;
    if (err.code === "ENOENT") return undefined;
    if (err.code === "NOT_A_FILE") throw new GradesFileError(`${file}: ${err.message}; move it away`, { cause: err });
    if (err.code === "TOO_LARGE") {
      const size = (err.details.size ?? 0).toLocaleString("en-US");
      throw new GradesFileError(`${file}: it is ${size} bytes, more than the ${GRADES_FILE_BYTES_MAX.toLocaleString("en-US")} a grades file may be; move it away`, { cause: err });
    }
    throw new GradesFileError(`${file} cannot be read: ${unreadableReason(err)}; fix or move it away`, { cause: err });
  }
  let text: string;
  try {
    // Not UTF-8 (a hand edit saved in Latin-1): refused where it is, not read with U+FFFD in a student's name.
    text = decodeUtf8(bytes, file);
  } catch (err) {
    throw new GradesFileError(`${(err as NotUtf8Error).message}; or move it away`, { cause: err });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new GradesFileError(`${file} is not valid JSON (${(err as Error).message}); fix or move it away`, { cause: err });
  }
}

/**
 * Writes through a temporary file so a crash never leaves half a grades file.
 * A file that cannot be written is a GradesFileError naming it and saying
 * why (exit 4); the temporary file is removed.
 */
export async function writeFileAtomic(file: string, data: string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(tmp, data);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    const shown = (err as NodeJS.ErrnoException).code === "ENAMETOOLONG" ? abbreviatePath(file) : file;
    throw new GradesFileError(`cannot write ${shown}: ${unreadableReason(err, "write")}`, { cause: err });
  }
}

export async function readManualGrades(outDir: string): Promise<ManualGrade[]> {
  const file = path.join(outDir, MANUAL_GRADES_FILE);
  const data = await readJson(file);
  if (data === undefined) return [];
  const grades = (data as { grades?: unknown } | null)?.grades;
  if (!Array.isArray(grades)) throw new GradesFileError(`${file}: expected {"version":1,"grades":[...]}`);
  grades.forEach((g: Partial<ManualGrade> | null, i) => {
    // Each field lands in the gradebook as text: a missing note was written "manual: undefined", an object --by "manual:[object Object]".
    const fields =
      typeof g?.lesson === "string" &&
      typeof g.student === "string" &&
      (g.status === "pass" || g.status === "fail") &&
      typeof g.note === "string" &&
      typeof g.gradedAt === "string" &&
      !Number.isNaN(Date.parse(g.gradedAt)) &&
      (g.by === undefined || typeof g.by === "string") &&
      (g.sha256 === undefined || typeof g.sha256 === "string");
    if (!fields) {
      throw new GradesFileError(`${file}: grades[${i}] needs lesson, student, status (pass|fail), note (a text), gradedAt (an ISO time) and, when given, by and sha256 (texts)`);
    }
  });
  return grades as ManualGrade[];
}

export async function writeManualGrades(outDir: string, grades: readonly ManualGrade[]): Promise<void> {
  await writeFileAtomic(path.join(outDir, MANUAL_GRADES_FILE), JSON.stringify({ version: 1, grades }, null, 2) + "\n");
}

/**
 * The gradebook's rows (none when there is no gradebook.json yet). A file
 * of another shape is refused, naming the row: every later write replaces
 * the file, and would drop what it could not read.
 */
export async function readGradebookRows(outDir: string): Promise<GradebookRow[]> {
  const file = path.join(outDir, GRADEBOOK_JSON);
  const data = await readJson(file);
  if (data === undefined) return [];
  const rows = (data as { rows?: unknown } | null)?.rows;
  if (!Array.isArray(rows)) throw new GradesFileError(`${file}: expected {"version":1,"rows":[...]}; fix or move it away`);
  rows.forEach((r: Partial<GradebookRow> | null, i) => {
    const fields =
      typeof r?.student === "string" &&
      typeof r.lesson === "string" &&
      (r.status === "pass" || r.status === "fail" || r.status === "needs-review") &&
      (r.score === null || typeof r.score === "number") &&
      typeof r.maxScore === "number" &&
      Array.isArray(r.reasons) &&
      r.reasons.every((x) => typeof x === "string") &&
      typeof r.grader === "string" &&
      typeof r.gradedAt === "string" &&
      (r.tests === undefined || (typeof r.tests === "object" && r.tests !== null && Array.isArray(r.tests.criteria)));
    if (!fields) {
      throw new GradesFileError(
        `${file}: rows[${i}] needs student, lesson, status (pass|fail|needs-review), score (a number or null), maxScore, reasons (a list of texts), grader and gradedAt; fix or move it away`,
      );
    }
  });
  return rows as GradebookRow[];
}

/**
 * Replaces the rows of `lesson` in the gradebook (other lessons' rows are
 * kept) and writes CSV and JSON. A row's `grader test` result is kept from
 * the row it replaces, and a student with only such a result keeps that row.
 */
export async function writeGradebook(outDir: string, lesson: string, rows: readonly GradebookRow[]): Promise<GradebookRow[]> {
  const existing = await readGradebookRows(outDir);
  const others = existing.filter((r) => r.lesson !== lesson);
  const tested = new Map(existing.filter((r) => r.lesson === lesson && r.tests !== undefined).map((r) => [r.student, r]));
  const replaced = rows.map((r) => (r.tests === undefined && tested.get(r.student)?.tests ? { ...r, tests: tested.get(r.student)!.tests } : r));
  // A row of grader test alone carries the lesson's maximum, the proof's (older gradebooks held the test XP there).
  const proofMax = rows[0]?.maxScore;
  const testOnly = [...tested.values()].filter((t) => !rows.some((r) => r.student === t.student)).map((t) => (isTestOnly(t) && proofMax !== undefined ? { ...t, maxScore: proofMax } : t));
  return writeRows(outDir, [...others, ...replaced, ...testOnly]);
}

/**
 * Records `grader test` results: for each (student, lesson) the row's
 * `tests` is set, the proof's status, score, reasons and any manual grade
 * left as they are; a lesson with no row yet gets one, needs-review with the
 * lesson's XP as its maximum, saying no proof was graded yet (or that the
 * submission could not be graded, and why); such a row is rewritten by the
 * next run.
 */
export async function writeTestGrades(outDir: string, grades: readonly { student: string; lesson: string; tests: TestGrade }[]): Promise<GradebookRow[]> {
  const rows = await readGradebookRows(outDir);
  for (const g of grades) {
    const row = rows.find((r) => r.student === g.student && r.lesson === g.lesson);
    const lessonMax = g.tests.lessonXp ?? 0;
    const reasons = [g.tests.notGraded === undefined ? NO_PROOF_REASON : notGradedReason(g.tests.notGraded)];
    if (row && isTestOnly(row)) Object.assign(row, { maxScore: lessonMax, reasons, gradedAt: g.tests.gradedAt, tests: g.tests });
    else if (row) row.tests = g.tests;
    else {
      rows.push({
        student: g.student,
        lesson: g.lesson,
        status: "needs-review",
        score: null,
        maxScore: lessonMax,
        reasons,
        grader: "auto",
        gradedAt: g.tests.gradedAt,
        manual: false,
        tests: g.tests,
      });
    }
  }
  return writeRows(outDir, rows);
}

/** A row `grader test` made, no proof or manual grade on it yet. */
function isTestOnly(r: GradebookRow): boolean {
  return !r.manual && r.auto === undefined && r.score === null && r.reasons.length === 1 && (r.reasons[0] === NO_PROOF_REASON || r.reasons[0]!.startsWith("not graded: grader test"));
}

async function writeRows(outDir: string, rows: GradebookRow[]): Promise<GradebookRow[]> {
  const all = [...rows].sort(compareRows);
  await writeFileAtomic(path.join(outDir, GRADEBOOK_CSV), gradebookCsv(all));
  await writeFileAtomic(path.join(outDir, GRADEBOOK_JSON), JSON.stringify({ version: 1, rows: all }, null, 2) + "\n");
  return all;
}

/**
 * The review page of a lesson: `review-<id>.html` when the id is a portable
 * file name in lower case, as course ids are; any other id (one with `/`,
 * which a lesson id may hold, or capitals) keeps its readable part and gets
 * a hash of the exact id, so `w12/a` and `w12_a`, or `Retry` and `retry` on
 * a case-insensitive disk, never write one page.
 */
export function reviewPageName(lesson: string): string {
  const plain = portableName(lesson);
  return `review-${plain !== undefined && plain === plain.toLowerCase() ? plain : hashedName(lesson)}.html`;
}

/**
 * The grades directory's record of the files the grader wrote there that are
 * named after a student or a lesson (report files, review pages): each with
 * its owner (`student:<id>`, `lesson:<id>`) and content hash, so that a file
 * left under an owner's earlier name is removed only when it is provably the
 * grader's own, unchanged (see src/fs/outputs.ts). It also keeps each
 * student's report folder (under reports/) as `grader test --class` first
 * named it, so the folder never moves when a classmate whose name differs
 * only by case arrives or leaves, and no new student is given a folder that
 * was ever another's.
 */
export const OUTPUTS_FILE = ".grader-outputs.json";

/** What OUTPUTS_FILE holds. */
export interface OutputsRecord {
  outputs: OutputRecord;
  /** Student id -> the name of their folder under reports/ (one path segment). */
  reportFolders: Record<string, string>;
}

/** One folder name, no path: not empty, no `/`, backslash or NUL, not `.` or `..`. */
function isFolderName(name: unknown): name is string {
  return typeof name === "string" && name !== "" && name !== "." && name !== ".." && !/[/\\\0]/.test(name);
}

/** The record of outputs, empty when there is none yet; one that is not of its shape is a GradesFileError (exit 4). */
export async function readOutputRecord(outDir: string): Promise<OutputsRecord> {
  const file = path.join(outDir, OUTPUTS_FILE);
  const data = await readJson(file);
  if (data === undefined) return { outputs: {}, reportFolders: {} };
  const outputs = (data as { outputs?: unknown } | null)?.outputs;
  const folders = (data as { reportFolders?: unknown } | null)?.reportFolders ?? {};
  const foldersOk = typeof folders === "object" && folders !== null && !Array.isArray(folders) && Object.values(folders).every(isFolderName);
  if ((data as { version?: unknown }).version !== 1 || !isOutputRecord(outputs) || !foldersOk) {
    throw new GradesFileError(
      `${file}: expected {"version":1,"outputs":{"<file>":{"owner":"...","sha256":"<64 hex>"}},"reportFolders":{"<student>":"<folder>"}}; fix or move it away (the grader then only lists, never removes, files left under an earlier name, and names report folders afresh)`,
    );
  }
  return { outputs, reportFolders: folders as Record<string, string> };
}

export async function writeOutputRecord(outDir: string, record: OutputsRecord): Promise<void> {
  const sorted = <T>(o: Record<string, T>) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const data = { version: 1, outputs: sorted(record.outputs), reportFolders: sorted(record.reportFolders) };
  await writeFileAtomic(path.join(outDir, OUTPUTS_FILE), JSON.stringify(data, null, 2) + "\n");
}

/** The review page's name before pages of ids with `/` or capitals gained a hash: every other character became `_`. */
export function earlierReviewPageName(lesson: string): string {
  return `review-${lesson.replace(/[^A-Za-z0-9._-]+/g, "_")}.html`;
}
