// Parses one lesson file's text into the lesson model plus diagnostics.
import { parseBody } from "./body.js";
import { parseFrontMatter, splitFrontMatter } from "./frontmatter.js";
import { hasErrors, type Diagnostic, type Lesson, type ParseResult } from "./model.js";
import { normalizeNewlines, repairMojibake } from "./text.js";

/** Replaces tabs that indent front-matter lines (YAML forbids them) with two spaces each. */
function untabIndent(frontMatter: string): { text: string; lines: number[] } {
  const lines: number[] = [];
  const text = frontMatter
    .split("\n")
    .map((l, i) => {
      const m = /^[ \t]*/.exec(l)![0];
      if (!m.includes("\t")) return l;
      lines.push(i);
      return m.replace(/\t/g, "  ") + l.slice(m.length);
    })
    .join("\n");
  return { text, lines };
}

/** C0 controls but tab and newline, DEL, and C1 controls: what a terminal may run as an escape sequence. */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

const CONTROL_NAMES: Record<number, string> = { 0x00: "NUL", 0x07: "BEL", 0x08: "BS", 0x0d: "CR", 0x1b: "ESC", 0x7f: "DEL", 0x9b: "CSI" };

/**
 * The control characters of a lesson, counted, with the line of the first:
 * its title, criteria and text are printed by \`lesson show\` and \`check\` and
 * copied into calendars and pages, where ESC sequences would clear a
 * screen or retitle a window. Mis-encoded punctuation is repaired first.
 */
function controlCharacters(text: string): { line: number; message: string } | undefined {
  const all = text.match(CONTROL);
  if (all === null) return undefined;
  const first = all[0]!.charCodeAt(0);
  const at = text.search(CONTROL);
  const line = text.slice(0, at).split("\n").length;
  const name = `U+${first.toString(16).toUpperCase().padStart(4, "0")}${CONTROL_NAMES[first] ? ` (${CONTROL_NAMES[first]})` : ""}`;
  return { line, message: `${all.length} control character(s), the first ${name}; a terminal runs them as escape sequences when a command prints the lesson: remove them` };
}

export function parseLesson(raw: string, file: string): ParseResult {
  const diagnostics: Diagnostic[] = [];
  const { text, repairs } = repairMojibake(normalizeNewlines(raw));
  if (repairs.length > 0) {
    const examples = [...new Map(repairs.map((r) => [r.from, r])).values()]
      .slice(0, 3)
      .map((r) => `\`${r.from}\` -> \`${r.to}\``)
      .join(", ");
    diagnostics.push({
      severity: "warning", code: "mojibake-repaired", file, line: repairs[0]!.line,
      message: `repaired ${repairs.length} mis-encoded character(s) (UTF-8 read as Windows-1252), e.g. ${examples}; save the file as UTF-8`,
    });
  }
  const control = controlCharacters(text);
  if (control !== undefined) diagnostics.push({ severity: "error", code: "control-char", file, line: control.line, field: "file", message: control.message });
  const split = splitFrontMatter(text);
  if ("error" in split) {
    diagnostics.push({ severity: "error", code: "no-front-matter", file, line: split.line, field: "front-matter", message: split.error });
    return { diagnostics };
  }
  const untabbed = untabIndent(split.frontMatter ?? "");
  if (untabbed.lines.length > 0) {
    diagnostics.push({
      severity: "warning", code: "tab-indent", file, line: split.frontMatterLine + untabbed.lines[0]!, field: "front-matter",
      message: `tabs indent ${untabbed.lines.length} front-matter line(s); read as two spaces each (YAML allows only spaces)`,
    });
  }
  const fm = parseFrontMatter(untabbed.text, file, split.frontMatterLine, diagnostics);
  const body = parseBody(split.body, file, split.bodyLine, diagnostics);
  const failed = hasErrors(diagnostics);
  if (failed && fm.id === undefined) return { diagnostics };
  // Required fields are present when no error was reported.
  const id = fm.id!;
  const lesson: Lesson = {
    id,
    part: fm.part ?? "",
    title: fm.title ?? "",
    order: fm.order ?? -1,
    prereqs: fm.prereqs,
    reviewScheduleDays: fm.reviewScheduleDays,
    extra: fm.extra,
    criteria: body.criteria.map((c) => ({ id: `${id}#${c.number}`, ...c, tests: [] })),
    doneWhen: body.doneWhen,
    proofExamples: body.proofExamples,
    file,
    fieldLines: fm.fieldLines,
    body: split.body,
    bodyLine: split.bodyLine,
  };
  if (fm.durationMinutes !== undefined) lesson.durationMinutes = fm.durationMinutes;
  if (fm.kind !== undefined) lesson.kind = fm.kind;
  if (fm.xp !== undefined) lesson.xp = fm.xp;
  if (fm.proof !== undefined) lesson.proof = fm.proof;
  if (body.deliverable !== undefined) lesson.deliverable = body.deliverable;
  if (body.proofSection !== undefined) lesson.proofSection = body.proofSection;
  return failed ? { partial: lesson, diagnostics } : { lesson, diagnostics };
}
