// The command table: each command's name and one-line summary, and where its
// code is. `grader --help`, a mistyped command and a command family's help
// need only this module; a command's module, and the libraries it uses
// (markdown-it, yaml, re2js, ts-fsrs), is imported when that command is
// dispatched, so the top-level help starts without them.
//
// Invariant: `load()` resolves to the command named `name` (the CLI tests
// hold every row to its module).
import type { Command } from "../args.js";

export interface CommandEntry {
  /** One or two words, as typed: `lint`, `lesson show`. */
  name: string;
  /** The line shown in `grader --help`. */
  summary: string;
  load: () => Promise<Command>;
}

export const COMMANDS: readonly CommandEntry[] = [
  { name: "autograder gradescope", summary: "build the Gradescope autograder zip", load: async () => (await import("./autograder.js")).autograderGradescope },
  { name: "check", summary: "run the workbook's checks, lesson by lesson (npm run check)", load: async () => (await import("./check.js")).check },
  { name: "lesson pictures", summary: "draw the course's pictures from real simulator runs (--check compares)", load: async () => (await import("./pictures.js")).lessonPictures },
  { name: "lesson show", summary: "print what the grader parsed from one lesson", load: async () => (await import("./lesson-show.js")).lessonShow },
  { name: "lint", summary: "check every lesson and the course as a whole", load: async () => (await import("./lint.js")).lint },
  { name: "proof", summary: "check one pasted proof against a lesson", load: async () => (await import("./proof.js")).proof },
  { name: "proofs", summary: "grade a class's pasted proofs: gradebook CSV/JSON and an HTML review page", load: async () => (await import("./proofs.js")).proofs },
  { name: "release", summary: "build the repository students clone (no hidden suites or solutions)", load: async () => (await import("./release.js")).release },
  { name: "review", summary: "record an instructor's decision on a proof", load: async () => (await import("./review.js")).review },
  { name: "schedule", summary: "write review calendars (.ics per student) and a CSV agenda", load: async () => (await import("./schedule.js")).schedule },
  { name: "site", summary: "render the course as a static HTML site (lessons, pictures, checks)", load: async () => (await import("./site.js")).site },
  { name: "test", summary: "grade a submission's code (visible checks and hidden suites, sandboxed), or a whole class", load: async () => (await import("./test.js")).test },
];
