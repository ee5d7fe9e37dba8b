// Where `grader site` publishes a lesson: the one rule the site and the
// calendars' links (`grader schedule --base-url`) share.
import path from "node:path";

/** A lesson file's page, by its path in the course directory: `w11/l04-idempotent-writes.md` -> `w11/l04-idempotent-writes.html`. */
export function lessonPagePath(lessonsDir: string, lessonFile: string): string {
  return path.relative(path.resolve(lessonsDir), path.resolve(lessonFile)).split(path.sep).join("/").replace(/\.md$/, ".html");
}

/**
 * A site path as a URL path: each segment percent-encoded, so a file named
 * `javascript:alert(1).md`, `q?x#y.md` or `day 3.md` links to its page
 * instead of being read as a scheme, a query, a fragment or a broken URL.
 */
export function urlPath(sitePath: string): string {
  return sitePath.split("/").map(encodeURIComponent).join("/");
}
