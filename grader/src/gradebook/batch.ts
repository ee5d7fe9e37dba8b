// Grades a class: every student's paste through the lesson's proof checker,
// plus identical and near-identical pastes across students sent to review
// (the rule that tells a copy from another run of the same scenario is in
// proof/similarity.ts).
import type { ProofChecker, ProofResult } from "../proof/check.js";
import { findSimilar, similarityText, type SimilarPair } from "../proof/similarity.js";

export { similarityText };
import { withManualGrades } from "./manual.js";
import { compareRows, type GradebookRow, type ManualGrade } from "./model.js";

export interface Paste {
  student: string;
  data: Uint8Array;
  /** The file's size, when the shell did not read an oversized paste into `data`. */
  sizeBytes?: number;
  /** Why the paste could not be read at all (e.g. it is a FIFO); `data` is then empty. */
  unreadable?: string;
  /** The paste's path, named in the reason when it is not UTF-8. */
  file?: string;
}

export interface ClassGrading {
  rows: GradebookRow[];
  /** Automated results by student, with the paste text and highlights for the review page. */
  results: Map<string, ProofResult>;
  similar: SimilarPair[];
}

export interface GradeClassOptions {
  checker: ProofChecker;
  pastes: readonly Paste[];
  manual: readonly ManualGrade[];
  /** ISO timestamp written as graded_at; injected so reruns are reproducible. */
  now: string;
  /** Similarity (of the normalised pastes) at or above which two pastes that share their run's values are flagged; default 0.8. */
  similarityThreshold?: number;
}

export function gradeClass(options: GradeClassOptions): ClassGrading {
  const { checker, now } = options;
  const lesson = checker.lesson.id;
  const results = new Map<string, ProofResult>();
  for (const p of options.pastes) results.set(p.student, p.unreadable !== undefined ? checker.refused(p.unreadable) : checker.check(p.data, p.sizeBytes, p.file));
  const docs = [...results.entries()].filter(([, r]) => r.text !== undefined).map(([id, r]) => ({ id, text: r.text! }));
  const similar = findSimilar(docs, options.similarityThreshold ?? 0.8);
  for (const pair of similar) {
    for (const [self, other] of [[pair.a, pair.b], [pair.b, pair.a]] as const) {
      const r = results.get(self)!;
      r.reasons.push(
        pair.identical
          ? `identical to the paste of ${other}`
          : `near-identical to the paste of ${other} (similarity ${similarityText(pair.similarity)} with ids, numbers and whitespace normalised; ${pair.sharedOrigin})`,
      );
      if (r.status === "pass") {
        r.status = "needs-review";
        r.score = null;
      }
    }
  }
  const autoRows: GradebookRow[] = [...results.entries()].map(([student, r]) => ({
    student,
    lesson,
    status: r.status,
    score: r.score,
    maxScore: r.maxScore,
    reasons: r.reasons,
    grader: "auto",
    gradedAt: now,
    manual: false,
    auto: { status: r.status, score: r.score, reasons: r.reasons, gradedAt: now, sha256: r.sha256 },
  }));
  const rows = withManualGrades(autoRows, options.manual, lesson, checker.lesson.xp ?? 1).sort(compareRows);
  return { rows, results, similar };
}

