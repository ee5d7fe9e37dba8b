// Names a lesson from what a person types: its id, or a piece of its id or
// title that no other lesson has (`retry`, `vote`, `w11`). Every command that
// takes a lesson resolves it here, so a name that works for one works for all.
import { nearest } from "@dslab/protocol/cli";
import type { Lesson } from "./model.js";

/**
 * Lessons a query names: the one whose id it is, else every lesson whose
 * title or own part of its id contains it (case-insensitive). The `part`
 * that begins the id of several lessons (w12-leader-election-client-idempotency)
 * names none of them: `election` or `idempotency` would otherwise name every
 * lesson of the week.
 */
export function lessonsMatching<T extends Pick<Lesson, "id" | "title"> & { part?: string }>(query: string, lessons: readonly T[]): T[] {
  const q = query.trim().toLowerCase();
  if (q === "") return [];
  const exact = lessons.filter((l) => l.id.toLowerCase() === q);
  if (exact.length > 0) return exact;
  const shared = (l: T) => l.part !== undefined && l.part !== "" && l.id.startsWith(l.part) && lessons.some((o) => o !== l && o.part === l.part);
  const own = (l: T) => (shared(l) ? l.id.slice(l.part!.length) : l.id).toLowerCase();
  return lessons.filter((l) => own(l).includes(q) || l.title.toLowerCase().includes(q));
}

/**
 * A short name for `lesson`: the first word of its id (letters only, then
 * words with digits) that names it alone among `lessons`; else its id. The
 * words of the week's part (leader, election, client, ...) say what the week
 * is about, not which lesson.
 */
export function shortName<T extends Pick<Lesson, "id" | "title"> & { part?: string }>(lesson: T, lessons: readonly T[]): string {
  const words = [...new Set(lesson.id.toLowerCase().split(/[^a-z0-9]+/).filter((w) => w !== ""))];
  const partWords = new Set((lesson.part ?? "").toLowerCase().split(/[^a-z0-9]+/));
  const candidates = [...words.filter((w) => /^[a-z]+$/.test(w) && w !== "quest" && !partWords.has(w)), ...words.filter((w) => /\d/.test(w))];
  for (const w of candidates) {
    const m = lessonsMatching(w, lessons);
    if (m.length === 1 && m[0] === lesson) return w;
  }
  return lesson.id;
}

export type Resolved<T> = { lesson: T } | { error: string };

/**
 * The one lesson `query` names among `lessons`, or why it names none or
 * several: the error starts with the quoted query and lists the lessons by
 * their short names (`short`, else shortName among `lessons`) and titles.
 * `where`: what the lessons are, for the error (`the workbook`, `the course in lessons`).
 */
export function resolveLesson<T extends Pick<Lesson, "id" | "title"> & { part?: string; short?: string }>(query: string, lessons: readonly T[], where: string): Resolved<T> {
  const short = (l: T) => l.short ?? shortName(l, lessons);
  const label = (l: T) => `${short(l)} (${l.title})`;
  const found = lessonsMatching(query, lessons);
  if (found.length === 1) return { lesson: found[0]! };
  if (found.length > 1) return { error: `${JSON.stringify(query)} names ${found.length} lessons: ${found.map(label).join(", ")}; give one of them` };
  const near = nearest(query.trim().toLowerCase(), lessons.map(short));
  return { error: `${JSON.stringify(query)} names no lesson of ${where}${near ? ` (did you mean ${near}?)` : ""}; the lessons: ${lessons.map(label).join(", ") || "none"}` };
}
