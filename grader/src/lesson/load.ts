// The IO shell around the parser: reads every `*.md` lesson under a directory,
// symlinks followed; what cannot be a lesson file is reported, not opened.
import type { Dirent, Stats } from "node:fs";
import { readdir, readlink, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { fileKind, printable, readRegularFile, ReadRegularError } from "@dslab/protocol/cli";
import { unreadableReason } from "../fs/reasons.js";
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
  /**
   * The text of each lesson file as it was read, by its `file`: what a
   * command that shows a lesson (grader site) renders, without opening the
   * file a second time.
   */
  sources?: ReadonlyMap<string, string>;
}

/**
 * A lesson file: Markdown, but not a README, an answer key (`answers.md`,
 * `*.answers.md`) nor instructor notes (`*.instructor.md`): instructor-only,
 * see `grader release`.
 */
const isLessonName = (name: string) => {
  const lower = name.toLowerCase();
  return name.endsWith(".md") && lower !== "readme.md" && lower !== "answers.md" && !lower.endsWith(".answers.md") && !lower.endsWith(".instructor.md");
};

/** A directory of instructor notes (`instructor/`, any case), which never ships and holds no lesson. */
const isInstructorDir = (name: string) => name.toLowerCase() === "instructor";


/**
 * Every lesson file under `dir`, following symbolic links (to files and to
 * directories; a directory reached twice, e.g. through a link cycle, is read
 * once). A `*.md` entry that cannot be a lesson (a FIFO, a device, a dangling
 * link) is returned as a problem, never opened: reading a FIFO would wait for
 * ever. The walk keeps its own stack, so deep trees cost no recursion.
 */
async function listMarkdown(dir: string): Promise<{ files: string[]; problems: { file: string; code: string; message: string }[] }> {
  const files: string[] = [];
  const problems: { file: string; code: string; message: string }[] = [];
  const seenDirs = new Set<string>([await realpath(dir)]);
  const stack = [dir];
  while (stack.length > 0) {
    const d = stack.pop()!;
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.name.startsWith(".")) continue;
      const p = path.join(d, e.name);
      let entry: Stats | Dirent = e;
      if (e.isSymbolicLink()) {
        try {
          entry = await stat(p);
        } catch (err) {
          if (isLessonName(e.name)) {
            const target = await readlink(p).catch(() => "?");
            const why = (err as NodeJS.ErrnoException).code === "ENOENT" ? "which does not exist" : `which cannot be read (${unreadableReason(err)})`;
            problems.push({ file: p, code: "broken-link", message: `a symbolic link to ${target}, ${why}` });
          }
          continue;
        }
      }
      if (entry.isDirectory()) {
        if (isInstructorDir(e.name)) continue;
        const real = await realpath(p);
        if (!seenDirs.has(real)) {
          seenDirs.add(real);
          stack.push(p);
        }
      } else if (isLessonName(e.name)) {
        if (entry.isFile()) files.push(p);
        else problems.push({ file: p, code: "not-a-file", message: `it is ${fileKind(entry)}, not a regular file; a lesson is a Markdown file` });
      }
    }
  }
  return { files: files.sort(), problems };
}

/**
 * 4 MiB: the course's lessons are tens of KB. Parsing takes about 75 times a
 * file's size in memory (35 MB took 2.6 GB), so a file of a few hundred MB
 * would end the process out of memory rather than be reported.
 */
export const MAX_LESSON_BYTES = 4 * 1024 * 1024;

/** Split it, or move data out of it: what to do with a lesson over MAX_LESSON_BYTES. */
const SPLIT_IT = "a lesson is a page of Markdown: split it, or move data out of it";

/**
 * Why a lesson file listed as a regular file was not read, as its diagnostic:
 * it became a FIFO or a device since (opened without waiting, refused
 * unread), it is larger than a lesson may be (by its size, or it grew past
 * MAX_LESSON_BYTES while it was read: a file under /proc whose size says 0),
 * or it cannot be opened.
 */
