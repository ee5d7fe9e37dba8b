// Manual decisions override the automated status and survive every rerun.
import type { AutoGrade, GradebookRow, ManualGrade } from "./model.js";

export function manualKey(lesson: string, student: string): string {
  return `${lesson}\u0000${student}`;
}

/** Adds or replaces the decision for (lesson, student); the list stays sorted. */
export function upsertManualGrade(grades: readonly ManualGrade[], grade: ManualGrade): ManualGrade[] {
  const key = manualKey(grade.lesson, grade.student);
  return [...grades.filter((g) => manualKey(g.lesson, g.student) !== key), grade].sort((a, b) =>
    manualKey(a.lesson, a.student) < manualKey(b.lesson, b.student) ? -1 : 1,
  );
}

/**
 * Applies a manual decision to a row (or makes a row from it when the student
 * has no paste in this run). The automated result stays under `auto`.
 */
export function applyManual(row: GradebookRow | undefined, grade: ManualGrade, maxScore: number): GradebookRow {
  const auto: AutoGrade | undefined = row?.auto ?? (row && !row.manual
    ? { status: row.status, score: row.score, reasons: row.reasons, gradedAt: row.gradedAt }
    : undefined);
  const reasons = [`manual${grade.by ? ` (${grade.by})` : ""}: ${grade.note}`];
  if (!auto) reasons.push("no paste for this student in the last automated run");
  else {
    if (grade.sha256 && auto.sha256 && grade.sha256 !== auto.sha256) {
      reasons.push("the paste changed after this manual decision; check it again");
    }
    reasons.push(`auto: ${auto.status}${auto.reasons.length ? ` (${auto.reasons.join("; ")})` : ""}`);
  }
  const out: GradebookRow = {
    student: grade.student,
    lesson: grade.lesson,
    status: grade.status,
    score: grade.status === "pass" ? maxScore : 0,
    maxScore,
    reasons,
    grader: grade.by ? `manual:${grade.by}` : "manual",
    gradedAt: grade.gradedAt,
    manual: true,
  };
  if (auto) out.auto = auto;
  return out;
}

/** Rows of one lesson with every manual decision for that lesson applied. */
export function withManualGrades(rows: readonly GradebookRow[], manual: readonly ManualGrade[], lesson: string, maxScore: number): GradebookRow[] {
  const byStudent = new Map(rows.map((r) => [r.student, r]));
  for (const g of manual) {
    if (g.lesson !== lesson) continue;
    byStudent.set(g.student, applyManual(byStudent.get(g.student), g, maxScore));
  }
  return [...byStudent.values()];
}
