// `grader site` and `grader release` on a course with a lesson file that does
// not parse (broken front-matter, a missing field): each stops naming each
// such file and its errors with their lines (exit 4), rather than publish the
// course without that lesson; nothing is written.
import { cp, copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { FIXTURES, grader, REPO } from "../helpers/cli.js";

const COURSE = path.join(FIXTURES, "course");
let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), "grader-site-lesson-errors-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** A copy of the fixture course (three lessons that parse) with `extra` files. */
async function course(name: string, extra: Record<string, string>): Promise<string> {
  const dir = path.join(tmp, name);
  await mkdir(dir, { recursive: true });
  for (const f of await readdir(COURSE)) await copyFile(path.join(COURSE, f), path.join(dir, f));
  for (const [f, text] of Object.entries(extra)) await writeFile(path.join(dir, f), text);
  return dir;
}

const BROKEN_YAML = "---\nid: fx-broken\ntitle: [unclosed\n---\n\n# Broken\n";
const NO_FRONT_MATTER = "# Notes\n\nA lesson without its front-matter.\n";

describe("grader site: a lesson file that does not parse", () => {
  test("broken front-matter stops the build naming the file and line (exit 4), and nothing is written", async () => {
    const dir = await course("yaml", { "broken.md": BROKEN_YAML });
    const out = path.join(tmp, "out-yaml");
    const r = await grader(["site", "--lessons", dir, "--out", out], { timeoutMs: 30_000 });
    const file = path.relative(REPO, path.join(dir, "broken.md"));
    expect(r.code).toBe(4);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(new RegExp(`^grader site: ${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:3: YAML syntax error: .*; nothing written \\(\`grader lint\` lists every problem of the course\\)\\n$`));
    await expect(readdir(out)).rejects.toThrow();
  });

  test("several lesson files with errors are each named, with how many would be left out", async () => {
    const dir = await course("several", { "broken.md": BROKEN_YAML, "notes.md": NO_FRONT_MATTER });
    const out = path.join(tmp, "out-several");
    const r = await grader(["site", "--lessons", dir, "--out", out], { timeoutMs: 30_000 });
    const rel = (f: string) => path.relative(REPO, path.join(dir, f));
    expect(r.code).toBe(4);
    expect(r.stdout).toBe("");
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines[0]).toBe("grader site: 2 lesson file(s) have errors and would be left out of the site; nothing written (`grader lint` lists every problem of the course):");
    expect(lines.slice(1).map((l) => l.replace(/:\d+: .*/, ""))).toEqual([`  ${rel("broken.md")}`, `  ${rel("notes.md")}`]);
    expect(lines[1]).toMatch(/:3: YAML syntax error/);
    expect(lines[2]).toMatch(/^ {2}\S+notes\.md:1: /);
    await expect(readdir(out)).rejects.toThrow();
  });

  test("a course whose lessons all parse still builds", async () => {
    const dir = await course("fine", {});
    const out = path.join(tmp, "out-fine");
    const r = await grader(["site", "--lessons", dir, "--out", out], { timeoutMs: 30_000 });
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect((await readdir(out)).sort()).toEqual(["election.html", "index.html", "messy.html", "retry.html"]);
  });
});

describe("grader release: a lesson file that does not parse", () => {
  test("stops naming the file and line (exit 4), rather than ship it missing from the classroom workflow; nothing is written", async () => {
    const dir = path.join(tmp, "release-lessons");
    await cp(path.join(REPO, "lessons"), dir, { recursive: true });
    await writeFile(path.join(dir, "broken.md"), BROKEN_YAML);
    const out = path.join(tmp, "out-release");
    const r = await grader(["release", "--lessons", dir, "--out", out], { timeoutMs: 60_000 });
    const file = path.relative(REPO, path.join(dir, "broken.md"));
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(new RegExp(`^grader release: ${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:3: YAML syntax error: .*; nothing written \\(\`grader lint\` lists every problem of the course\\)\\n$`));
    await expect(readdir(out)).rejects.toThrow();
  });
});
