/**
 * What ships, and to whom. A file reaches a student only when an allow-list
 * row below names it; nothing is copied because a deny-list forgot it.
 * Every shipped file then passes the instructor-only test (the deny rules
 * below, a second net) and, after the build, the leak scan (leaks.ts): no
 * shipped file may contain a protected file's text.
 *
 * Two profiles:
 * - `student`: the repository students clone (`grader release`).
 * - `autograder`: the source inside the Gradescope zip, which stays with the
 *   instructor: the student rows plus the hidden suites and the reference
 *   solutions (`grader autograder gradescope`).
 *
 * Instructor-only material in the course, the convention a course author
 * follows:
 * - an answer key is a file named `answers.md` or `<anything>.answers.md`
 *   anywhere under `lessons/` (the lesson loader skips both names);
 * - a passage of a lesson (or of any shipped Markdown file) between
 *   `<!-- instructor-only -->` and `<!-- /instructor-only -->` is cut from
 *   the released copy, markers included;
 * - a directory named `instructor` anywhere never ships, nor does a file
 *   named `*.instructor.md`.
 */
import { InputError } from "@dslab/protocol/cli";
import { INSTRUCTOR_END, INSTRUCTOR_START, instructorMarkerProblem } from "../lesson/instructor-only.js";

export type Profile = "student" | "autograder";

export interface ShipRule {
  /** A path pattern relative to the repository root: `*` within one segment, `**` any number of segments. */
  pattern: string;
  /** Why it ships (shown by `grader release --list`). */
  why: string;
  /** The profiles it ships in (default: both). */
  profiles?: readonly Profile[];
}

export const SHIP_RULES: readonly ShipRule[] = [
  { pattern: "lessons/**/*.md", why: "the course (answer keys and instructor-only passages removed)" },
  { pattern: "lessons/pictures/*.svg", why: "the lessons' pictures, drawn from real runs by grader lesson pictures" },
  { pattern: "week-12/src/**", why: "the stubs the student fills in" },
  { pattern: "week-12/node/**", why: "the node program (TypeScript and Python)" },
  { pattern: "week-12/checks/**", why: "the visible checks npm run check runs" },
  { pattern: "week-12/test/**", why: "the visible tests (npm test)" },
  { pattern: "week-12/plug/**", why: "the plug modules that run the student's pieces in the reference cluster" },
  { pattern: "week-12/day*.md", why: "the day files the student hands in" },
  { pattern: "week-12/vitest.config.ts", why: "the visible tests' configuration" },
  { pattern: "week-12/package.json", why: "the workbook package (its test script runs the student's own workbook)" },
  { pattern: "week-12/tsconfig.json", why: "type checking of the workbook (without the solutions' path)" },
  { pattern: "packages/*/package.json", why: "the engine packages the checks import" },
  { pattern: "packages/*/tsconfig.json", why: "the engine packages the checks import" },
  { pattern: "packages/*/README.md", why: "the engine packages' documentation" },
  { pattern: "packages/*/src/**", why: "the engine packages the checks import" },
  { pattern: "packages/*/bin/**", why: "kv, kv-node, kv-cluster, kv-sim and history-check" },
  { pattern: "grader/package.json", why: "the grader that runs npm run check" },
  { pattern: "grader/tsconfig.json", why: "the grader that runs npm run check" },
  { pattern: "grader/README.md", why: "the grader's documentation (the lesson format the lessons refer to)" },
  { pattern: "grader/bin/**", why: "the grader that runs npm run check" },
  { pattern: "grader/src/**", why: "the grader that runs npm run check" },
  { pattern: "scripts/bins/**", why: "compiles the commands on npm install (the prepare script)" },
  { pattern: "tsconfig.base.json", why: "the TypeScript settings every package extends" },
  { pattern: ".gitignore", why: "keeps node_modules and outputs out of the student's commits" },
  { pattern: "grader/hidden/**", why: "the hidden suites grader test runs", profiles: ["autograder"] },
  { pattern: "grader/solutions/**", why: "the reference solutions", profiles: ["autograder"] },
];

