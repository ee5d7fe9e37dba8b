// Where `grader site` publishes a lesson: the one rule the site and the
// calendars' links (`grader schedule --base-url`) share.
import path from "node:path";

/** A lesson file's page, by its path in the course directory: `w11/l04-idempotent-writes.md` -> `w11/l04-idempotent-writes.html`. */
export function lessonPagePath(lessonsDir: string, lessonFile: string): string {
  return path.relative(path.resolve(lessonsDir), path.resolve(lessonFile)).split(path.sep).join("/").replace(/\.md$/, ".html");
}
