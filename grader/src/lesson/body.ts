// Reads the parts of a lesson body the grader needs from markdown-it tokens:
// the pass-criteria table, the "Done when" checklist, the deliverable file and
// the "Proof" section.
import MarkdownIt from "markdown-it";
import type { Token } from "markdown-it";
import type { ChecklistItem, Diagnostic } from "./model.js";

const md = new MarkdownIt({ html: false });

export interface RawCriterion {
  number: number;
  text: string;
  howToCheck: string;
  checkRefs: string[];
  line: number;
}

export interface BodyParts {
  criteria: RawCriterion[];
  doneWhen: ChecklistItem[];
  deliverable?: string;
  proofSection?: string;
  proofExamples: string[];
}

const CRITERIA_HEADER = ["#", "criterion", "how to check"];
const DELIVERABLE_PATH = /^(?:[\w.-]+\/)+[\w.-]+\.[A-Za-z0-9]+$/;

function plainText(inline: Token | undefined): string {
  if (!inline?.children) return inline?.content.trim() ?? "";
  return inline.children
    .map((c) => (c.type === "text" || c.type === "code_inline" ? c.content : c.type === "softbreak" ? " " : ""))
    .join("")
    .trim();
}

function codeSpans(inline: Token | undefined): string[] {
  return (inline?.children ?? []).filter((c) => c.type === "code_inline").map((c) => c.content.trim());
}

export function parseBody(body: string, file: string, bodyLine: number, diagnostics: Diagnostic[]): BodyParts {
  const tokens = md.parse(body, {});
  const lineOf = (t: Token | undefined) => bodyLine + (t?.map?.[0] ?? 0);
  const parts: BodyParts = { criteria: [], doneWhen: [], proofExamples: [] };
  let criteriaTables = 0;

  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.type === "table_open") {
      const { header, rows, end } = readTable(tokens, i);
      i = end;
      const names = header.map((h) => plainText(h).toLowerCase());
      if (names.length !== 3 || names.some((n, k) => n !== CRITERIA_HEADER[k])) continue;
      criteriaTables++;
      if (criteriaTables > 1) {
        diagnostics.push({
          severity: "warning", code: "criteria-table-repeated", file, line: lineOf(t), field: "body.criteria",
          message: "a second pass-criteria table was found; only the first one is read",
        });
        continue;
      }
      readCriteria(rows, file, lineOf, diagnostics, parts);
    }
  }
  if (criteriaTables === 0) {
    diagnostics.push({
      severity: "warning", code: "no-criteria", file, line: 0, field: "body.criteria",
      message: "no pass-criteria table (`| # | Criterion | How to check |`) was found",
    });
  }
  parts.doneWhen = readDoneWhen(tokens, lineOf);
  if (parts.doneWhen.length === 0) {
    diagnostics.push({
      severity: "warning", code: "no-done-when", file, line: 0, field: "body.done_when",
      message: 'no "Done when" checklist was found (a "Done when" heading followed by a list)',
    });
  }
  const deliverable = findDeliverable(tokens);
  if (deliverable !== undefined) parts.deliverable = deliverable;
  const proof = sectionText(tokens, /^proof\b/i);
  if (proof !== undefined) parts.proofSection = proof.text;
  parts.proofExamples = proof?.fences ?? [];
  return parts;
}

function readTable(tokens: Token[], start: number): { header: Token[]; rows: { cells: Token[]; tr: Token }[]; end: number } {
  const header: Token[] = [];
  const rows: { cells: Token[]; tr: Token }[] = [];
  let inHead = false;
  let current: { cells: Token[]; tr: Token } | undefined;
  let i = start;
  for (; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.type === "table_close") break;
    if (t.type === "thead_open") inHead = true;
    else if (t.type === "thead_close") inHead = false;
    else if (t.type === "tr_open" && !inHead) rows.push((current = { cells: [], tr: t }));
    else if (t.type === "inline") {
      if (inHead) header.push(t);
      else current?.cells.push(t);
    }
  }
  return { header, rows, end: i };
}

