// Splits a lesson into front-matter and body, and validates the front-matter
// fields with the line each one sits on. YAML aliases are refused outright
// (lessons never need them, and an alias bomb would expand to billions of
// values); nothing here expands the document as a whole.
import { isAlias, isCollection, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Alias, type Node, type Pair } from "yaml";
import {
  EVIDENCE_RULES,
  PROOF_STATUSES,
  PROOF_TYPES,
  type Diagnostic,
  type EvidenceRules,
  type ProofSpec,
  type ProofStatus,
  type ProofType,
  type RegexPattern,
} from "./model.js";

export interface SplitLesson {
  /** Front-matter text (without the `---` fences), or undefined when missing. */
  frontMatter?: string;
  /** 1-based file line of the first front-matter line. */
  frontMatterLine: number;
  body: string;
  /** 1-based file line of the first body line. */
  bodyLine: number;
}

export function splitFrontMatter(text: string): SplitLesson | { error: string; line: number } {
  const lines = text.split("\n");
  if (lines[0]?.trimEnd() !== "---") {
    return { error: "the file must start with a `---` line opening the YAML front-matter", line: 1 };
  }
  for (let i = 1; i < lines.length; i++) {
    const l = lines[i]!.trimEnd();
    if (l === "---" || l === "...") {
      return {
        frontMatter: lines.slice(1, i).join("\n"),
        frontMatterLine: 2,
        body: lines.slice(i + 1).join("\n"),
        bodyLine: i + 2,
      };
    }
  }
  return { error: "the front-matter opened on line 1 is never closed by a `---` line", line: 1 };
}

/** Front-matter fields after validation; `undefined` where a field was missing or invalid. */
export interface FrontMatterFields {
  id?: string;
  part?: string;
  title?: string;
  order?: number;
  durationMinutes?: number;
  prereqs: string[];
  kind?: string;
  xp?: number;
  proof?: ProofSpec;
  reviewScheduleDays: number[];
  extra: Record<string, unknown>;
  fieldLines: Record<string, number>;
}

const KNOWN_FIELDS = new Set([
  "id", "part", "title", "order", "duration_minutes", "prereqs", "kind", "xp", "proof", "review_schedule_days",
]);
const KNOWN_PROOF_FIELDS = new Set(["type", "status", "instructions", "regex_patterns", "evidence"]);
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._/-]*$/;

interface Ctx {
  file: string;
  lineOf: (node: Node | null | undefined, fallback: number) => number;
  diagnostics: Diagnostic[];
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return "nothing";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return `the text ${JSON.stringify(value)}`;
  return `${typeof value} ${String(value)}`;
}

