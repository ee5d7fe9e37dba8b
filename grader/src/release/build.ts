/**
 * Builds a release in memory: the files the allow-list ships (rules.ts),
 * transformed where a student's copy differs from the instructor's, and the
 * generated root files. `grader release` writes them to a directory; the
 * Gradescope zip (autograder/) takes the `autograder` profile's files.
 *
 * Transformations:
 * - Markdown files (lessons, day files, READMEs): instructor-only passages cut;
 * - week-12/package.json: `npm test` runs the visible tests against the
 *   student's own workbook (no DSLAB_WORKBOOK=solution);
 * - week-12/tsconfig.json: without the solutions' directory;
 * - package.json: the workspaces that ship, the scripts a student uses
 *   (`check`, `test`, the commands), the devDependencies the check and the
 *   tests need; package-lock.json cut to match (lockfile.ts);
 * - README.md and .github/workflows/classroom.yml written for the student
 *   profile.
 */
import { fileKind } from "@dslab/protocol/cli";
import { lstatSync, readlinkSync, statSync } from "node:fs";
import { join } from "node:path";
import { classroomWorkflow, type ReleaseLesson } from "./classroom.js";
import { listFiles, listNonFiles, listSymlinks } from "./leaks.js";
import { pruneLockfile, type Lockfile, type RootManifest } from "./lockfile.js";
import { studentReadme } from "./readme.js";
import { readRepositoryFile, ReleaseError } from "./read.js";
import { instructorOnlyReason, shippingRule, shipRulesFor, stripInstructorOnly, type Profile, type ShipRule } from "./rules.js";

export { ReleaseError };

export interface ReleaseFile {
  /** Relative to the release root, `/` separators. */
  path: string;
  data: Buffer;
  /** 0o755 for executables, else 0o644. */
  mode: number;
  /** Why it ships. */
  why: string;
}

export interface CollectOptions {
  /** The repository. */
  root: string;
  profile: Profile;
  /** The lessons the workbook serves, in order (for the workflow and README). */
  lessons: readonly ReleaseLesson[];
}

/** Root scripts a student's copy keeps (its own `test` is written below). */
export const KEPT_SCRIPTS = ["check", "prepare", "build:bins", "kv", "kv-node", "kv-cluster", "kv-sim", "history-check", "grader"];
/** Root devDependencies a student's copy keeps: the launcher (tsx), the visible tests (vitest), types. */
export const KEPT_DEV_DEPENDENCIES = ["tsx", "typescript", "vitest", "@types/node"];
/** The root `npm test` of a release: the visible tests against the student's own workbook. */
export const RELEASE_TEST_SCRIPT = "npm test --workspace week-12";
export const WORKBOOK_TEST_SCRIPT = "vitest run";

/** Instructor-only directories the autograder profile ships. */
const AUTOGRADER_ONLY = ["grader/hidden/", "grader/solutions/"];

/** A JSON file of the repository (`rel` with `/`), read within the release's bound; a ReleaseError naming it if it cannot be read or parsed. */
function readJson<T>(root: string, rel: string): T {
  const text = readRepositoryFile(root, rel).bytes.toString("utf8");
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new ReleaseError(`${rel} is not valid JSON: ${(err as Error).message}; nothing written`, { cause: err });
  }
}

function jsonBuffer(value: unknown): Buffer {
  return Buffer.from(`${JSON.stringify(value, null, 2)}\n`);
}

function pick<T>(record: Record<string, T> | undefined, keys: readonly string[]): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of keys) if (record?.[k] !== undefined) out[k] = record[k]!;
  return out;
}

/** The release's root package.json, from the repository's. */
export function releaseManifest(repo: RootManifest & { scripts?: Record<string, string> }, shippedWorkspaces: readonly string[]): RootManifest & { scripts: Record<string, string> } {
  const { scripts, devDependencies, dependencies: _deps, workspaces: _ws, ...rest } = repo;
  return {
    ...rest,
    workspaces: (repo.workspaces ?? []).filter((w) => shippedWorkspaces.includes(w)),
    scripts: { ...pick(scripts, KEPT_SCRIPTS), test: RELEASE_TEST_SCRIPT },
    // Sorted, as npm writes them.
    devDependencies: pick(devDependencies, [...KEPT_DEV_DEPENDENCIES].sort()),
  };
}

