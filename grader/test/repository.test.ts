// The repository speaks of the product: its tracked sources and documents
// describe behaviour, and point only at files that ship with it. Also keeps
// the architecture page's error table equal to the registry it summarises.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { errorRegistry } from "@dslab/protocol";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = execFileSync("git", ["rev-parse", "--show-toplevel"], { cwd: here, encoding: "utf8" }).trim();
const self = path.relative(root, fileURLToPath(import.meta.url)).split(path.sep).join("/");

/** Tracked files with one of the extensions, relative to the root, that exist in the working tree. */
function tracked(extensions: readonly string[]): string[] {
  const out = execFileSync("git", ["ls-files", "-z"], { cwd: root, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  return out
    .split("\0")
    .filter((f) => f !== "" && extensions.some((e) => f.endsWith(e)) && !f.split("/").includes("node_modules"))
    .filter((f) => existsSync(path.join(root, f)));
}

/** Phrases that speak of how the project was built (the tracker, the team's notes), not of what it does. */
const FORBIDDEN: readonly { name: string; pattern: RegExp }[] = [
  { name: "a numbered tracker issue", pattern: /\bissue #?\d/i },
  { name: "a parenthesised tracker reference", pattern: /\(issue\b/i },
  { name: "the team's style guide", pattern: /\bSTYLE habit/i },
  { name: "the team's design notes", pattern: /\bDESIGN principle/i },
  { name: "a document outside the repository", pattern: /shared\/(DESIGN|STYLE)/i },
  { name: "the team's checkout", pattern: /\bthe team checkout/i },
  { name: "a development machine", pattern: /\bdevelopment (machine|VM)\b/i },
];

/** `file:line: name: text` for every forbidden phrase in the files. */
function findForbidden(files: readonly string[]): string[] {
  const found: string[] = [];
  for (const file of files) {
    const lines = readFileSync(path.join(root, file), "utf8").split("\n");
    lines.forEach((line, i) => {
      for (const { name, pattern } of FORBIDDEN) {
        if (pattern.test(line)) found.push(`${file}:${i + 1}: ${name}: ${line.trim().slice(0, 160)}`);
      }
    });
  }
  return found;
}

describe("the repository describes the product, not how it was built", () => {
  test("no tracked source, document or fixture names a tracker issue, the team's notes or a development machine", () => {
    const files = tracked([".ts", ".md", ".py", ".json"]).filter((f) => f !== self && !f.endsWith("package-lock.json"));
    expect(files.length).toBeGreaterThan(50);
    expect(findForbidden(files)).toEqual([]);
  });

  test("the check names the file, the line and the phrase it found", () => {
    const patterns = FORBIDDEN.map((f) => f.pattern);
    for (const text of ["(issue 3: retries)", "see issue 5", "STYLE habit 10", "DESIGN principle 1", "../shared/DESIGN.md", "in the team checkout", "on the shared 2-core development machine"]) {
      expect(patterns.some((p) => p.test(text)), text).toBe(true);
    }
    for (const text of ["the style of Jepsen", "a client that issues a request", "the design of the session table", "const STYLE = `"]) {
      expect(patterns.some((p) => p.test(text)), text).toBe(false);
    }
    expect(findForbidden([self]).some((l) => /^grader\/test\/repository\.test\.ts:\d+: a numbered tracker issue: /.test(l))).toBe(true);
  });

  test("every relative link in the root README and the architecture page points at a file in the repository", () => {
    const broken: string[] = [];
    for (const doc of ["README.md", "docs/architecture.md"]) {
      const lines = readFileSync(path.join(root, doc), "utf8").split("\n");
      lines.forEach((line, i) => {
        for (const m of line.matchAll(/\]\(([^)\s#]+)(?:#[^)]*)?\)/g)) {
          const target = m[1]!;
          if (/^[a-z]+:/i.test(target)) continue;
          const resolved = path.resolve(root, path.dirname(doc), target);
          if (!resolved.startsWith(root + path.sep) || !existsSync(resolved)) broken.push(`${doc}:${i + 1}: ${target}`);
        }
      });
    }
    expect(broken).toEqual([]);
  });

  test("the architecture page's error table matches the registry row for row", () => {
    const text = readFileSync(path.join(root, "docs/architecture.md"), "utf8");
    const rows = text
      .split("\n")
      .map((l) => /^\| (\d+) \| `([a-z-]+)` \| (definite|indefinite) \| (yes|no) \| (yes|no) \|$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ code: Number(m[1]), name: m[2], definite: m[3] === "definite", durable: m[4] === "yes", retryable: m[5] === "yes" }));
    expect(rows).toEqual(errorRegistry.map((e) => ({ code: e.code, name: e.name, definite: e.definite, durable: e.durable, retryable: e.retryable })));
  });
});