export function parseFrontMatter(
  source: string,
  file: string,
  firstLine: number,
  diagnostics: Diagnostic[],
): FrontMatterFields {
  const fields: FrontMatterFields = { prereqs: [], reviewScheduleDays: [], extra: {}, fieldLines: {} };
  const lineCounter = new LineCounter();
  const doc = parseDocument(source, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const toFileLine = (offset: number) => firstLine + lineCounter.linePos(offset).line - 1;
  const ctx: Ctx = {
    file,
    diagnostics,
    lineOf: (node, fallback) => (node?.range ? toFileLine(node.range[0]) : fallback),
  };
  for (const err of doc.errors) {
    if (err.code === "DUPLICATE_KEY") {
      const key = /^[^:\n]*/.exec(source.slice(err.pos[0]))![0].trim();
      diagnostics.push({
        severity: "error", code: "duplicate-field", file, line: toFileLine(err.pos[0]), field: key,
        message: "is given twice; keep one",
      });
      continue;
    }
    diagnostics.push({
      severity: "error",
      code: "yaml-syntax",
      file,
      line: toFileLine(err.pos[0]),
      field: "front-matter",
      // The YAML reader recurses; what it reports as a stack overflow is input nested too deeply.
      message: /Maximum call stack/.test(err.message)
        ? "YAML nested too deeply for the reader (it ran out of stack); a lesson's front-matter nests a few levels"
        : `YAML syntax error: ${err.message.split("\n")[0]}`,
    });
  }
  if (doc.errors.length > 0) return fields;
  const aliases = aliasesIn(doc.contents);
  if (aliases.length > 0) {
    diagnostics.push({
      severity: "error", code: "yaml-alias", file, line: ctx.lineOf(aliases[0], firstLine), field: "front-matter",
      message:
        `YAML aliases are not allowed in a lesson's front-matter (*${aliases[0]!.source}${aliases.length > 1 ? `, and ${aliases.length - 1} more` : ""}): ` +
        "an alias repeats an anchored value, and a few nested ones expand to billions of values (an \"alias bomb\"); write each value out",
    });
    return fields;
  }
  const root = doc.contents;
  if (!isMap(root)) {
    // Described from the node, never expanded: `doc.toJS()` is what an alias bomb blows up.
    const found = root === null ? "nothing" : isSeq(root) ? "a list" : isScalar(root) ? describe(root.value) : "something else";
    diagnostics.push({
      severity: "error", code: "front-matter-shape", file, line: firstLine, field: "front-matter",
      message: `the front-matter must be a mapping of fields, found ${found}`,
    });
    return fields;
  }
  const byKey = new Map<string, Pair>();
  for (const pair of root.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
    byKey.set(key, pair as Pair);
    fields.fieldLines[key] = ctx.lineOf(pair.key as Node, firstLine);
    if (!KNOWN_FIELDS.has(key)) {
      fields.extra[key] = isScalar(pair.value) || pair.value ? (pair.value as Node).toJSON() : null;
      diagnostics.push({
        severity: "warning", code: "unknown-field", file, line: fields.fieldLines[key]!, field: key,
        message: `unknown field, kept as is (known fields: ${[...KNOWN_FIELDS].join(", ")})`,
      });
    }
  }
  const get = (key: string) => byKey.get(key);
  const lineOfKey = (key: string) => fields.fieldLines[key] ?? firstLine;

  const required = (key: string): Pair | undefined => {
    const pair = get(key);
    if (!pair || pair.value === null || (isScalar(pair.value) && pair.value.value === null)) {
      diagnostics.push({
        severity: "error", code: "missing-field", file, line: pair ? lineOfKey(key) : firstLine, field: key,
        message: pair ? "is empty; a value is required" : "is required but missing",
      });
      return undefined;
    }
    return pair;
  };

  const idPair = required("id");
  if (idPair) fields.id = expectId(ctx, idPair.value as Node, "id", lineOfKey("id"));
  const partPair = required("part");
  if (partPair) {
    const v = (partPair.value as Node).toJSON();
    if ((typeof v === "string" && v.trim() !== "") || (typeof v === "number" && Number.isFinite(v))) fields.part = String(v);
    else typeError(ctx, "part", lineOfKey("part"), "a text or a number", v);
  }
  const titlePair = required("title");
  if (titlePair) fields.title = expectText(ctx, titlePair.value as Node, "title", lineOfKey("title"));
  const orderPair = required("order");
  if (orderPair) fields.order = expectInteger(ctx, orderPair.value as Node, "order", lineOfKey("order"), 0);
  const durationPair = get("duration_minutes");
  if (durationPair) {
    fields.durationMinutes = expectInteger(ctx, durationPair.value as Node, "duration_minutes", lineOfKey("duration_minutes"), 1);
  }
  const kindPair = get("kind");
  if (kindPair) fields.kind = expectText(ctx, kindPair.value as Node, "kind", lineOfKey("kind"));
  const xpPair = get("xp");
  if (xpPair) fields.xp = expectInteger(ctx, xpPair.value as Node, "xp", lineOfKey("xp"), 0);
  const prereqPair = get("prereqs");
  if (prereqPair) fields.prereqs = expectIdList(ctx, prereqPair.value as Node, "prereqs", lineOfKey("prereqs"));
  const daysPair = get("review_schedule_days");
  if (daysPair) {
    fields.reviewScheduleDays = expectNumberList(ctx, daysPair.value as Node, "review_schedule_days", lineOfKey("review_schedule_days"));
  }
  const proofPair = get("proof");
  if (proofPair) fields.proof = parseProof(ctx, proofPair.value as Node, lineOfKey("proof"));
  return fields;
}

/** Every alias (`*name`) in the document, in no particular order; the walk keeps its own stack. */
function aliasesIn(root: unknown): Alias[] {
  const found: Alias[] = [];
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const n = stack.pop();
    if (isAlias(n)) found.push(n);
    else if (isPair(n)) stack.push(n.value, n.key);
    else if (isCollection(n)) for (let i = n.items.length - 1; i >= 0; i--) stack.push(n.items[i]);
  }
  // The first one in the file is the one to point at.
  return found.sort((a, b) => (a.range?.[0] ?? 0) - (b.range?.[0] ?? 0));
}

