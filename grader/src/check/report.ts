/**
 * What `grader check` prints: per lesson a header and one line per
 * criterion (✓ or ✗ with the criterion's number and text), a failure's
 * message, expected and received, the student's frame, a fault run's seed,
 * replay command and pictures; then the type errors, if any, and the
 * summary (criteria passed per lesson, XP earned, the type check, what to
 * work on next). `--json` prints the same as one document.
 */
import { isAbsolute, relative, sep } from "node:path";
import type { LessonOutcome, CriterionOutcome } from "./run.js";
import { isCheckBug } from "./run.js";
import type { CheckOutput } from "./isolate.js";
import type { PlannedLesson } from "./plan.js";
import type { TypeErrorLine } from "./types.js";

const INDENT = "      ";

export function lessonHeader(l: PlannedLesson): string {
  return `\n${l.lesson.title} (${l.lesson.id})\n`;
}

function ms(elapsedMs: number): string {
  return elapsedMs >= 1000 ? `${(elapsedMs / 1000).toFixed(1)} s` : `${Math.round(elapsedMs)} ms`;
}

/**
 * The criterion's line and, unless it passed, the lines that say why;
 * `verbose` adds its time and the check's name. `root`, the repository: a
 * replay command runs from there, so from anywhere else it starts with a
 * `cd` to it (`npm run kv-sim` is a script of the root's package.json only).
 */
export function criterionLines(r: CriterionOutcome, options: { verbose: boolean; cwd: string; root?: string }): string {
  const mark = r.status === "pass" ? "✓" : "✗";
  const lines = [`  ${mark} #${r.number} ${r.text}${options.verbose && r.title !== "" ? `  (${ms(r.elapsedMs)})` : ""}`];
  const detail = (s: string) => lines.push(`${INDENT}${s}`);
  if (r.status !== "pass") {
    // A message may carry its own replay line (a search's trace): it runs from the root too.
    detail(r.message.replace(/^replay: (npm run .*)$/gm, (_, command: string) => `replay: ${fromRoot(command, options.cwd, options.root)}`));
    if (r.expected !== undefined) detail(`expected: ${r.expected}`);
    if (r.received !== undefined) detail(`received: ${r.received}`);
    if (r.where !== undefined) detail(`at ${r.where}`);
    if (r.running !== undefined) detail(`still running in ${r.running.function === "" ? "" : `${r.running.function} at `}${r.running.file}:${r.running.line}`);
    if (r.replay !== undefined) {
      detail(`seed ${r.replay.seed}`);
      detail(`replay: ${fromRoot(r.replay.command, options.cwd, options.root)}`);
      if (r.replay.timeline !== undefined) detail(`timeline: ${shown(r.replay.timeline, options.cwd)}`);
      if (r.replay.diagram !== undefined) detail(`diagram: ${shown(r.replay.diagram, options.cwd)}`);
    }
    if (isCheckBug(r)) {
      detail("this is a bug in the check, not in your code; the check's stack:");
      for (const s of r.stack!.split("\n")) detail(`  ${s.trim()}`);
    }
  }
  if (r.output !== undefined) for (const line of outputLines(r.output)) detail(line);
  // The check's name is the visible test's title, `<criterion> <title>` (vitest -t runs it alone).
  if (options.verbose && r.title !== "") detail(`check: ${r.criterion} ${r.title}`);
  return lines.join("\n") + "\n";
}

/** How many lines of what a check's code printed the text shows, and how many characters of each. */
export const OUTPUT_LINES = 20;
export const OUTPUT_LINE_CHARS = 200;

