// The IO shell around the parser: reads every `*.md` lesson under a directory.
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import type { Diagnostic, Lesson, PassCriterion } from "./model.js";
import { parseLesson } from "./parse.js";

export interface Course {
  dir: string;
  lessons: Lesson[];
  /** Lessons with errors but a readable id (see ParseResult.partial): for lint only. */
  partial?: Lesson[];
  /** Parse diagnostics of every file, in file order. */
  diagnostics: Diagnostic[];
  /** Number of lesson files read, including those that failed to parse. */
  files: number;
}

async function listMarkdown(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    const entries = await readdir(d, { withFileTypes: true });
    for (const e of entries) {
      if (e.name.startsWith(".")) continue;
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && e.name.endsWith(".md") && e.name.toLowerCase() !== "readme.md") out.push(p);
    }
  };
  await walk(dir);
  return out.sort();
}

export class CourseDirError extends Error {
  readonly code = "LESSONS_DIR";
}

/** Reads and parses the course. File names in lessons and diagnostics are relative to the cwd. */
export async function loadCourse(dir: string): Promise<Course> {
  let files: string[];
  try {
    files = await listMarkdown(dir);
  } catch (err) {
    throw new CourseDirError(`cannot read the lessons directory ${dir}: ${(err as Error).message}; pass --lessons DIR`, { cause: err });
  }
  const lessons: Lesson[] = [];
  const partial: Lesson[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const f of files) {
    const rel = path.relative(process.cwd(), f) || f;
    const result = parseLesson(await readFile(f, "utf8"), rel);
    diagnostics.push(...result.diagnostics);
    if (result.lesson) lessons.push(result.lesson);
    if (result.partial) partial.push(result.partial);
  }
  return { dir, lessons, partial, diagnostics, files: files.length };
}

export function findLesson(course: Course, id: string): Lesson | undefined {
  return course.lessons.find((l) => l.id === id);
}

/** A pass criterion by its id, `<lesson id>#<n>`: the key later suites cite. */
export function findCriterion(course: Course, criterionId: string): { lesson: Lesson; criterion: PassCriterion } | undefined {
  const hash = criterionId.lastIndexOf("#");
  if (hash === -1) return undefined;
  const lesson = findLesson(course, criterionId.slice(0, hash));
  const criterion = lesson?.criteria.find((c) => c.id === criterionId);
  return lesson && criterion ? { lesson, criterion } : undefined;
}
