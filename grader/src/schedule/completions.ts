// Reads the completions CSV: student,lesson,completed_at[,rating]. A bad row is
// reported with its line number and skipped; the rest are scheduled.
import { parseCsv } from "../gradebook/csv.js";
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

export class CompletionsHeaderError extends Error {
  readonly code = "COMPLETIONS_HEADER";
}

export function parseCompletions(text: string, file: string, lessons: readonly Lesson[]): Completions {
  const records = parseCsv(text);
  const header = records[0];
  const columns = header?.fields.map((f) => f.trim().toLowerCase()) ?? [];
  const col = (name: string) => columns.indexOf(name);
  const missing = ["student", "lesson", "completed_at"].filter((c) => col(c) === -1);
  if (!header || missing.length > 0) {
    throw new CompletionsHeaderError(
      `${file}:1: the header must name the columns student,lesson,completed_at and optionally rating; missing ${missing.join(", ") || "header"}`,
    );
  }
  const byId = new Map(lessons.map((l) => [l.id, l]));
  const rows: Completion[] = [];
  const errors: RowProblem[] = [];
  for (const rec of records.slice(1)) {
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