/** What the code a check ran printed, under its criterion: its first lines, each cut short, and how much more there was. */
function outputLines(o: CheckOutput): string[] {
  const all = o.text.split("\n");
  if (o.text.endsWith("\n")) all.pop();
  const lines = all.slice(0, OUTPUT_LINES);
  const cut = lines.some((l) => l.length > OUTPUT_LINE_CHARS);
  const head =
    o.lines > lines.length
      ? `your code printed ${plural(o.lines, "line")} (${size(o.bytes)}); the first ${lines.length}${cut ? `, each cut at ${OUTPUT_LINE_CHARS} characters` : ""}:`
      : `your code printed${cut ? ` (each line cut at ${OUTPUT_LINE_CHARS} characters)` : ""}:`;
  const out = [head, ...lines.map((l) => `| ${l.length > OUTPUT_LINE_CHARS ? `${l.slice(0, OUTPUT_LINE_CHARS)}…` : l}`)];
  if (o.lines > lines.length) out.push(`… and ${plural(o.lines - lines.length, "more line")}`);
  return out;
}

function size(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : bytes >= 1024 ? `${Math.round(bytes / 1024)} KB` : `${bytes} bytes`;
}

/** A command that runs from the repository root, as pasted where the student is: `cd ..` (or the root's path from outside it) first. */
export function fromRoot(command: string, cwd: string, root: string | undefined): string {
  if (root === undefined) return command;
  const rel = relative(cwd, root);
  if (rel === "") return command;
  const inside = rel.split(sep).every((part) => part === "..");
  const dir = inside ? rel.split(sep).join("/") : root;
  return `cd ${/^[\w./-]+$/.test(dir) ? dir : `'${dir.replaceAll("'", `'\\''`)}'`} && ${command}`;
}

/** A path as a student types it: relative to where they are when that is shorter. */
function shown(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel !== "" && !rel.startsWith("..") ? rel : path;
}

export interface LessonTally {
  id: string;
  title: string;
  short: string;
  passed: number;
  total: number;
  /** The lesson's XP (front-matter `xp`), if it has any. */
  xp: number | undefined;
  /** Its XP when every criterion passes, else 0. */
  xpEarned: number;
}

export interface Summary {
  lessons: LessonTally[];
  passed: number;
  total: number;
  xpEarned: number;
  xpTotal: number;
  /**
   * The first lesson, in prerequisite order, with a criterion not passing;
   * when every lesson checked passes, the lesson after them that this run
   * did not check (`--lesson` chose fewer), if any.
   */
  next: { id: string; title: string; command: string } | undefined;
}

export function checkCommand(short: string): string {
  return `npm run check -- --lesson ${short}`;
}

/** `after`: the lesson that follows the ones checked, in prerequisite order, when the run checked only some. */
export function summarize(outcomes: readonly LessonOutcome[], after?: PlannedLesson): Summary {
  const lessons = outcomes.map(({ planned, criteria }): LessonTally => {
    const passed = criteria.filter((c) => c.status === "pass").length;
    const xp = planned.lesson.xp;
    return { id: planned.lesson.id, title: planned.lesson.title, short: planned.short, passed, total: criteria.length, xp, xpEarned: passed === criteria.length && xp !== undefined ? xp : 0 };
  });
  const first = lessons.find((l) => l.passed < l.total) ?? (after && { id: after.lesson.id, title: after.lesson.title, short: after.short });
  return {
    lessons,
    passed: lessons.reduce((s, l) => s + l.passed, 0),
    total: lessons.reduce((s, l) => s + l.total, 0),
    xpEarned: lessons.reduce((s, l) => s + l.xpEarned, 0),
    xpTotal: lessons.reduce((s, l) => s + (l.xp ?? 0), 0),
    next: first && { id: first.id, title: first.title, command: checkCommand(first.short) },
  };
}

/**
 * The type check of the files the lessons checked read: their errors, the
 * count of errors in other workbook files (when --lesson chose some
 * lessons), or why tsc gave no verdict.
 */
export interface TypeReport {
  errors: TypeErrorLine[];
  /** Errors in workbook files no lesson checked reads. */
  elsewhere: number;
  elapsedMs: number;
  failure?: string;
}

/** How many type errors the text lists; the rest are counted. */
export const TYPE_ERRORS_SHOWN = 20;

/** A file as messages name it: relative to the repository when inside it (week-12/src/x.ts), else whole. */
export function shownFile(file: string, root: string): string {
  const rel = relative(root, file);
  return rel === "" || rel.startsWith("..") || isAbsolute(rel) ? file : rel;
}

