// Judges one paste against a lesson's proof rules. Pure: bytes in, result out.
//
// Status: fail when a pattern does not match or the paste shows a broken
// fail rule (a retry applied twice); needs-review when only something that
// cannot be confirmed from the paste is left (a duplicate whose original is
// not in it, a copied lesson example), or the lesson is graded by hand;
// pass otherwise.
import { createHash } from "node:crypto";
import type { Lesson } from "../lesson/model.js";
import { parseEvidence } from "./evidence.js";
import { DEFAULT_MAX_PASTE_BYTES, decodePaste } from "./input.js";
import type { RE2JS } from "re2js";
import { compilePattern, type CompiledPattern } from "./regex.js";
import { parseElection } from "./election.js";
import { nearCopyOf, similarityText, type NearCopy } from "./similarity.js";
import { DEFAULT_EVIDENCE_RULES } from "../lesson/model.js";

export type ProofOutcome = "pass" | "fail" | "needs-review";

export interface Highlight {
  start: number;
  end: number;
  /** `violation`: a broken rule that fails the proof; `review`: a line a person checks (RULE_EFFECT in evidence.ts). */
  kind: "regex" | "applied" | "acknowledged" | "duplicate" | "request" | "violation" | "review";
  /** What the highlight shows, e.g. the pattern or the evidence rule. */
  label: string;
}

export interface PatternResult {
  source: string;
  matched: boolean;
  /** Number of matches found for highlighting, counted up to MAX_MATCHES_PER_PATTERN. */
  matches: number;
}

export interface ProofResult {
  lesson: string;
  status: ProofOutcome;
  /** Points: max_score on pass, 0 on fail, null while waiting for review. */
  score: number | null;
  maxScore: number;
  reasons: string[];
  patterns: PatternResult[];
  evidence?: ProofEvidence;
  highlights: Highlight[];
  bytes: number;
  sha256: string;
  /** The decoded paste, or undefined when it was refused. */
  text?: string;
}

/** A broken evidence rule, of either kind (exactly-once or leader-change); `line` 0: about the whole paste. */
export interface RuleBroken {
  rule: string;
  line: number;
  message: string;
}

export interface ProofEvidence {
  /** The lesson's `proof.evidence`: what the paste was read for. */
  rules: string[];
  /** Broken rules that fail the proof. */
  violations: RuleBroken[];
  /** Broken rules that send the proof to review. */
  toReview: RuleBroken[];
  clients: number;
  applied: number;
  acknowledged: number;
  duplicates: number;
  requests: number;
  /** Leader-change rules only: the (node, term) pairs elected, and the nodes that exited. */
  leaders?: number;
  stopped?: number;
}

export class LessonProofConfigError extends Error {
  readonly code = "LESSON_PROOF_CONFIG";
}

const MAX_MATCHES_PER_PATTERN = 20;
/**
 * Reasons of one kind a result carries, the rest counted: a reason per line
 * of a paste of 5,000 forged lines would fill a gradebook cell far past the
 * 32,767 characters a spreadsheet holds. Each of those lines stays
 * highlighted.
 */
const MAX_REASONS_PER_KIND = 10;

function firstOf(reasons: string[], rest: (n: number) => string): string[] {
  return reasons.length <= MAX_REASONS_PER_KIND ? reasons : [...reasons.slice(0, MAX_REASONS_PER_KIND), rest(reasons.length - MAX_REASONS_PER_KIND)];
}
const MAX_EVIDENCE_HIGHLIGHTS = 500;

export interface ProofChecker {
  lesson: Lesson;
  maxBytes: number;
  /**
   * `sizeBytes`: the file's size when the shell did not read an oversized file;
   * `file`: the paste's path, named where a paste that is not UTF-8 goes wrong.
   */
  check(data: Uint8Array, sizeBytes?: number, file?: string): ProofResult;
  /** The result for a paste that could not be read at all (`why`: e.g. it is a FIFO): a fail with that reason. */
  refused(why: string): ProofResult;
}

/** Compiles a lesson's patterns once; the checker then judges any number of pastes. */
export function proofChecker(lesson: Lesson, options: { maxBytes?: number } = {}): ProofChecker {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_PASTE_BYTES;
  const compiled: CompiledPattern[] = (lesson.proof?.regexPatterns ?? []).map((p) => compilePattern(p.source));
  const bad = compiled.filter((c) => !c.ok);
  if (bad.length > 0) {
    throw new LessonProofConfigError(
      `lesson ${lesson.id} has regex patterns the linear-time engine cannot run: ${bad.map((b) => `${JSON.stringify(b.source)} (${!b.ok ? b.reason : ""})`).join("; ")}; run \`grader lint\``,
    );
  }
  const maxScore = lesson.xp ?? 1;
  return {
    lesson,
    maxBytes,
    check(data, sizeBytes = data.byteLength, file) {
      const sha256 = createHash("sha256").update(data).digest("hex");
      const decoded = decodePaste(data, maxBytes, sizeBytes, file);
      if (!decoded.ok && (decoded.kind === "binary" || decoded.kind === "not-utf8") && lesson.proof && lesson.proof.type !== "paste") {
        // An upload (a screenshot, a PDF) is not text the patterns can read: a person looks at it.
        return {
          lesson: lesson.id, status: "needs-review", score: null, maxScore,
          reasons: [`an upload that is not text (${decoded.kind === "binary" ? "binary data" : "not UTF-8"}); lesson ${lesson.id} accepts uploads, so it goes to review`],
          patterns: [], highlights: [], bytes: decoded.bytes, sha256,
        };
      }
      if (!decoded.ok) {
        return { lesson: lesson.id, status: "fail", score: 0, maxScore, reasons: [decoded.reason], patterns: [], highlights: [], bytes: decoded.bytes, sha256 };
      }
      return judge(lesson, compiled, decoded.text, { maxScore, bytes: decoded.bytes, sha256 });
    },
    refused(why) {
      const sha256 = createHash("sha256").digest("hex");
      return { lesson: lesson.id, status: "fail", score: 0, maxScore, reasons: [`paste refused: ${why}`], patterns: [], highlights: [], bytes: 0, sha256 };
    },
  };
}

