// Judges one paste against a lesson's proof rules. Pure: bytes in, result out.
//
// Status: fail when a pattern does not match or the paste shows a broken
// fail rule (a retry applied twice); needs-review when only something that
// cannot be confirmed from the paste is left (a duplicate whose original is
// not in it, a copied lesson example), or the lesson is graded by hand;
// pass otherwise.
import { createHash } from "node:crypto";
import type { Lesson } from "../lesson/model.js";
import { parseEvidence, type Evidence } from "./evidence.js";
import { DEFAULT_MAX_PASTE_BYTES, decodePaste } from "./input.js";
import type { RE2JS } from "re2js";
import { compilePattern, type CompiledPattern } from "./regex.js";

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
  evidence?: Omit<Evidence, "events"> & { applied: number; acknowledged: number; duplicates: number; requests: number };
  highlights: Highlight[];
  bytes: number;
  sha256: string;
  /** The decoded paste, or undefined when it was refused. */
  text?: string;
}

export class LessonProofConfigError extends Error {
  readonly code = "LESSON_PROOF_CONFIG";
}

const MAX_MATCHES_PER_PATTERN = 20;
const MAX_EVIDENCE_HIGHLIGHTS = 500;

export interface ProofChecker {
  lesson: Lesson;
  maxBytes: number;
  /** `sizeBytes`: the file's size when the shell did not read an oversized file. */
  check(data: Uint8Array, sizeBytes?: number): ProofResult;
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
    check(data, sizeBytes = data.byteLength) {
      const sha256 = createHash("sha256").update(data).digest("hex");
      const decoded = decodePaste(data, maxBytes, sizeBytes);
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
  for (const example of lesson.proofExamples) {
    const wanted = example.split("\n").map((l) => l.trim()).filter((l) => l !== "");
    if (wanted.length < 2) continue;
    lines ??= new Set(text.split("\n").map((l) => l.trim()));
    if (wanted.every((l) => lines!.has(l))) best = Math.max(best ?? 0, wanted.length);
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
  const ev = parseEvidence(text);
  for (const e of ev.events.slice(0, MAX_EVIDENCE_HIGHLIGHTS)) {
    highlights.push({ start: e.start, end: e.end, kind: e.kind, label: `${e.kind}: client ${e.client} seq ${e.seq}` });
  }
  const broken = new Map<number, "violation" | "review">();
  for (const v of ev.toReview) broken.set(v.line, "review");
  for (const v of ev.violations) broken.set(v.line, "violation");
  for (const e of ev.events) {
    const kind = broken.get(e.line);
    if (kind !== undefined) highlights.push({ start: e.start, end: e.end, kind, label: kind === "violation" ? "evidence rule broken" : "evidence to review: a person checks this line" });
  }
  reasons.push(...ev.violations.map((v) => `evidence: ${v.message}`));
  // Review reasons: nothing in the paste is wrong, but something in it cannot be confirmed from it.
  const review: string[] = ev.toReview.map((v) => `evidence to review: ${v.message}`);
  const copied = copiedExample(lesson, text);
  if (copied !== undefined) {
    // Not proof of a bug, nor of a run: a person decides.
    review.push(`the paste contains the lesson's example log (${copied} lines) verbatim; a real run has its own ids and times`);
  }
  const evidence = {
    violations: ev.violations,
    toReview: ev.toReview,
    clients: ev.clients,
    applied: ev.events.filter((e) => e.kind === "applied").length,
    acknowledged: ev.events.filter((e) => e.kind === "acknowledged").length,
    duplicates: ev.events.filter((e) => e.kind === "duplicate").length,
    requests: ev.events.filter((e) => e.kind === "request").length,
  };
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
    reasons.unshift("the regex checks did not pass; sent to review (status: manual_or_regex)");
  } else status = "fail";
  reasons.push(...review);
  // A review reason is a question for a person, not a fault. It sends a
  // passing paste to review where a person grades in the end (status
  // manual_or_regex), and always for a copied example; a lesson graded by
  // its patterns alone passes, with the reason kept beside the result.
  const reviewedByPerson = proof?.status === "manual_or_regex";
  if (status === "pass" && (copied !== undefined || (review.length > 0 && reviewedByPerson))) status = "needs-review";
  const score = status === "pass" ? meta.maxScore : status === "fail" ? 0 : null;
  return { lesson: lesson.id, status, score, maxScore: meta.maxScore, reasons, patterns, evidence, highlights, bytes: meta.bytes, sha256: meta.sha256, text };
}
