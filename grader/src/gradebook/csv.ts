// CSV gradebook (RFC 4180: CRLF rows, quotes doubled).
import { CSV_COLUMNS, TEST_CSV_COLUMNS, type GradebookRow } from "./model.js";

export function csvField(value: string): string {
  // Quoted when it holds a separator, a quote, a line break, edge spaces, or starts with a BOM a reader would strip.
  return /[",\r\n]/.test(value) || /^[\s\ufeff]|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * A field of a CSV meant for a spreadsheet: text that starts like a formula
 * (=, +, -, @, a tab or a carriage return) gets a leading apostrophe, so a
 * student id or a reason quoting a submission (`=HYPERLINK(...)`) is shown
 * as text, never run as a formula when the file is opened.
 */
export function sheetField(value: string): string {
  return csvField(/^[=+\-@\t\r]/.test(value) ? `'${value}` : value);
}

export function gradebookCsv(rows: readonly GradebookRow[]): string {
  const tested = rows.some((r) => r.tests !== undefined);
  const lines = [[...CSV_COLUMNS, ...(tested ? TEST_CSV_COLUMNS : [])].join(",")];
  for (const r of rows) {
    const t = r.tests;
    const lessonXp = t?.lessonXp === undefined ? "" : String(t.lessonXp);
    const testFields = !tested
      ? []
      : !t
        ? ["", "", "", "", "", ""]
        : t.notGraded !== undefined
          ? ["", "", "", lessonXp, "", `not graded: ${t.notGraded}`]
          : [String(t.score), String(t.maxScore), String(t.xp), lessonXp, String(t.errors), t.criteria.map((c) => `${c.criterion}=${c.score}/${c.maxScore}`).join("; ")];
    lines.push(
      [r.student, r.lesson, r.status, r.score === null ? "" : String(r.score), String(r.maxScore), r.reasons.join("; "), r.grader, r.gradedAt, ...testFields]
        .map(sheetField)
        .join(","),
    );
  }
  return lines.join("\r\n") + "\r\n";
}

export interface CsvRecord {
  fields: string[];
  /** The line the record starts on (1-based). */
  line: number;
  /** The line it ends on: later than `line` when a quoted field holds a line break. */
  endLine: number;
  /** Set on the last record when a quote opened in it is never closed: the rest of the text was read into its last field. */
  unterminated?: true;
}

/** Splits CSV text into records of fields (quotes, doubled quotes, CRLF or LF), with the lines each record spans. */
export function parseCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = "";
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  let i = 0;
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const endRecord = () => {
    fields.push(field);
    if (!(fields.length === 1 && fields[0] === "" && !quoted)) records.push({ fields, line: recordLine, endLine: quoted && field.endsWith("\n") ? line - 1 : line, ...(quoted ? { unterminated: true as const } : {}) });
    fields = [];
    field = "";
  };
  while (i < src.length) {
    const ch = src[i]!;
    if (quoted) {
      if (ch === '"' && src[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (ch === '"') quoted = false;
      else {
        if (ch === "\n") line++;
        field += ch;
      }
      i++;
      continue;
    }
    if (ch === '"' && field === "") quoted = true;
    else if (ch === ",") {
      fields.push(field);
      field = "";
    } else if (ch === "\r" && src[i + 1] === "\n") {
      i++;
      continue;
    } else if (ch === "\n" || ch === "\r") {
      endRecord();
      line++;
      recordLine = line;
    } else field += ch;
    i++;
  }
  if (field !== "" || fields.length > 0 || quoted) endRecord();
  return records;
}