/** Lines of the longest lesson example (2+ lines) whose every line appears in the paste, if any. */
function copiedExample(lesson: Lesson, text: string): number | undefined {
  let lines: Set<string> | undefined;
  let best: number | undefined;
  for (const example of exampleLogs(lesson)) {
    const wanted = example.split("\n").map((l) => l.trim()).filter((l) => l !== "");
    lines ??= new Set(text.split("\n").map((l) => l.trim()));
    if (wanted.every((l) => lines!.has(l))) best = Math.max(best ?? 0, wanted.length);
  }
  return best;
}

/** The lesson's example logs: code blocks of its "Proof" section of 2+ lines. */
function exampleLogs(lesson: Lesson): string[] {
  return lesson.proofExamples.filter((e) => e.split("\n").filter((l) => l.trim() !== "").length >= 2);
}

/** The closest lesson example the paste nearly copies (the same shapes, times and backoffs; other ids), if any. */
function nearlyCopiedExample(lesson: Lesson, text: string): NearCopy | undefined {
  let best: NearCopy | undefined;
  for (const example of exampleLogs(lesson)) {
    const near = nearCopyOf(example, text);
    if (near && (best === undefined || near.similarity > best.similarity)) best = near;
  }
  return best;
}

/**
 * Where a pattern matched, up to MAX_MATCHES_PER_PATTERN spans. Searching line
 * by line with the DFA first and extracting positions only on matching lines is
 * several times faster than RE2's position-tracking search over the whole paste;
 * a match that spans lines falls back to the whole-text search.
 */
function matchSpans(re: RE2JS, text: string): [number, number][] {
  const spans: [number, number][] = [];
  let start = 0;
  while (start <= text.length && spans.length < MAX_MATCHES_PER_PATTERN) {
    let end = text.indexOf("\n", start);
    if (end === -1) end = text.length;
    const line = text.slice(start, end);
    if (re.test(line)) {
      const m = re.matcher(line);
      while (spans.length < MAX_MATCHES_PER_PATTERN && m.find()) {
        if (m.end() === m.start()) break; // an empty match: nothing to highlight
        spans.push([start + m.start(), start + m.end()]);
      }
    }
    start = end + 1;
  }
  if (spans.length === 0) {
    const m = re.matcher(text);
    if (m.find() && m.end() > m.start()) spans.push([m.start(), m.end()]);
  }
  return spans;
}

