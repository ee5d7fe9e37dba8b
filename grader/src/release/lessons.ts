/**
 * The lessons a release grades: those the workbook's checks serve, in the
 * order `grader check` runs them, each with the short name `--lesson`
 * takes and its XP (or `points` in the front-matter) as its max score.
 */
import { join } from "node:path";
import { loadChecks } from "../check/load.js";
import { planWorkbook } from "../check/plan.js";
import { lessonsLeftOut, loadCourse } from "../lesson/load.js";
import { ReleaseError } from "./read.js";
import type { ReleaseLesson } from "./classroom.js";

/** A lesson without `xp` or `points` is worth this much. */
export const DEFAULT_MAX_SCORE = 10;

export async function releaseLessons(root: string, lessonsDir = join(root, "lessons")): Promise<ReleaseLesson[]> {
  const [course, checks] = await Promise.all([loadCourse(lessonsDir), loadChecks(root)]);
  // A lesson file that does not parse would ship, but be missing from the classroom workflow and the README's lessons.
  const leftOut = lessonsLeftOut(course, "the release");
  if (leftOut !== undefined) throw new ReleaseError(leftOut);
  const plan = planWorkbook(course.lessons, checks.CHECKS, Object.values(checks.LESSON));
  return plan.lessons.map((p) => {
    const points = p.lesson.extra.points;
    const maxScore = p.lesson.xp ?? (typeof points === "number" ? points : DEFAULT_MAX_SCORE);
    return { id: p.lesson.id, title: p.lesson.title, short: p.short, maxScore };
  });
}
