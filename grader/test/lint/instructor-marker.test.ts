/**
 * `grader lint` reports a misplaced `<!-- instructor-only -->` marker, at its
 * line and in the words `grader site` (and `grader release`) stop on, so the
 * course linter finds what would stop a build.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { grader, REPO } from "../helpers/cli.js";

const LESSON = "w11/l04-idempotent-writes.md";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "dslab-marker-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A copy of the course whose w11-l04 lesson has `lines` inserted after line `after`. */
async function courseWith(name: string, after: number, lines: string[]): Promise<{ lessons: string; file: string }> {
  const lessons = path.join(dir, name, "lessons");
  await cp(path.join(REPO, "lessons"), lessons, { recursive: true });
  const file = path.join(lessons, LESSON);
  const text = (await readFile(file, "utf8")).split("\n");
  text.splice(after, 0, ...lines);
  await writeFile(file, text.join("\n"));
  return { lessons, file: path.relative(REPO, file) };
}

describe("grader lint: instructor-only markers", () => {
  test.each([
    ["unclosed", ["<!-- instructor-only -->", "The answer is 42."], 61, "<!-- instructor-only --> is never closed; end the passage with <!-- /instructor-only -->"],
    ["stray", ["<!-- /instructor-only -->"], 61, "<!-- /instructor-only --> without an opening <!-- instructor-only -->"],
    ["nested", ["<!-- instructor-only -->", "<!-- instructor-only -->", "<!-- /instructor-only -->"], 62, "<!-- instructor-only --> inside the passage opened at line 61; close it with <!-- /instructor-only --> first"],
  ] as const)("a %s marker is an error at its line, in the words `grader site` stops on", async (name, lines, line, words) => {
    const { lessons, file } = await courseWith(name, 60, [...lines]);
    const [lint, site] = await Promise.all([
      grader(["lint", "--lessons", lessons, "--root", REPO]),
      grader(["site", "--lessons", lessons, "--out", path.join(dir, name, "site")]),
    ]);
    expect(lint.code).toBe(1);
    expect(lint.stdout).toContain(`${file}:${line}: error body: ${words} [instructor-marker]`);
    expect(lint.stdout).toMatch(/: 1 error\(s\)/);
    expect(site.code).toBe(4);
    expect(site.stderr).toContain(`${file}:${line}: ${words}`);
  });

  test("closed passages are fine", async () => {
    const { lessons } = await courseWith("closed", 60, ["<!-- instructor-only -->", "The answer is 42.", "<!-- /instructor-only -->"]);
    const lint = await grader(["lint", "--lessons", lessons, "--root", REPO]);
    expect(lint.code, lint.stdout).toBe(0);
  });
});