function readCriteria(
  rows: { cells: Token[]; tr: Token }[],
  file: string,
  lineOf: (t: Token | undefined) => number,
  diagnostics: Diagnostic[],
  parts: BodyParts,
): void {
  const seen = new Map<number, number>();
  for (const row of rows) {
    const line = lineOf(row.tr);
    const [numCell, textCell, howCell] = row.cells;
    const numText = plainText(numCell);
    const number = /^\d+$/.test(numText) ? Number(numText) : NaN;
    if (!Number.isInteger(number) || number < 1) {
      diagnostics.push({
        severity: "error", code: "criterion-number", file, line, field: "body.criteria",
        message: `the "#" cell must be a positive integer, found ${JSON.stringify(numText)}`,
      });
      continue;
    }
    const text = plainText(textCell);
    if (text === "") {
      diagnostics.push({
        severity: "error", code: "criterion-empty", file, line, field: "body.criteria",
        message: `criterion ${number} has an empty "Criterion" cell`,
      });
      continue;
    }
    const previous = seen.get(number);
    if (previous !== undefined) {
      diagnostics.push({
        severity: "error", code: "criterion-duplicate", file, line, field: "body.criteria",
        message: `criterion number ${number} is used twice (first on line ${previous})`,
      });
      continue;
    }
    seen.set(number, line);
    const howToCheck = plainText(howCell);
    if (howToCheck === "") {
      diagnostics.push({
        severity: "warning", code: "criterion-no-check", file, line, field: "body.criteria",
        message: `criterion ${number} does not say how to check it`,
      });
    }
    parts.criteria.push({ number, text, howToCheck, checkRefs: codeSpans(howCell), line });
  }
}

function isDoneWhenMarker(tokens: Token[], i: number): boolean {
  const t = tokens[i]!;
  const inline = tokens[i + 1];
  if (t.type !== "heading_open" && t.type !== "paragraph_open") return false;
  const text = plainText(inline).replace(/[*_:]/g, "").trim();
  return /^done when$/i.test(text);
}

function readDoneWhen(tokens: Token[], lineOf: (t: Token | undefined) => number): ChecklistItem[] {
  for (let i = 0; i < tokens.length; i++) {
    if (!isDoneWhenMarker(tokens, i)) continue;
    const items: ChecklistItem[] = [];
    let depth = 0;
    for (let j = i + 3; j < tokens.length; j++) {
      const t = tokens[j]!;
      if (depth === 0 && (t.type === "heading_open" || t.type === "paragraph_open" || t.type === "table_open")) break;
      if (t.type === "bullet_list_open" || t.type === "ordered_list_open") depth++;
      if (t.type === "bullet_list_close" || t.type === "ordered_list_close") {
        depth--;
        if (depth === 0) break;
      }
      if (t.type === "list_item_open" && depth === 1) {
        // The item's first inline token, found without copying the tokens after it (a copy per item is quadratic).
        let k = j;
        while (k < tokens.length && tokens[k]!.type !== "inline") k++;
        const inline = tokens[k];
        const raw = plainText(inline);
        const box = /^\[([ xX])\]\s*/.exec(raw);
        items.push({ text: box ? raw.slice(box[0].length) : raw, checked: box?.[1]?.toLowerCase() === "x", line: lineOf(t) });
      }
    }
    return items;
  }
  return [];
}

/**
 * The deliverable: the first file path in code under a "Deliverable" heading,
 * else in a line that says "deliverable", else the first `week-N/*.md` path.
 */
function findDeliverable(tokens: Token[]): string | undefined {
  const paths = (t: Token) => codeSpans(t).filter((s) => DELIVERABLE_PATH.test(s));
  let level = 0;
  let inSection = false;
  let mentioned: string | undefined;
  let fallback: string | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.type === "heading_open") {
      const l = Number(t.tag.slice(1));
      if (/^deliverables?\b/i.test(plainText(tokens[i + 1]))) {
        inSection = true;
        level = l;
        i++;
        continue;
      }
      if (inSection && l <= level) inSection = false;
    }
    if (t.type !== "inline") continue;
    const found = paths(t);
    if (found.length === 0) continue;
    if (inSection) return found[0];
    if (/deliverable/i.test(t.content)) mentioned ??= found[0];
    fallback ??= found.find((s) => /^week-\d+\/.*\.md$/.test(s));
  }
  return mentioned ?? fallback;
}

/** Text (and code blocks) of the section under the first heading matching `title`, up to the next heading of the same or higher level. */
function sectionText(tokens: Token[], title: RegExp): { text: string; fences: string[] } | undefined {
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.type !== "heading_open" || !title.test(plainText(tokens[i + 1]))) continue;
    const level = Number(t.tag.slice(1));
    const chunks: string[] = [];
    const fences: string[] = [];
    for (let j = i + 3; j < tokens.length; j++) {
      const u = tokens[j]!;
      if (u.type === "heading_open" && Number(u.tag.slice(1)) <= level) break;
      if (u.type === "inline") chunks.push(plainText(u));
      if (u.type === "fence" || u.type === "code_block") {
        chunks.push(u.content.trimEnd());
        fences.push(u.content.trimEnd());
      }
    }
    const text = chunks.join("\n").trim();
    return text === "" ? undefined : { text, fences };
  }
  return undefined;
}
