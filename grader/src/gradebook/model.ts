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
}

export const CSV_COLUMNS = ["student", "lesson", "status", "score", "max_score", "reasons", "grader", "graded_at"] as const;

export function compareRows(a: GradebookRow, b: GradebookRow): number {
  if (a.lesson !== b.lesson) return a.lesson < b.lesson ? -1 : 1;
  return a.student < b.student ? -1 : a.student > b.student ? 1 : 0;
}