/** The type errors' section (before the summary), or "" when there are none. */
export function typeErrorLines(t: TypeReport, root: string): string {
  if (t.errors.length === 0) return "";
  const n = t.errors.length;
  const lines = ["", `Type errors (tsc --noEmit, as \`grader test\` runs it; they cost no XP, but fix them)`];
  for (const e of t.errors.slice(0, TYPE_ERRORS_SHOWN)) lines.push(`  ${shownFile(e.file, root)}:${e.line}:${e.column} ${e.code}: ${e.message}`);
  if (n > TYPE_ERRORS_SHOWN) lines.push(`  and ${n - TYPE_ERRORS_SHOWN} more`);
  return lines.join("\n") + "\n";
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** The summary; `types`, when the type check ran, adds its line and holds back "every lesson checked passes" while it found errors. */
export function summaryText(s: Summary, types?: TypeReport): string {
  const width = Math.max(...s.lessons.map((l) => l.title.length), 0);
  const lines = ["", "Summary"];
  for (const l of s.lessons) {
    const xp = l.xp === undefined ? "no XP" : l.xpEarned > 0 ? `${l.xp} XP` : `0 of ${l.xp} XP`;
    lines.push(`  ${l.passed === l.total ? "✓" : "✗"} ${l.title.padEnd(width)}  ${`${l.passed}/${l.total}`.padStart(5)}  ${xp}`);
  }
  lines.push(`${s.passed} of ${s.total} criteria pass; XP ${s.xpEarned} of ${s.xpTotal} (a lesson's XP is earned when every one of its criteria passes)`);
  if (types !== undefined) {
    const elsewhere = types.elsewhere > 0 ? `; ${types.elsewhere} more in files the lessons checked do not read (\`npm run check\` lists them)` : "";
    if (types.failure !== undefined) lines.push(`type check: could not run (${types.failure})`);
    else lines.push(`type check: ${types.errors.length === 0 ? "no errors" : `${plural(types.errors.length, "error")} (listed above)`}${elsewhere}`);
  }
  const allPass = s.passed === s.total;
  const typed = types === undefined || types.errors.length === 0;
  const next = s.next && `next: ${s.next.title} (\`${s.next.command}\`)`;
  if (allPass && typed) lines.push(`every lesson checked passes${next ? `; ${next}` : ""}`);
  else if (allPass) lines.push(`every criterion checked passes, but fix the type errors above${next ? `; then ${next}` : ""}`);
  else lines.push(next!);
  return lines.join("\n") + "\n";
}

export interface CheckDocument {
  workbook: { label: string; dir: string };
  lessons: Array<LessonTally & { order: number; criteria: CriterionOutcome[] }>;
  summary: Omit<Summary, "lessons">;
  /** Where fault runs wrote their timelines and diagrams, if any did. */
  outDir: string | undefined;
  /** The type check: errors (every one, files named as in the text), the count elsewhere, or why it could not run. */
  types?: TypeReport;
}

export function checkDocument(
  outcomes: readonly LessonOutcome[],
  workbook: { label: string; dir: string },
  outDir: string | undefined,
  after?: PlannedLesson,
  types?: { report: TypeReport; root: string },
): CheckDocument {
  const { lessons, ...summary } = summarize(outcomes, after);
  const doc: CheckDocument = {
    workbook,
    lessons: lessons.map((tally, i) => ({ ...tally, order: outcomes[i]!.planned.lesson.order, criteria: outcomes[i]!.criteria })),
    summary,
    outDir,
  };
  if (types !== undefined) doc.types = { ...types.report, errors: types.report.errors.map((e) => ({ ...e, file: shownFile(e.file, types.root) })) };
  return doc;
}

/** Whether any result names a file a fault run wrote. */
export function wroteFiles(outcomes: readonly LessonOutcome[]): boolean {
  return outcomes.some((o) => o.criteria.some((c) => c.replay?.timeline !== undefined || c.replay?.diagram !== undefined));
}