function unreadableLesson(err: ReadRegularError): { code: string; message: string } {
  const max = MAX_LESSON_BYTES.toLocaleString("en-US");
  if (err.code === "NOT_A_FILE") return { code: "not-a-file", message: `${err.message}; a lesson is a Markdown file` };
  if (err.code === "TOO_LARGE") {
    if (err.details.grew) return { code: "too-large", message: `it grew past the ${max} bytes a lesson may be while it was read; not read (${SPLIT_IT})` };
    return { code: "too-large", message: `it is ${(err.details.size ?? 0).toLocaleString("en-US")} bytes, over the ${max} a lesson may be; not read (${SPLIT_IT})` };
  }
  // Listed as a regular file a moment before: one that is not there now was removed since.
  const why = err.code === "ENOENT" ? "it no longer exists" : unreadableReason(err);
  return { code: "unreadable", message: `cannot be read: ${why}` };
}

export class CourseDirError extends Error {
  readonly code = "LESSONS_DIR";
}

/** Reads and parses the course. File names in lessons and diagnostics are relative to the cwd. */
export async function loadCourse(dir: string): Promise<Course> {
  let files: string[];
  let problems: { file: string; code: string; message: string }[];
  try {
    ({ files, problems } = await listMarkdown(dir));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such directory" : code === "ENOTDIR" ? "it or a parent of it is not a directory" : unreadableReason(err);
    throw new CourseDirError(`cannot read the lessons directory ${dir}: ${why}; pass --lessons DIR`, { cause: err });
  }
  const lessons: Lesson[] = [];
  const partial: Lesson[] = [];
  const diagnostics: Diagnostic[] = [];
  const sources = new Map<string, string>();
  const relative = (f: string) => path.relative(process.cwd(), f) || f;
  for (const p of problems) diagnostics.push({ severity: "error", code: p.code, file: relative(p.file), line: 0, field: "file", message: p.message });
  for (const f of files) {
    const rel = relative(f);
    let text: string;
    try {
      text = (await readRegularFile(f, { maxBytes: MAX_LESSON_BYTES })).bytes.toString("utf8");
    } catch (err) {
      // One unreadable lesson is that lesson's error; the rest of the course is still read.
      if (!(err instanceof ReadRegularError)) throw err;
      diagnostics.push({ severity: "error", file: rel, line: 0, field: "file", ...unreadableLesson(err) });
      continue;
    }
    sources.set(rel, text);
    const result = parseLesson(text, rel);
    diagnostics.push(...result.diagnostics);
    if (result.lesson) lessons.push(result.lesson);
    if (result.partial) partial.push(result.partial);
  }
  return { dir, lessons, partial, diagnostics, files: files.length + problems.length, sources };
}

/**
 * Why a command that publishes the course (the site, the release) must stop:
 * a lesson file the course holds no lesson from, because it could not be
 * read or does not parse, would be left out without a word. Undefined when
 * the course has no error. One error is one line, `file:line: message`;
 * several are a line saying how many files would be left out of `what`,
 * then each error on its own line.
 */
export function lessonsLeftOut(course: Course, what: string): string | undefined {
  const errors = course.diagnostics.filter((d) => d.severity === "error");
  if (errors.length === 0) return undefined;
  const where = (d: Diagnostic) => (d.line > 0 ? `${d.file}:${d.line}` : d.file);
  const lines = errors.map((d) => printable(`${where(d)}: ${d.message}`));
  const lint = "`grader lint` lists every problem of the course";
  if (errors.length === 1) return `${lines[0]}; nothing written (${lint})`;
  const files = new Set(errors.map((d) => d.file)).size;
  return `${files} lesson file(s) have errors and would be left out of ${what}; nothing written (${lint}):\n${lines.map((l) => `  ${l}`).join("\n")}`;
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
