/**
 * Which criteria `grader check` runs, in what order: the workbook's lessons
 * (those the checks name, or the registry's lesson table lists, and every
 * lesson of the course they need first, however indirectly) ordered by
 * their prerequisites, ties broken by `order` then id; each lesson's pass
 * criteria in table order, each with the check registered for its id (or
 * none). A criterion no check decides whose "How to check" is the bare
 * `npm run check` (the intro's "the checks run and list the week's
 * lessons") is met by the run itself. A lesson is named on the command line by its id or by a unique
 * piece of its id or title (`retry`, `vote`, `w11`); every lesson has a
 * short name of that kind, the one the "next:" line prints.
 */
import { UsageError } from "@dslab/protocol/cli";
import type { Lesson, PassCriterion } from "../lesson/model.js";
import { resolveLesson, shortName } from "../lesson/resolve.js";
import type { CriterionCheck } from "../../../week-12/checks/index.js";

export { lessonsMatching, shortName } from "../lesson/resolve.js";

export interface PlannedCriterion {
  criterion: PassCriterion;
  check: CriterionCheck | undefined;
  /** No check decides it, and its "How to check" is running `npm run check`: this run meets it. */
  byRun: boolean;
}

/** The "How to check" of a criterion that running the command meets. */
export const RUN_ITSELF = "npm run check";

export interface PlannedLesson {
  lesson: Lesson;
  /** The shortest way to name it with --lesson, e.g. `retry`. */
  short: string;
  criteria: PlannedCriterion[];
}

export interface Plan {
  lessons: PlannedLesson[];
  /** Checks whose criterion is in no loaded lesson: they are not run. */
  orphans: CriterionCheck[];
  /** Lessons of the registry's table that the lessons directory lacks. */
  missingLessons: string[];
}

/** Lessons in prerequisite order (prerequisites outside `lessons` are ignored), ties by order then id; a cycle's lessons come last, by order. */
export function orderByPrerequisites<T extends Pick<Lesson, "id" | "order" | "prereqs">>(lessons: readonly T[]): T[] {
  const byId = new Map(lessons.map((l) => [l.id, l]));
  const waiting = new Map(lessons.map((l) => [l.id, new Set(l.prereqs.filter((p) => byId.has(p) && p !== l.id))]));
  const rank = (a: T, b: T) => a.order - b.order || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const out: T[] = [];
  while (waiting.size > 0) {
    const ready = [...waiting].filter(([, deps]) => deps.size === 0).map(([id]) => byId.get(id)!);
    const next = (ready.length > 0 ? ready : [...waiting.keys()].map((id) => byId.get(id)!)).sort(rank)[0]!;
    out.push(next);
    waiting.delete(next.id);
    for (const deps of waiting.values()) deps.delete(next.id);
  }
  return out;
}

/** The lessons `--lesson` values name (each value may be a comma list), in the order given; a query naming none or several, or an empty name, is a usage error. */
export function selectLessons(queries: readonly string[], lessons: readonly PlannedLesson[]): PlannedLesson[] {
  const chosen = new Set<PlannedLesson>();
  for (const q of queries) {
    if (q.split(",").some((piece) => piece.trim() === "")) {
      throw new UsageError(`--lesson ${JSON.stringify(q)}: ${q.trim() === "" ? "an empty lesson name" : "an empty name in the comma list"}; give a lesson's id or short name: ${lessons.map((l) => l.short).join(", ") || "none"}`);
    }
  }
  const named = lessons.map((l) => ({ id: l.lesson.id, title: l.lesson.title, part: l.lesson.part, short: l.short, planned: l }));
  for (const query of queries.flatMap((q) => q.split(",")).map((q) => q.trim())) {
    const found = resolveLesson(query, named, "the workbook");
    if ("error" in found) throw new UsageError(`--lesson ${found.error}`);
    chosen.add(found.lesson.planned);
  }
  return lessons.filter((l) => chosen.has(l));
}

/**
 * The plan for the whole workbook: every lesson that a check names or the
 * registry's lesson table lists, found in `course`, in prerequisite order.
 */
export function planWorkbook(course: readonly Lesson[], checks: readonly CriterionCheck[], lessonTable: readonly string[]): Plan {
  const named = new Set([...lessonTable, ...checks.map((c) => c.criterion.slice(0, c.criterion.lastIndexOf("#")))]);
  const wanted = withPrerequisites(named, course);
  const lessons = orderByPrerequisites(course.filter((l) => wanted.has(l.id)));
  const byCriterion = new Map<string, CriterionCheck>();
  for (const c of checks) if (!byCriterion.has(c.criterion)) byCriterion.set(c.criterion, c);
  const known = new Set(lessons.flatMap((l) => l.criteria.map((c) => c.id)));
  return {
    lessons: lessons.map((lesson) => ({
      lesson,
      short: shortName(lesson, lessons),
      criteria: lesson.criteria.map((criterion) => {
        const check = byCriterion.get(criterion.id);
        return { criterion, check, byRun: check === undefined && criterion.checkRefs.length === 1 && criterion.checkRefs[0] === RUN_ITSELF };
      }),
    })),
    orphans: checks.filter((c) => !known.has(c.criterion)),
    missingLessons: [...named].filter((id) => !lessons.some((l) => l.id === id)),
  };
}

/** `ids` and, through the course's `prereqs`, every lesson they need first. */
function withPrerequisites(ids: ReadonlySet<string>, course: readonly Lesson[]): Set<string> {
  const byId = new Map(course.map((l) => [l.id, l]));
  const out = new Set<string>();
  const visit = (id: string) => {
    if (out.has(id)) return;
    out.add(id);
    for (const p of byId.get(id)?.prereqs ?? []) if (byId.has(p)) visit(p);
  };
  for (const id of ids) visit(id);
  return out;
}
