// Reads the completions CSV: student,lesson,completed_at[,rating]. A bad row is
// reported with its line number and skipped; the rest are scheduled.
import { parseCsv, type CsvRecord } from "../gradebook/csv.js";
import type { Lesson } from "../lesson/model.js";
import { parseIsoDate } from "./dates.js";

export const RATINGS = ["again", "hard", "good", "easy"] as const;
export type RatingName = (typeof RATINGS)[number];

export interface Completion {
  student: string;
  lesson: Lesson;
  /** Days since 1970-01-01. */
  day: number;
  rating?: RatingName;
  line: number;
}

export interface RowProblem {
  line: number;
  message: string;
}

export interface Completions {
  rows: Completion[];
  errors: RowProblem[];
}

const REQUIRED = ["student", "lesson", "completed_at"] as const;

/** What is wrong with a row as CSV (an unclosed quote, too few or too many fields), before its values are read. */
function shapeProblem(rec: CsvRecord, columns: number, minFields: number, header: string): string | undefined {
  if (rec.unterminated) {
    return `unterminated quote: a quoted field opened on line ${rec.line} is never closed, so the rest of the file (lines ${rec.line}-${rec.endLine}) was read into it; close the quote. Rows skipped`;
  }
  if (rec.endLine > rec.line || rec.fields.some((f) => /[\r\n]/.test(f))) {
    return `unterminated quote on line ${rec.line}: its quoted field runs on to line ${rec.endLine} (no field of this file holds a line break); close the quote on line ${rec.line}. Rows ${rec.line}-${rec.endLine} skipped`;
  }
  if (rec.fields.length < minFields || rec.fields.length > columns) {
    const expected = minFields === columns ? `${columns}` : `${minFields} to ${columns}`;
    return `row has ${rec.fields.length} field${rec.fields.length === 1 ? "" : "s"}, expected ${expected} (${header}); row skipped`;
  }
  return undefined;
}

export class CompletionsHeaderError extends Error {
  readonly code = "COMPLETIONS_HEADER";
}

export function parseCompletions(text: string, file: string, lessons: readonly Lesson[]): Completions {
  const records = parseCsv(text);
  const header = records[0];
  if (!header) throw new CompletionsHeaderError(`${file}: the file is empty; expected a header line student,lesson,completed_at (and optionally rating), then one row per completion`);
  const columns = header.fields.map((f) => f.trim().toLowerCase());
  const col = (name: string) => columns.indexOf(name);
  const missing = REQUIRED.filter((c) => col(c) === -1);
  if (missing.length > 0) {
    const raw = header.fields.join(",");
    const separator = [";", "\t", "|"].find((sep) => header.fields.length === 1 && REQUIRED.every((c) => raw.toLowerCase().split(sep).map((x) => x.trim()).includes(c)));
    const hint = separator !== undefined ? `; the header looks ${separator === "\t" ? "tab" : `"${separator}"`}-separated: save the file with commas between the fields` : "";
    throw new CompletionsHeaderError(
      `${file}:${header.line}: the header must name the columns student,lesson,completed_at and optionally rating; missing ${missing.join(", ")}${hint}`,
    );
  }
  // Columns a row may leave out at its end: those after the last required one (rating).
  const minFields = Math.max(...REQUIRED.map(col)) + 1;
  const byId = new Map(lessons.map((l) => [l.id, l]));
  const rows: Completion[] = [];
  const errors: RowProblem[] = [];
  for (const rec of records.slice(1)) {
    const shape = shapeProblem(rec, columns.length, minFields, header.fields.join(","));
    if (shape !== undefined) {
      errors.push({ line: rec.line, message: `${file}:${rec.line}: ${shape}` });
      continue;
    }
    const get = (name: string) => (col(name) === -1 ? "" : (rec.fields[col(name)] ?? "").trim());
    const student = get("student");
    const lessonId = get("lesson");
    const date = get("completed_at");
    const ratingText = get("rating").toLowerCase();
    const problems: string[] = [];
    if (student === "") problems.push("student is empty");
    const lesson = byId.get(lessonId);
    if (lessonId === "") problems.push("lesson is empty");
    else if (!lesson) problems.push(`unknown lesson ${JSON.stringify(lessonId)}`);
    const day = parseIsoDate(date);
    if (day === undefined) problems.push(`bad date ${JSON.stringify(date)} (expected an ISO date, YYYY-MM-DD)`);
    if (ratingText !== "" && !(RATINGS as readonly string[]).includes(ratingText)) {
      problems.push(`bad rating ${JSON.stringify(ratingText)} (expected one of ${RATINGS.join(", ")})`);
    }
    if (problems.length > 0 || !lesson || day === undefined) {
      errors.push({ line: rec.line, message: `${file}:${rec.line}: ${problems.join("; ")}; row skipped` });
      continue;
    }
    const row: Completion = { student, lesson, day, line: rec.line };
    if (ratingText !== "") row.rating = ratingText as RatingName;
    rows.push(row);
  }
  return { rows, errors };
}