function judge(lesson: Lesson, compiled: CompiledPattern[], text: string, meta: { maxScore: number; bytes: number; sha256: string }): ProofResult {
  const reasons: string[] = [];
  const highlights: Highlight[] = [];
  const patterns: PatternResult[] = [];
  for (const [i, c] of compiled.entries()) {
    if (!c.ok) throw new Error("unreachable: patterns were checked when the checker was built");
    // test() runs RE2's DFA and decides the status; spans for highlighting come after, and only on a match.
    const matched = c.re.test(text);
    const spans = matched ? matchSpans(c.re, text) : [];
    for (const [start, end] of spans) highlights.push({ start, end, kind: "regex", label: `pattern ${i + 1}: ${c.source}` });
    patterns.push({ source: c.source, matched, matches: spans.length });
    if (!matched) reasons.push(`pattern ${i + 1} did not match: ${c.source}`);
  }
  const rules = lesson.proof?.evidence ?? DEFAULT_EVIDENCE_RULES;
  const evidence: ProofEvidence = { rules: [...rules], violations: [], toReview: [], clients: 0, applied: 0, acknowledged: 0, duplicates: 0, requests: 0 };
  if (rules.includes("exactly-once")) {
    const ev = parseEvidence(text);
    for (const e of ev.events.slice(0, MAX_EVIDENCE_HIGHLIGHTS)) {
      highlights.push({ start: e.start, end: e.end, kind: e.kind, label: `${e.kind}: client ${e.client} seq ${e.seq}` });
    }
    for (const r of ev.replies.slice(0, MAX_EVIDENCE_HIGHLIGHTS)) {
      highlights.push({ start: r.start, end: r.end, kind: "acknowledged", label: `acknowledged: ${r.type} to client ${r.client}` });
    }
    evidence.violations.push(...ev.violations);
    evidence.toReview.push(...ev.toReview);
    evidence.clients = ev.clients;
    evidence.applied = ev.events.filter((e) => e.kind === "applied").length;
    evidence.acknowledged = ev.events.filter((e) => e.kind === "acknowledged").length + ev.replies.length;
    evidence.duplicates = ev.events.filter((e) => e.kind === "duplicate").length;
    evidence.requests = ev.events.filter((e) => e.kind === "request").length;
  }
  if (rules.includes("leader-change")) {
    const el = parseElection(text);
    evidence.violations.push(...el.violations);
    // A long line is one finding whichever reader met it; a line of several events is one note per reader, each naming its own events.
    for (const r of el.toReview) if (!evidence.toReview.some((t) => t.rule === r.rule && t.line === r.line && t.message === r.message)) evidence.toReview.push(r);
    evidence.leaders = el.leaders.length;
    evidence.stopped = el.stopped.length;
  }
  const lineStarts = lineOffsets(text);
  const broken = new Map<number, "violation" | "review">();
  for (const v of evidence.toReview) broken.set(v.line, "review");
  for (const v of evidence.violations) broken.set(v.line, "violation");
  for (const [line, kind] of [...broken].sort((a, b) => a[0] - b[0])) {
    if (line < 1 || line > lineStarts.length) continue;
    const start = lineStarts[line - 1]!;
    const end = line < lineStarts.length ? lineStarts[line]! - 1 : text.length;
    highlights.push({ start, end, kind, label: kind === "violation" ? "evidence rule broken" : "evidence to review: a person checks this line" });
  }
  const patternsFailed = reasons.length;
  reasons.push(...firstOf(evidence.violations.map((v) => `evidence: ${v.message}`), (n) => `evidence: and ${n} more lines break a rule`));
  // Review reasons: nothing in the paste is wrong, but something in it cannot be confirmed from it.
  const review: string[] = firstOf(evidence.toReview.map((v) => `evidence to review: ${v.message}`), (n) => `evidence to review: and ${n} more lines to review`);
  const copied = copiedExample(lesson, text);
  const nearly = copied === undefined ? nearlyCopiedExample(lesson, text) : undefined;
  if (copied !== undefined) {
    // Not proof of a bug, nor of a run: a person decides.
    review.push(`the paste contains the lesson's example log (${copied} lines) verbatim; a real run has its own ids and times`);
  } else if (nearly !== undefined) {
    review.push(
      `the paste is nearly the lesson's example log (similarity ${similarityText(nearly.similarity)} with ids, numbers and whitespace normalised; ${nearly.commonNumbers} of their ${nearly.numbers} times and other numbers of 3+ digits are the example's); a real run has its own times and backoffs`,
    );
  }
  const proof = lesson.proof;
  const autoPassed = reasons.length === 0;
  let status: ProofOutcome;
  if (!proof || proof.status === "manual" || compiled.length === 0) {
    status = "needs-review";
    reasons.unshift(
      !proof
        ? `lesson ${lesson.id} has no proof rules; every paste goes to review`
        : compiled.length === 0
          ? `lesson ${lesson.id} has no regex patterns; every paste goes to review`
          : `lesson ${lesson.id} proofs are graded by hand (status: manual)`,
    );
  } else if (autoPassed) status = "pass";
  else if (proof.status === "manual_or_regex") {
    status = "needs-review";
    reasons.unshift(`${whatFailed(patternsFailed, evidence.violations)}; sent to review (status: manual_or_regex)`);
  } else status = "fail";
  reasons.push(...review);
  // A review reason is a question for a person, not a fault. It sends a
  // passing paste to review where a person grades in the end (status
  // manual_or_regex), and always for a copied example; a lesson graded by
  // its patterns alone passes, with the reason kept beside the result.
  const reviewedByPerson = proof?.status === "manual_or_regex";
  if (status === "pass" && (copied !== undefined || nearly !== undefined || (review.length > 0 && reviewedByPerson))) status = "needs-review";
  const score = status === "pass" ? meta.maxScore : status === "fail" ? 0 : null;
  return { lesson: lesson.id, status, score, maxScore: meta.maxScore, reasons, patterns, evidence, highlights, bytes: meta.bytes, sha256: meta.sha256, text };
}

/** What kept a paste from passing, for the first reason of a paste sent to review: the patterns, the evidence rules (the first one broken, with its line), or both. */
function whatFailed(patternsFailed: number, violations: readonly RuleBroken[]): string {
  const first = violations[0];
  const evidence = first === undefined ? undefined : `${violations.length === 1 ? "an evidence rule is broken" : `${violations.length} evidence rules are broken, the first`} (${first.message})`;
  if (patternsFailed > 0 && evidence) return `the regex checks did not pass and ${evidence}`;
  return evidence ?? "the regex checks did not pass";
}

/** Offset of the start of each line of `text`. */
function lineOffsets(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return starts;
}
