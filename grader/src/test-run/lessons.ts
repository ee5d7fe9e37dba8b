/**
 * The lessons `grader test` grades: those the workbook serves (the ids in
 * week-12/checks/lessons.ts), found in the course for their titles and XP,
 * in prerequisite order; `--lesson` picks some by id or a piece of it.
 */
import { orderByPrerequisites, selectLessons, shortName, type PlannedLesson } from "../check/plan.js";
import { loadCourse } from "../lesson/load.js";
import { loadChecks } from "../check/load.js";
import type { LessonInfo } from "./grade.js";

export interface GradedLesson extends LessonInfo {
  short: string;
}

export async function gradedLessons(lessonsDir: string, queries: readonly string[]): Promise<GradedLesson[]> {
  // The ids come from the workbook's checks, imported at run time as grader check does (never bundled).
  const ids: string[] = Object.values((await loadChecks()).LESSON);
  let course: Awaited<ReturnType<typeof loadCourse>>["lessons"] = [];
  try {
    course = (await loadCourse(lessonsDir)).lessons;
  } catch {
    // Without the course the ids stand for the titles, and no XP is known.
  }
  const found = orderByPrerequisites(course.filter((l) => ids.includes(l.id)));
  const missing = ids.filter((id) => !found.some((l) => l.id === id));
  const all = [...found.map((l) => ({ id: l.id, title: l.title, xp: l.xp ?? 0 })), ...missing.map((id) => ({ id, title: id, xp: 0 }))];
  const withShort = all.map((l) => ({ ...l, short: shortName(l, all) }));
  if (queries.length === 0) return withShort;
  const planned = withShort.map((l) => ({ lesson: { id: l.id, title: l.title }, short: l.short, criteria: [] }) as unknown as PlannedLesson);
  const chosen = new Set(selectLessons(queries, planned).map((p) => p.lesson.id));
  return withShort.filter((l) => chosen.has(l.id));
}
