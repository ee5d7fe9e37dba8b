// The lesson model every grader command reads. `PassCriterion.tests` is where
// student checks and hidden suites are named; the parser leaves it empty.
import { printable } from "@dslab/protocol/cli";

export type Severity = "error" | "warning";

/** A finding about an input file, pointing at where it came from. */
export interface Diagnostic {
  severity: Severity;
  /** Stable machine-readable code, e.g. `field-type`, `prereq-cycle`. */
  code: string;
  file: string;
  /** 1-based line in the original file; 0 when the finding is about the whole file. */
  line: number;
  /** Dotted front-matter path (`proof.regex_patterns[1]`) or a body part (`body.criteria`). */
  field?: string;
  message: string;
}

export const PROOF_TYPES = ["paste", "upload", "paste_or_upload"] as const;
export type ProofType = (typeof PROOF_TYPES)[number];

/**
 * How a proof is judged: `regex` (patterns decide pass/fail), `manual` (every
 * proof goes to review), `manual_or_regex` (patterns pass, the rest goes to review).
 */
export const PROOF_STATUSES = ["regex", "manual", "manual_or_regex"] as const;
export type ProofStatus = (typeof PROOF_STATUSES)[number];

/**
 * What a paste's evidence is read for, besides the patterns:
 * `exactly-once` (no (client, seq) applied twice, applied seqs increasing, a
 * duplicate's original shown), `leader-change` (a leader stops and another
 * node is elected for a higher term after it).
 */
export const EVIDENCE_RULES = ["exactly-once", "leader-change"] as const;
export type EvidenceRules = (typeof EVIDENCE_RULES)[number];
/** The evidence a proof is read for when its lesson does not say: the unit's. */
export const DEFAULT_EVIDENCE_RULES: readonly EvidenceRules[] = ["exactly-once"];

export interface ProofSpec {
  type: ProofType;
  status: ProofStatus;
  instructions?: string;
  regexPatterns: RegexPattern[];
  /** `proof.evidence`; DEFAULT_EVIDENCE_RULES when the lesson gives none. */
  evidence?: EvidenceRules[];
}

export interface RegexPattern {
  source: string;
  /** Line of this entry in the lesson file, for error messages. */
  line: number;
}

/** Where a criterion is enforced (a student check, a hidden suite, a proof); the parser fills none. */
export interface CriterionTestRef {
  suite: "student" | "hidden" | "proof";
  file: string;
  name?: string;
}

export interface PassCriterion {
  /** `<lesson id>#<number>`, the key tests and results use to cite the criterion. */
  id: string;
  number: number;
  text: string;
  howToCheck: string;
  /** Code spans in the "How to check" cell (test files, commands), for later mapping. */
  checkRefs: string[];
  line: number;
  tests: CriterionTestRef[];
}

export interface ChecklistItem {
  text: string;
  checked: boolean;
  line: number;
}

export interface Lesson {
  id: string;
  part: string;
  title: string;
  order: number;
  durationMinutes?: number;
  prereqs: string[];
  kind?: string;
  xp?: number;
  proof?: ProofSpec;
  reviewScheduleDays: number[];
  /** Front-matter fields the grader does not know, kept as parsed. */
  extra: Record<string, unknown>;
  criteria: PassCriterion[];
  doneWhen: ChecklistItem[];
  /** The file the student hands in, e.g. `week-12/day3-client-retry-idempotency.md`. */
  deliverable?: string;
  /** Text of the body's "Proof" section, if any. */
  proofSection?: string;
  /** Code blocks of the "Proof" section: example logs a paste must not simply copy. */
  proofExamples: string[];
  /** Path of the lesson file as given (relative to the lessons dir when loaded from one). */
  file: string;
  /** 1-based line of each front-matter field, for later diagnostics. */
  fieldLines: Record<string, number>;
  body: string;
  /** 1-based line of the file where `body` starts. */
  bodyLine: number;
}

export interface ParseResult {
  lesson?: Lesson;
  /**
   * A lesson with errors but a readable id: what could be read of it (fields
   * that failed are left empty), so that lint can still check its other
   * fields and other lessons can name it as a prerequisite. Never graded.
   */
  partial?: Lesson;
  diagnostics: Diagnostic[];
}

/** One line for a terminal: control characters (from a file name, a quoted value) are written as `\u001b` (`printable`), never raw. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.line > 0 ? `${d.file}:${d.line}` : d.file;
  const field = d.field ? ` ${d.field}:` : "";
  return printable(`${where}: ${d.severity}${field} ${d.message} [${d.code}]`);
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === "error");
}