function typeError(ctx: Ctx, field: string, line: number, expected: string, value: unknown): void {
  ctx.diagnostics.push({
    severity: "error", code: "field-type", file: ctx.file, line, field,
    message: `must be ${expected}, found ${describe(value)}`,
  });
}

function expectText(ctx: Ctx, node: Node | null, field: string, line: number): string | undefined {
  const v = node?.toJSON();
  if (typeof v === "string" && v.trim() !== "") return v.trim();
  typeError(ctx, field, ctx.lineOf(node, line), "a non-empty text", v);
  return undefined;
}

function expectId(ctx: Ctx, node: Node | null, field: string, line: number): string | undefined {
  const v = node?.toJSON();
  if (typeof v === "string" && ID_PATTERN.test(v)) return v;
  if (typeof v === "string") {
    ctx.diagnostics.push({
      severity: "error", code: "bad-id", file: ctx.file, line: ctx.lineOf(node, line), field,
      message: `${JSON.stringify(v)} is not a lesson id: use letters, digits, '.', '_', '-' or '/', no spaces or '#'`,
    });
    return undefined;
  }
  typeError(ctx, field, ctx.lineOf(node, line), "a lesson id (text)", v);
  return undefined;
}

function expectInteger(ctx: Ctx, node: Node | null, field: string, line: number, min: number): number | undefined {
  const v = node?.toJSON();
  // Safe integers only: 1e308 is an integer to JavaScript, and an XP of it times a score, or summed, is Infinity (JSON writes null).
  if (typeof v === "number" && Number.isSafeInteger(v) && v >= min) return v;
  typeError(ctx, field, ctx.lineOf(node, line), min > 0 ? "a positive integer" : "a non-negative integer", v);
  return undefined;
}

function expectIdList(ctx: Ctx, node: Node | null, field: string, line: number): string[] {
  if (!isSeq(node)) {
    typeError(ctx, field, ctx.lineOf(node, line), "a list of lesson ids (use [] for none)", node?.toJSON());
    return [];
  }
  const out: string[] = [];
  node.items.forEach((item, i) => {
    const id = expectId(ctx, item as Node, `${field}[${i}]`, ctx.lineOf(item as Node, line));
    if (id !== undefined) out.push(id);
  });
  return out;
}

function expectNumberList(ctx: Ctx, node: Node | null, field: string, line: number): number[] {
  if (!isSeq(node)) {
    typeError(ctx, field, ctx.lineOf(node, line), "a list of numbers of days, e.g. [3, 7, 21, 60]", node?.toJSON());
    return [];
  }
  const out: number[] = [];
  node.items.forEach((item, i) => {
    const v = (item as Node).toJSON();
    if (typeof v === "number" && Number.isSafeInteger(v)) out.push(v);
    else typeError(ctx, `${field}[${i}]`, ctx.lineOf(item as Node, line), "an integer number of days", v);
  });
  return out;
}

