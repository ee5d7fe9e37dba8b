/**
 * A readable Markdown report: the total, then per lesson a table of its
 * tests grouped by criterion number (✓ passed, ✗ failed, ⚠ error), score and
 * message, the 0-point rows (the type check) after them under no criterion,
 * then the output of each test that did not pass in a fenced block. Cell text is escaped
 * (pipes, HTML, emphasis and link syntax) and newlines become `<br>`; a fence
 * is longer than any run of backticks in what it holds.
 */
import type { SubmissionResult, TestResult } from "./model.js";
import { trimText } from "./text.js";

const CELL_CHARS = 300;
const MARK: Record<TestResult["status"], string> = { passed: "✓", failed: "✗", error: "⚠" };

export function toMarkdown(r: SubmissionResult): string {
  const out: string[] = [];
  out.push(`# Results: ${inline(r.submission)}`, "");
  out.push(`**Total: ${r.total.score} / ${r.total.maxScore}** · started ${inline(r.startedAt)} · ${(r.elapsedMs / 1000).toFixed(1)} s`, "");
  if (r.error !== undefined) out.push(`> **No test could run:** ${inline(r.error).replace(/<br>/g, "<br>> ")}`, "");
  for (const n of r.notes ?? []) out.push(`> **Note:** ${inline(n).replace(/<br>/g, "<br>> ")}`, "");
  for (const lesson of r.lessons) {
    const tests = r.tests.filter((t) => t.lesson === lesson.id);
    out.push(`## ${inline(lesson.title)} (\`${code(lesson.id)}\`): ${lesson.score} / ${lesson.maxScore}, ${lesson.xp} of ${lesson.lessonXp} XP`, "");
    if (tests.length === 0) {
      out.push("No test of this lesson ran.", "");
      continue;
    }
    out.push(`Criterion #n is row n of the lesson's pass-criteria table (\`${code(lesson.id)}#n\`).`, "");
    out.push("| # | Test | Result | Score | Message |", "| --- | --- | :---: | ---: | --- |");
    for (const t of byCriterion(tests)) {
      const n = isUnscored(t) ? "–" : (t.criterion.split("#")[1] ?? "");
      const message = t.status === "passed" ? "" : t.message || (t.limit ? `stopped at the ${t.limit} limit` : "");
      const limit = t.limit ? ` (${t.limit} limit)` : "";
      out.push(`| ${n} | ${cell(t.name)} | ${MARK[t.status]}${limit} | ${t.score} / ${t.maxScore} | ${cell(message)} |`);
    }
    out.push("");
    for (const t of tests.filter((x) => x.status !== "passed" && (x.output || x.message.length > CELL_CHARS))) {
      out.push(`<details><summary>${inline(t.criterion)} ${inline(t.name)}: output</summary>`, "");
      const body = [t.message.length > CELL_CHARS ? t.message : "", t.output].filter((x) => x !== "").join("\n\n");
      out.push(fenced(body.replace(/\n+$/, "")), "", "</details>", "");
    }
  }
  return `${out.join("\n").trimEnd()}\n`;
}

/** A row worth no points (the type check): reported, but under no criterion. */
function isUnscored(t: TestResult): boolean {
  return t.weight === 0 && t.maxScore === 0;
}

/** The tests by criterion number (visible before hidden within one, as run), then the unscored ones. */
function byCriterion(tests: readonly TestResult[]): TestResult[] {
  const n = (t: TestResult) => (isUnscored(t) ? Infinity : Number(t.criterion.split("#")[1]));
  return tests.map((t, i) => ({ t, i })).sort((a, b) => n(a.t) - n(b.t) || a.i - b.i).map((x) => x.t);
}

/** Text in a paragraph or heading: HTML and Markdown syntax escaped, newlines as <br>. */
function inline(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/([\\`*_[\]|~])/g, "\\$1")
    .replace(/\r\n?|\n/g, "<br>");
}

/** A table cell: as inline, and bounded. */
function cell(s: string): string {
  return inline(trimText(s, CELL_CHARS));
}

/** Inside a code span: no backtick, no newline, no pipe (a pipe ends the cell even in code). */
function code(s: string): string {
  return s.replace(/[`\r\n]/g, " ").replace(/\|/g, "\\|");
}

function fenced(s: string): string {
  const longest = Math.max(0, ...[...s.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = "`".repeat(Math.max(3, longest + 1));
  return `${fence}text\n${s}\n${fence}`;
}
