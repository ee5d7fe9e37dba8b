/**
 * The leak scan: no released file may carry a protected file's text. A
 * protected file is a reference solution, a hidden suite, a mutant, an
 * answer key, instructor notes, or an instructor-only passage of a lesson.
 * Each is fingerprinted after normalising whitespace (every run of
 * whitespace is one space, ends trimmed), so a copy that was re-indented or
 * re-wrapped is still found; every released text file, normalised the same
 * way, is searched for each fingerprint's text.
 */
import { createHash } from "node:crypto";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { readRepositoryFile } from "./read.js";
import { instructorOnlyPassages, instructorOnlyReason, SKIPPED_DIRS } from "./rules.js";

export interface Fingerprint {
  /** The protected file (relative to the repository), with `#n` for the n-th instructor-only passage of a lesson. */
  source: string;
  why: string;
  /** sha256 of the normalised text. */
  sha256: string;
  normalized: string;
}

export interface Leak {
  /** The released file that carries it. */
  file: string;
  source: string;
  why: string;
  how: "path" | "content";
}

/** Shorter texts (an empty module, a one-line re-export) match too much by chance to mean a leak. */
export const MIN_FINGERPRINT_CHARS = 60;

export function normalizeWhitespace(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

export function fingerprint(source: string, why: string, text: string): Fingerprint {
  const normalized = normalizeWhitespace(text);
  return { source, why, normalized, sha256: createHash("sha256").update(normalized).digest("hex") };
}

function walk(root: string, rel: string, out: string[], links?: string[], others?: string[]): void {
  let entries;
  try {
    entries = readdirSync(join(root, rel), { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const p = rel === "" ? e.name : `${rel}/${e.name}`;
    if (e.isDirectory()) {
      if (!SKIPPED_DIRS.has(e.name)) walk(root, p, out, links, others);
    } else if (e.isFile()) out.push(p);
    else if (e.isSymbolicLink()) links?.push(p);
    else others?.push(p);
  }
}

/** Every symbolic link under `root` (relative paths with `/`), where listFiles finds files: links are never followed, so what is behind one is not in a listing. */
export function listSymlinks(root: string): string[] {
  const links: string[] = [];
  walk(root, "", [], links);
  return links.sort();
}

/** Every entry under `root` that is neither a file, a directory nor a symbolic link (a FIFO, a socket, a device), where listFiles finds files. */
export function listNonFiles(root: string): string[] {
  const others: string[] = [];
  walk(root, "", [], undefined, others);
  return others.sort();
}

/** Every file under `dir` of `root` (relative paths with `/`), skipping installs and build outputs. */
export function listFiles(root: string, dir = ""): string[] {
  const out: string[] = [];
  walk(root, dir, out);
  return out.sort();
}

export function isText(data: Buffer): boolean {
  return !data.subarray(0, 8000).includes(0);
}

/** The fingerprints of the repository at `root`: its protected files and passages. */
export function protectedFingerprints(root: string): Fingerprint[] {
  const prints: Fingerprint[] = [];
  const add = (source: string, why: string, text: string) => {
    const f = fingerprint(source, why, text);
    if (f.normalized.length >= MIN_FINGERPRINT_CHARS) prints.push(f);
  };
  for (const dir of ["grader/solutions", "grader/hidden", "grader/test/mutants"]) {
    for (const rel of listFiles(root, dir)) {
      const data = readRepositoryFile(root, rel).bytes;
      if (isText(data)) add(rel, instructorOnlyReason(rel) ?? "instructor-only", data.toString("utf8"));
    }
  }
  for (const rel of [...listFiles(root, "lessons"), ...listFiles(root, "week-12")]) {
    const reason = instructorOnlyReason(rel);
    if (reason !== undefined) {
      const data = readRepositoryFile(root, rel).bytes;
      if (isText(data)) add(rel, reason, data.toString("utf8"));
      continue;
    }
    if (!rel.endsWith(".md")) continue;
    instructorOnlyPassages(readRepositoryFile(root, rel).bytes.toString("utf8")).forEach((passage, i) => add(`${rel}#${i + 1}`, "an instructor-only passage", passage));
  }
  return prints;
}

/** The leaks among `files` (released path and content). */
export function findLeaks(files: Iterable<{ path: string; data: Buffer }>, prints: readonly Fingerprint[]): Leak[] {
  const leaks: Leak[] = [];
  for (const f of files) {
    const reason = instructorOnlyReason(f.path);
    if (reason !== undefined) leaks.push({ file: f.path, source: f.path, why: reason, how: "path" });
    if (!isText(f.data)) continue;
    const text = normalizeWhitespace(f.data.toString("utf8"));
    for (const p of prints) if (text.includes(p.normalized)) leaks.push({ file: f.path, source: p.source, why: p.why, how: "content" });
  }
  return leaks;
}

/** `findLeaks` over a directory on disk (a built release). */
export function findLeaksInDir(dir: string, prints: readonly Fingerprint[]): Leak[] {
  return findLeaks(
    listFiles(dir).map((path) => ({ path, data: readRepositoryFile(dir, path).bytes })),
    prints,
  );
}

export function describeLeak(l: Leak): string {
  return l.how === "path" ? `${l.file}: ${l.why}, which never ships` : `${l.file} carries the text of ${l.source} (${l.why})`;
}

/** Whether `path` exists as a directory. */
export function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