function parseProof(ctx: Ctx, node: Node | null, line: number): ProofSpec | undefined {
  if (!isMap(node)) {
    typeError(ctx, "proof", ctx.lineOf(node, line), "a mapping with `type` and optional `status`, `instructions`, `regex_patterns`, `evidence`", node?.toJSON());
    return undefined;
  }
  const pairs = new Map<string, Pair>();
  for (const pair of node.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
    pairs.set(key, pair as Pair);
    if (!KNOWN_PROOF_FIELDS.has(key)) {
      ctx.diagnostics.push({
        severity: "warning", code: "unknown-field", file: ctx.file, line: ctx.lineOf(pair.key as Node, line),
        field: `proof.${key}`, message: `unknown proof field, ignored (known: ${[...KNOWN_PROOF_FIELDS].join(", ")})`,
      });
    }
  }
  const keyLine = (key: string) => {
    const p = pairs.get(key);
    return p ? ctx.lineOf(p.key as Node, line) : line;
  };
  let ok = true;
  const typePair = pairs.get("type");
  let type: ProofType | undefined;
  const typeValue = (typePair?.value as Node | null | undefined)?.toJSON();
  if (typePair === undefined || typeValue === null || typeValue === undefined) {
    ctx.diagnostics.push({
      severity: "error", code: "missing-field", file: ctx.file, line: keyLine("type"), field: "proof.type",
      message: `is required: one of ${PROOF_TYPES.join(", ")}`,
    });
    ok = false;
  } else if ((PROOF_TYPES as readonly unknown[]).includes(typeValue)) {
    type = typeValue as ProofType;
  } else {
    ctx.diagnostics.push({
      severity: "error", code: "bad-enum", file: ctx.file, line: keyLine("type"), field: "proof.type",
      message: `must be one of ${PROOF_TYPES.join(", ")}, found ${describe(typeValue)}`,
    });
    ok = false;
  }
  let instructions: string | undefined;
  const instrPair = pairs.get("instructions");
  if (instrPair) instructions = expectText(ctx, instrPair.value as Node, "proof.instructions", keyLine("instructions"));
  const patterns: RegexPattern[] = [];
  const patPair = pairs.get("regex_patterns");
  if (patPair) {
    const seq = patPair.value as Node | null;
    if (!isSeq(seq)) {
      typeError(ctx, "proof.regex_patterns", keyLine("regex_patterns"), "a list of regular expressions", seq?.toJSON());
      ok = false;
    } else {
      seq.items.forEach((item, i) => {
        const v = (item as Node).toJSON();
        const itemLine = ctx.lineOf(item as Node, keyLine("regex_patterns"));
        if (typeof v === "string" && v !== "") patterns.push({ source: v, line: itemLine });
        else {
          typeError(ctx, `proof.regex_patterns[${i}]`, itemLine, "a non-empty regular expression (text)", v);
          ok = false;
        }
      });
    }
  }
  let status: ProofStatus = patterns.length > 0 ? "regex" : "manual";
  const statusPair = pairs.get("status");
  if (statusPair) {
    const v = (statusPair.value as Node | null)?.toJSON();
    if ((PROOF_STATUSES as readonly unknown[]).includes(v)) status = v as ProofStatus;
    else {
      ctx.diagnostics.push({
        severity: "error", code: "bad-enum", file: ctx.file, line: keyLine("status"), field: "proof.status",
        message: `must be one of ${PROOF_STATUSES.join(", ")}, found ${describe(v)}`,
      });
      ok = false;
    }
  }
  let evidence: EvidenceRules[] | undefined;
  const evidencePair = pairs.get("evidence");
  if (evidencePair) {
    const seq = evidencePair.value as Node | null;
    if (!isSeq(seq)) {
      typeError(ctx, "proof.evidence", keyLine("evidence"), `a list of evidence rules (${EVIDENCE_RULES.join(", ")})`, seq?.toJSON());
      ok = false;
    } else {
      evidence = [];
      seq.items.forEach((item, i) => {
        const v = (item as Node).toJSON();
        if ((EVIDENCE_RULES as readonly unknown[]).includes(v)) evidence!.push(v as EvidenceRules);
        else {
          ctx.diagnostics.push({
            severity: "error", code: "bad-enum", file: ctx.file, line: ctx.lineOf(item as Node, keyLine("evidence")), field: `proof.evidence[${i}]`,
            message: `must be one of ${EVIDENCE_RULES.join(", ")}, found ${describe(v)}`,
          });
          ok = false;
        }
      });
    }
  }
  if (!ok || type === undefined) return undefined;
  const spec: ProofSpec = { type, status, regexPatterns: patterns };
  if (instructions !== undefined) spec.instructions = instructions;
  if (evidence !== undefined) spec.evidence = evidence;
  return spec;
}