/** Files the release writes itself rather than copies (release/build.ts). */
export const GENERATED_FILES = ["package.json", "package-lock.json", "README.md", ".github/workflows/classroom.yml"] as const;

/** Directories never walked: installs, build outputs, caches. */
export const SKIPPED_DIRS = new Set(["node_modules", "dist", ".turbo", "coverage", ".git", ".grader-out", ".sim-out"]);

/** Paths that are instructor-only whatever the allow-list says (for the student profile). */
export function instructorOnlyReason(relPath: string): string | undefined {
  // Names compare in any case, as the lesson loader's do: `d03.Answers.md` is an answer key too.
  const parts = relPath.toLowerCase().split("/");
  const name = parts.at(-1)!;
  if (relPath.startsWith("grader/hidden/")) return "a hidden suite";
  if (relPath.startsWith("grader/solutions/")) return "a reference solution";
  if (relPath.startsWith("grader/test/")) return "the grader's own tests and mutants";
  if (name === "answers.md" || name.endsWith(".answers.md")) return "an answer key";
  if (name.endsWith(".instructor.md")) return "instructor notes";
  if (parts.slice(0, -1).includes("instructor")) return "instructor notes";
  return undefined;
}

export function shipRulesFor(profile: Profile): ShipRule[] {
  return SHIP_RULES.filter((r) => (r.profiles ?? ["student", "autograder"]).includes(profile));
}

/** Whether `relPath` (with `/` separators) matches `pattern`. */
export function matchesPattern(pattern: string, relPath: string): boolean {
  return globToRegExp(pattern).test(relPath);
}

const globCache = new Map<string, RegExp>();

function globToRegExp(pattern: string): RegExp {
  let re = globCache.get(pattern);
  if (re !== undefined) return re;
  let src = "";
  const segments = pattern.split("/");
  segments.forEach((seg, i) => {
    const last = i === segments.length - 1;
    if (seg === "**") {
      src += last ? ".+" : "(?:[^/]+/)*";
      return;
    }
    src += seg.replace(/[.+^${}()|[\]\\?]/g, "\\$&").replaceAll("*", "[^/]*") + (last ? "" : "/");
  });
  re = new RegExp(`^${src}$`);
  globCache.set(pattern, re);
  return re;
}

/** The rule that ships `relPath` in `profile`, if any. */
export function shippingRule(relPath: string, profile: Profile): ShipRule | undefined {
  return shipRulesFor(profile).find((r) => matchesPattern(r.pattern, relPath));
}

export class InstructorMarkerError extends InputError {}

/**
 * `markdown` without its instructor-only passages (each marker alone on its
 * line). An unclosed or stray marker is an error naming the line, never a
 * guess: a half-cut answer key must not ship.
 */
export function stripInstructorOnly(markdown: string, file: string): string {
  const problem = instructorMarkerProblem(markdown);
  if (problem) throw new InstructorMarkerError(`${file}:${problem.line}: ${problem.message}`);
  const out: string[] = [];
  let inside = false;
  for (const line of markdown.split("\n")) {
    if (INSTRUCTOR_START.test(line)) inside = true;
    else if (INSTRUCTOR_END.test(line)) inside = false;
    else if (!inside) out.push(line);
  }
  return out.join("\n");
}

/** The instructor-only passages of `markdown` (what stripInstructorOnly removes), for the leak scan. */
export function instructorOnlyPassages(markdown: string): string[] {
  const passages: string[] = [];
  let current: string[] | undefined;
  for (const line of markdown.split("\n")) {
    if (INSTRUCTOR_START.test(line)) current = [];
    else if (INSTRUCTOR_END.test(line)) {
      if (current !== undefined) passages.push(current.join("\n"));
      current = undefined;
    } else current?.push(line);
  }
  return passages;
}
