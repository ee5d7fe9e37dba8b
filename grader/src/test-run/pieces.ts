/**
 * Which lessons a workbook file is the piece of, and what a test says when it
 * reaches a function of that file not written yet. A hidden test may run
 * pieces of other lessons with its own (the client-retry cluster test runs
 * the client on the workbook's node: its vote rules and session tracker), so
 * its message names the file and that file's lesson: the student sees that
 * these points wait on another lesson's piece.
 */
import { stackFrames } from "@dslab/protocol/stack-frames";

/**
 * The lessons each file is the piece of: a lesson owns the files that at
 * least half of its visible checks name (the vote-rules quest's five checks
 * all name src/vote-rules.ts, one also the session tracker it runs with).
 */
export function pieceLessons(checks: readonly { criterion: string; files: readonly string[] }[]): Map<string, string[]> {
  const byLesson = new Map<string, { checks: number; files: Map<string, number> }>();
  for (const c of checks) {
    const l = byLesson.get(lessonOf(c.criterion)) ?? { checks: 0, files: new Map<string, number>() };
    l.checks++;
    for (const f of new Set(c.files)) l.files.set(f, (l.files.get(f) ?? 0) + 1);
    byLesson.set(lessonOf(c.criterion), l);
  }
  const out = new Map<string, string[]>();
  for (const [lesson, l] of byLesson) {
    for (const [file, n] of l.files) if (2 * n >= l.checks) out.set(file, [...(out.get(file) ?? []), lesson]);
  }
  return out;
}

/** `<lesson>#<n>` -> `<lesson>`. */
export function lessonOf(criterion: string): string {
  return criterion.slice(0, criterion.lastIndexOf("#"));
}

/**
 * The workbook file (`src/vote-rules.ts`) a stub's `todo()` was called from:
 * the first frame of `stack` under `workbookDir` other than `src/todo.ts`.
 */
export function todoFile(stack: string, workbookDir: string): string | undefined {
  const prefix = `${workbookDir.replace(/\/$/, "")}/`;
  for (const { file } of stackFrames(stack)) {
    if (!file.startsWith(prefix)) continue;
    const rel = file.slice(prefix.length);
    if (rel !== "src/todo.ts" && /^(src|node)\//.test(rel)) return rel;
  }
  return undefined;
}

/** The one line of a test stopped by a function not written yet, naming the file and, when it is another lesson's piece, that lesson. */
export function notImplementedMessage(o: { fn: string; file: string; criterion: string; pieceOf: readonly string[] }): string {
  const lesson = lessonOf(o.criterion);
  const n = o.criterion.slice(o.criterion.lastIndexOf("#") + 1);
  const where = `not implemented yet: ${o.fn} in week-12/${o.file}`;
  if (o.pieceOf.length === 0 || o.pieceOf.includes(lesson)) return `${where} (${lesson}, criterion ${n})`;
  const others = o.pieceOf.length > 1 ? `lessons ${o.pieceOf.join(" and ")}` : `lesson ${o.pieceOf[0]}`;
  return `${where}, a piece of ${others}; this criterion-${n} test runs it with yours, so its points wait on that piece too`;
}
