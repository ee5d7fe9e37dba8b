// The repository speaks of the product: its tracked sources and documents
// describe behaviour, and point only at files that ship with it. Also keeps
// the architecture page's error table equal to the registry it summarises.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { errorRegistry } from "@dslab/protocol";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = execFileSync("git", ["rev-parse", "--show-toplevel"], { cwd: here, encoding: "utf8" }).trim();

/** Tracked files with one of the extensions, relative to the root, that exist in the working tree. */
function tracked(extensions: readonly string[]): string[] {
  const out = execFileSync("git", ["ls-files", "-z"], { cwd: root, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  return out
    .split("\0")
    .filter((f) => f !== "" && extensions.some((e) => f.endsWith(e)) && !f.split("/").includes("node_modules"))
    .filter((f) => existsSync(path.join(root, f)));
}

/**
 * Two-word phrases are joined here from their words, so that this file, which
 * is scanned like every other, never spells one out itself.
 */
const words = (...parts: string[]): string => parts.join(" ");
/** Single words are joined from their halves, for the same reason. */
const TICKET_WORD = ["iss", "ue"].join("");
const GUIDE_NAME = ["STY", "LE"].join("");
const NOTES_NAME = ["DES", "IGN"].join("");

/** Phrases that speak of how the project was built (the tracker, notes kept outside the repository), not of what it does. */
const FORBIDDEN: readonly { name: string; pattern: RegExp }[] = [
  { name: "a numbered tracker ticket", pattern: new RegExp(`\\b${TICKET_WORD} #?\\d`, "i") },
  { name: "a parenthesised tracker reference", pattern: new RegExp(`\\(${TICKET_WORD}\\b`, "i") },
  { name: "a style-guide reference", pattern: new RegExp(`\\b${words(GUIDE_NAME, "habit")}`, "i") },
  { name: "a design-notes reference", pattern: new RegExp(`\\b${words(NOTES_NAME, "principle")}`, "i") },
  { name: "a document outside the repository", pattern: new RegExp(`${["shared", ""].join("/")}(${NOTES_NAME}|${GUIDE_NAME})`, "i") },
  { name: "a checkout outside the repository", pattern: new RegExp(`\\b${words("the", "team", "checkout")}`, "i") },
  { name: "the machine it was built on", pattern: new RegExp(`\\b${words("development", "(machine|VM)")}\\b`, "i") },
];

/** `file:line: name: text` for every forbidden phrase in the files (paths relative to `base`). */
function findForbidden(files: readonly string[], base = root): string[] {
  const found: string[] = [];
  for (const file of files) {
    const lines = readFileSync(path.join(base, file), "utf8").split("\n");
    lines.forEach((line, i) => {
      for (const { name, pattern } of FORBIDDEN) {
        if (pattern.test(line)) found.push(`${file}:${i + 1}: ${name}: ${line.trim().slice(0, 160)}`);
      }
    });
  }
  return found;
}

describe("the repository describes the product, not how it was built", () => {
  test("no tracked source, document or fixture names a tracker ticket, notes kept outside the repository, or the machine it was built on", () => {
    const files = tracked([".ts", ".md", ".py", ".json"]).filter((f) => !f.endsWith("package-lock.json"));
    expect(files.length).toBeGreaterThan(50);
    expect(findForbidden(files)).toEqual([]);
  });

  test("a plain case-sensitive search of the TypeScript and Markdown files for the tracker's and the notes' words finds nothing", () => {
    // The folder beside the repository, with a slash after it or as a relative path of its own (two dots, a slash, its name).
    const beside = ["shared", ""].join("/");
    const pattern = new RegExp(`${TICKET_WORD}|${GUIDE_NAME}|${NOTES_NAME}|${beside}|\\.\\./${beside.slice(0, -1)}\\b`);
    const found: string[] = [];
    for (const file of tracked([".ts", ".md"])) {
      readFileSync(path.join(root, file), "utf8")
        .split("\n")
        .forEach((line, i) => {
          if (pattern.test(line)) found.push(`${file}:${i + 1}: ${line.trim().slice(0, 160)}`);
        });
    }
    expect(found).toEqual([]);
  });

  test("the check names the file, the line and the phrase it found", () => {
    const patterns = FORBIDDEN.map((f) => f.pattern);
    const bad = [
      `(${words(TICKET_WORD, "3: retries)")}`,
      words("see", TICKET_WORD, "5"),
      words(GUIDE_NAME, "habit 10"),
      words(NOTES_NAME, "principle 1"),
      `../${["shared", `${NOTES_NAME}.md`].join("/")}`,
      words("in the team", "checkout"),
      words("on the shared 2-core development", "machine"),
    ];
    for (const text of bad) {
      expect(patterns.some((p) => p.test(text)), text).toBe(true);
    }
    for (const text of ["the style of Jepsen", `a client that ${TICKET_WORD}s a request`, "the design of the session table", `const ${GUIDE_NAME} = \``]) {
      expect(patterns.some((p) => p.test(text)), text).toBe(false);
    }
    const dir = mkdtempSync(path.join(tmpdir(), "repository-text-"));
    try {
      writeFileSync(path.join(dir, "notes.md"), `# Notes\n\nfixed in ${bad[1]}\n`);
      expect(findForbidden(["notes.md"], dir)).toEqual([`notes.md:3: a numbered tracker ticket: fixed in ${bad[1]}`]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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