function transform(rel: string, data: Buffer): Buffer {
  // Every shipped Markdown file, as rules.ts promises: a day file's passage was only caught by the leak scan, which skips passages under 60 characters.
  if (rel.endsWith(".md")) return Buffer.from(stripInstructorOnly(data.toString("utf8"), rel));
  if (rel === "week-12/package.json") {
    const pkg = JSON.parse(data.toString("utf8")) as { scripts?: Record<string, string> };
    pkg.scripts = { ...pkg.scripts, test: WORKBOOK_TEST_SCRIPT };
    return jsonBuffer(pkg);
  }
  if (rel === "week-12/tsconfig.json") {
    const config = JSON.parse(data.toString("utf8")) as { include?: string[] };
    if (config.include) config.include = config.include.filter((p) => !p.includes("solutions"));
    return jsonBuffer(config);
  }
  return data;
}

/**
 * The allow-list row a symbolic link stands in the way of, if any: a link to
 * a file the row would ship, or to a directory where the row ships files
 * (`lessons/w13 -> ../common/w13` under `lessons/**\/*.md`).
 */
function linkInTheWay(root: string, link: string, profile: Profile): ShipRule | undefined {
  let isDir = false;
  try {
    isDir = statSync(join(root, link)).isDirectory();
  } catch {
    // A dangling link: what a row would ship by its name.
  }
  if (!isDir) return shippingRule(link, profile);
  return shipRulesFor(profile).find((r) => {
    const star = r.pattern.indexOf("*");
    const prefix = star === -1 ? r.pattern : r.pattern.slice(0, star);
    return `${link}/`.startsWith(prefix) || prefix.startsWith(`${link}/`);
  });
}

/** Every file of the release, sorted by path. */
export function collectRelease(o: CollectOptions): ReleaseFile[] {
  // The release copies files, never links: what a link stands for would be left out without a word, while
  // lint, site and check (which follow links) show it, and the student README lists its lessons.
  for (const link of listSymlinks(o.root)) {
    const rule = linkInTheWay(o.root, link, o.profile);
    if (rule === undefined) continue;
    const target = readlinkSync(join(o.root, link));
    throw new ReleaseError(`${link} is a symbolic link (to ${target}) where the release ships files (${rule.why}); the release copies files, not links, so what is behind it would be left out: replace the link with the files`);
  }
  // A FIFO, a socket or a device where a row ships files: it would be left out in silence (and reading a FIFO waits for ever).
  for (const rel of listNonFiles(o.root)) {
    const rule = shippingRule(rel, o.profile);
    if (rule === undefined || instructorOnlyReason(rel) !== undefined) continue;
    throw new ReleaseError(`${rel} is ${fileKind(lstatSync(join(o.root, rel)))}, not a regular file, where the release ships files (${rule.why}); replace it with the file`);
  }
  const files: ReleaseFile[] = [];
  for (const rel of listFiles(o.root)) {
    const rule = shippingRule(rel, o.profile);
    if (rule === undefined) continue;
    const reason = instructorOnlyReason(rel);
    // The autograder ships the hidden suites and the solutions on purpose; answer keys and notes never.
    if (reason !== undefined && !(o.profile === "autograder" && AUTOGRADER_ONLY.some((dir) => rel.startsWith(dir)))) continue;
    const { bytes, stats } = readRepositoryFile(o.root, rel);
    const mode = (stats.mode & 0o111) !== 0 ? 0o755 : 0o644;
    files.push({ path: rel, data: transform(rel, bytes), mode, why: rule.why });
  }

  const workspaces = [...new Set(files.filter((f) => f.path.endsWith("/package.json")).map((f) => f.path.slice(0, -"/package.json".length)))];
  const repoManifest = readJson<RootManifest & { scripts?: Record<string, string> }>(o.root, "package.json");
  const manifest = releaseManifest(repoManifest, workspaces);
  const missing = (repoManifest.workspaces ?? []).filter((w) => !workspaces.includes(w));
  if (missing.length > 0) throw new ReleaseError(`the workspaces ${missing.join(", ")} have no package.json in the release; add them to the allow-list (grader/src/release/rules.ts) or drop them from package.json`);
  const lock = pruneLockfile(readJson<Lockfile>(o.root, "package-lock.json"), manifest);
  files.push({ path: "package.json", data: jsonBuffer(manifest), mode: 0o644, why: "the release's root package (generated)" });
  files.push({ path: "package-lock.json", data: jsonBuffer(lock), mode: 0o644, why: "the lock, cut to the release's packages (generated)" });
  if (o.profile === "student") {
    files.push({ path: "README.md", data: Buffer.from(studentReadme(o.lessons)), mode: 0o644, why: "the student's README (generated)" });
    files.push({ path: ".github/workflows/classroom.yml", data: Buffer.from(classroomWorkflow(o.lessons)), mode: 0o644, why: "GitHub Classroom autograding (generated)" });
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
