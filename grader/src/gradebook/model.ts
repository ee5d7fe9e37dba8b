// The one row shape every gradebook export (CSV, JSON, HTML) is made from.
import type { ProofOutcome } from "../proof/check.js";

export interface AutoGrade {
  status: ProofOutcome;
  score: number | null;
  reasons: string[];
  gradedAt: string;
  /** SHA-256 of the paste, to notice when a paste changed after a manual review. */
  sha256?: string;
}

export interface ManualGrade {
  lesson: string;
  student: string;
  status: "pass" | "fail";
  note: string;
  /** The instructor, when given with `--by`. */
  by?: string;
  gradedAt: string;
  /** SHA-256 of the paste the decision was made on, when the gradebook knew it. */
  sha256?: string;
}

/** One criterion's points from `grader test` (its visible and hidden tests together). */
export interface CriterionScore {
  criterion: string;
  score: number;
  maxScore: number;
  /** passed: every test of the criterion passed; error: one could not judge (a limit, a crash); else failed. */
  status: "passed" | "failed" | "error";
}

/** A lesson's result from `grader test` (the submission's code), beside the proof's. */
export interface TestGrade {
  score: number;
  maxScore: number;
  /** XP earned: the lesson's XP in proportion to the score. */
  xp: number;
  /** The lesson's full XP (absent in rows written before it was recorded). */
  lessonXp?: number;
  criteria: CriterionScore[];
  /** Tests that could not judge (limits, crashes). */
  errors: number;
  gradedAt: string;
  /** Set when the submission could not be graded at all: why (the scores are then 0 of 0 and mean nothing). */
  notGraded?: string;
}

/** The reason of a row that `grader test` made before any proof of that lesson was graded (status needs-review). */
export const NO_PROOF_REASON = "no proof graded yet: only grader test ran";
/** The reason of such a row when `grader test` could not grade the submission either. */
export function notGradedReason(why: string): string {
  return `not graded: grader test could not grade the submission: ${why}; no proof graded yet`;
}

export interface GradebookRow {
  student: string;
  lesson: string;
  status: ProofOutcome;
  score: number | null;
  maxScore: number;
  reasons: string[];
  /** `auto`, `manual` or `manual:<name>`. */
  grader: string;
  gradedAt: string;
  manual: boolean;
  /** The automated result, kept under a manual decision so reruns can re-apply it. */
  auto?: AutoGrade;
  /** The submission's code as `grader test` graded it (kept when the proofs are graded again). */
  tests?: TestGrade;
}

export const CSV_COLUMNS = ["student", "lesson", "status", "score", "max_score", "reasons", "grader", "graded_at"] as const;
/** Added to the CSV once any row has a `grader test` result. */
export const TEST_CSV_COLUMNS = ["test_score", "test_max_score", "test_xp", "test_lesson_xp", "test_errors", "criteria"] as const;

/** The gradebook's order: by student, then lesson. */
export function compareRows(a: GradebookRow, b: GradebookRow): number {
  if (a.student !== b.student) return a.student < b.student ? -1 : 1;
  return a.lesson < b.lesson ? -1 : a.lesson > b.lesson ? 1 : 0;
}
