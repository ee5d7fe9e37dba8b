// `grader release`: what ships (the allow-list, instructor-only passages, the
// cut lock) and, on a real release in a temp directory, that no hidden suite,
// solution, mutant or answer key is in it by path or by content, that it
// installs from the lock, and that `npm run check` there fails on the stubs.
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectRelease } from "../../src/release/build.js";
import { findLeaks, findLeaksInDir, listFiles, normalizeWhitespace, protectedFingerprints } from "../../src/release/leaks.js";
import { pruneLockfile, type Lockfile } from "../../src/release/lockfile.js";
import { instructorOnlyReason, shippingRule, stripInstructorOnly } from "../../src/release/rules.js";
import { grader, REPO } from "../helpers/cli.js";

function run(cmd: string, args: string[], cwd: string, timeoutMs: number): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, DSLAB_WORKBOOK: "", npm_config_update_notifier: "false" } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

describe("the allow-list and the instructor-only convention", () => {
  it("ships the stubs, checks and lessons, and never a solution, hidden suite, mutant or answer key", () => {
    for (const p of ["week-12/src/retry-client.ts", "week-12/checks/index.ts", "week-12/day3-client-retry-idempotency.md", "lessons/w11/l04-idempotent-writes.md", "lessons/pictures/split-vote.svg", "grader/src/cli/main.ts", "packages/cluster/src/core.ts"]) {
      expect(shippingRule(p, "student"), p).toBeDefined();
    }
    for (const p of ["grader/solutions/week-12/src/retry-client.ts", "grader/hidden/retry.ts", "grader/test/mutants/no-jitter.ts", "week-12/README.md", "packages/cluster/test/core.test.ts", "docs/architecture.md"]) {
      expect(shippingRule(p, "student"), p).toBeUndefined();
    }
    expect(shippingRule("grader/solutions/week-12/src/retry-client.ts", "autograder")).toBeDefined();
    expect(shippingRule("grader/hidden/retry.ts", "autograder")).toBeDefined();
    for (const p of ["lessons/w11/answers.md", "lessons/w12/d03.answers.md", "lessons/instructor/notes.md", "lessons/w11/l04.instructor.md"]) {
      expect(shippingRule(p, "student"), p).toBeDefined();
      expect(instructorOnlyReason(p), p).toBeDefined();
    }
  });

  it("holds an answer key or instructor notes back whatever the case of its name, as the lesson loader skips them", () => {
    for (const p of ["lessons/w12/d03.Answers.md", "lessons/w12/ANSWERS.md", "lessons/Instructor/notes.md", "lessons/w11/l04.Instructor.MD"]) {
      expect(instructorOnlyReason(p), p).toBeDefined();
    }
    expect(instructorOnlyReason("lessons/w12/d03-quest-client-retry-idempotency.md")).toBeUndefined();
  });

  it("cuts the passages between instructor-only markers and refuses an unclosed one", () => {
    const lesson = "# L\n\nfor students\n<!-- instructor-only -->\nthe answer is 42\n<!-- /instructor-only -->\nmore\n";
    expect(stripInstructorOnly(lesson, "l.md")).toBe("# L\n\nfor students\nmore\n");
    expect(() => stripInstructorOnly("a\n<!-- instructor-only -->\nsecret\n", "l.md")).toThrow(/l\.md:2: .*never closed/);
    expect(() => stripInstructorOnly("a\n<!-- /instructor-only -->\n", "l.md")).toThrow(/l\.md:2: .*without an opening/);
  });

  it("leaves an answer key and an instructor-only passage out of a release, and the lesson loader skips answer keys", async () => {
    const root = mkdtempSync(join(tmpdir(), "dslab-release-course-"));
    try {
      for (const f of ["package.json", "package-lock.json", "lessons/w11/l04-idempotent-writes.md"]) cpSync(join(REPO, f), join(root, f));
      const workspaces = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")).workspaces as string[];
      for (const ws of workspaces) cpSync(join(REPO, ws, "package.json"), join(root, ws, "package.json"));
      const lesson = join(root, "lessons/w11/l04-idempotent-writes.md");
      writeFileSync(lesson, `${readFileSync(lesson, "utf8")}\n<!-- instructor-only -->\nGrade a paste without the seq line as a fail: the seq is the whole point of the lesson.\n<!-- /instructor-only -->\n`);
      writeFileSync(join(root, "lessons/w11/l04-idempotent-writes.answers.md"), "The table keeps the last applied seq per client and the response it gave; a retry of that seq gets the response again.\n");
      mkdirSync(join(root, "lessons/instructor"));
      writeFileSync(join(root, "lessons/instructor/notes.md"), "Students usually forget that reads are not deduplicated; ask them why in the review.\n");

      const files = collectRelease({ root, profile: "student", lessons: [] });
      const paths = files.map((f) => f.path);
      expect(paths).toContain("lessons/w11/l04-idempotent-writes.md");
      expect(paths).not.toContain("lessons/w11/l04-idempotent-writes.answers.md");
      expect(paths).not.toContain("lessons/instructor/notes.md");
      const released = files.find((f) => f.path === "lessons/w11/l04-idempotent-writes.md")!.data.toString("utf8");
      expect(released).not.toContain("the seq is the whole point");
      expect(released).not.toContain("instructor-only");
      expect(findLeaks(files, protectedFingerprints(root))).toEqual([]);

      const prints = protectedFingerprints(root);
      expect(prints.map((p) => p.source).sort()).toEqual(["lessons/instructor/notes.md", "lessons/w11/l04-idempotent-writes.answers.md", "lessons/w11/l04-idempotent-writes.md#1"]);
      const planted = findLeaks([{ path: "week-12/day4-dedup-store.md", data: Buffer.from("notes: Grade a paste without\nthe seq line as a fail: the seq is the whole point of the lesson.") }], prints);
      expect(planted.map((l) => l.source)).toEqual(["lessons/w11/l04-idempotent-writes.md#1"]);

      const { loadCourse } = await import("../../src/lesson/load.js");
      const course = await loadCourse(join(root, "lessons"));
      expect(course.lessons.map((l) => l.id)).toEqual(["w11-l04"]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("cuts instructor-only passages from every shipped Markdown file, a day file's short one too", () => {
    const root = mkdtempSync(join(tmpdir(), "dslab-release-dayfile-"));
    try {
      for (const f of ["package.json", "package-lock.json", "week-12/day3-client-retry-idempotency.md"]) cpSync(join(REPO, f), join(root, f));
      const workspaces = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")).workspaces as string[];
      for (const ws of workspaces) cpSync(join(REPO, ws, "package.json"), join(root, ws, "package.json"));
      const day = join(root, "week-12/day3-client-retry-idempotency.md");
      // Short: under the leak scan's 60 characters, so only the cut keeps it out.
      writeFileSync(day, `${readFileSync(day, "utf8")}\n<!-- instructor-only -->\nAnswer: seq 5 is the duplicate.\n<!-- /instructor-only -->\n`);
      const files = collectRelease({ root, profile: "student", lessons: [] });
      const released = files.find((f) => f.path === "week-12/day3-client-retry-idempotency.md")!.data.toString("utf8");
      expect(released).not.toContain("seq 5 is the duplicate");
      expect(released).not.toContain("instructor-only");
      expect(findLeaks(files, protectedFingerprints(root))).toEqual([]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("refuses a symbolic link where it ships files, naming it, rather than leaving the lessons behind it out in silence", () => {
    const root = mkdtempSync(join(tmpdir(), "dslab-release-links-"));
    try {
      for (const f of ["package.json", "package-lock.json"]) cpSync(join(REPO, f), join(root, f));
      const workspaces = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")).workspaces as string[];
      for (const ws of workspaces) cpSync(join(REPO, ws, "package.json"), join(root, ws, "package.json"));
      mkdirSync(join(root, "common/w11"), { recursive: true });
      cpSync(join(REPO, "lessons/w11/l04-idempotent-writes.md"), join(root, "common/w11/l04-idempotent-writes.md"));
      mkdirSync(join(root, "lessons"));
      symlinkSync("../common/w11", join(root, "lessons/w11"));
      expect(() => collectRelease({ root, profile: "student", lessons: [] })).toThrow(
        "lessons/w11 is a symbolic link (to ../common/w11) where the release ships files (the course (answer keys and instructor-only passages removed)); the release copies files, not links, so what is behind it would be left out: replace the link with the files",
      );
      rmSync(join(root, "lessons/w11"));
      symlinkSync("../../common/w11/l04-idempotent-writes.md", join(root, "lessons/l04.md"));
      expect(() => collectRelease({ root, profile: "student", lessons: [] })).toThrow(/^lessons\/l04\.md is a symbolic link \(to \.\.\/\.\.\/common/);
      // A link no row ships from is left alone.
      rmSync(join(root, "lessons/l04.md"));
      symlinkSync("../common", join(root, "notes"));
      expect(collectRelease({ root, profile: "student", lessons: [] }).map((f) => f.path)).not.toContain("notes");
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("finds a solution's text in a released file however it was re-indented", () => {
    const prints = protectedFingerprints(REPO);
    const solution = readFileSync(join(REPO, "grader/solutions/week-12/src/retry-client.ts"), "utf8");
    expect(prints.some((p) => p.source === "grader/solutions/week-12/src/retry-client.ts")).toBe(true);
    const reindented = solution.replace(/\n/g, "\n    ").replace(/ {2}/g, "\t");
    const leaks = findLeaks([{ path: "week-12/src/retry-client.ts", data: Buffer.from(`// pasted\n${reindented}`) }], prints);
    expect(leaks.map((l) => l.source)).toContain("grader/solutions/week-12/src/retry-client.ts");
    expect(normalizeWhitespace(" a \n\t b ")).toBe("a b");
  });

  it("cuts the lock to the packages the release's root and workspaces reach", () => {
    const full = JSON.parse(readFileSync(join(REPO, "package-lock.json"), "utf8")) as Lockfile;
    const root = { name: "dslab", workspaces: full.packages[""]!.workspaces as string[], devDependencies: { vitest: String(full.packages[""]!.devDependencies!.vitest) } };
    const cut = pruneLockfile(full, root);
    expect(cut.packages[""]).toMatchObject(root);
    expect(cut.packages["node_modules/vitest"]).toBeDefined();
    expect(cut.packages["node_modules/yaml"]).toBeDefined();
    expect(cut.packages["node_modules/turbo"]).toBeUndefined();
    expect(cut.packages["node_modules/playwright-core"]).toBeUndefined();
    expect(cut.packages["node_modules/@dslab/week-12"]).toMatchObject({ link: true, resolved: "week-12" });
  });
});

describe("a student release", () => {
  // Made when the suite runs, not when it is collected: a run filtered to other tests leaves no empty directory behind.
  let out = "";
  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), "dslab-release-"));
  });
  afterAll(() => {
    if (out !== "") rmSync(out, { recursive: true, force: true });
  });

  it(
    "holds no hidden suite, solution, mutant or answer key (by path and by content), installs offline from its lock, and its npm run check fails on the stubs",
    async () => {
      const built = await grader(["release", "--out", out], { timeoutMs: 120_000 });
      expect(built.stderr).toBe("");
      expect(built.code).toBe(0);
      const files = listFiles(out);
      for (const f of ["package.json", "package-lock.json", "README.md", ".github/workflows/classroom.yml", "week-12/src/retry-client.ts", "week-12/checks/index.ts", "grader/bin/grader.js"]) expect(files).toContain(f);

      // By path: nothing of the instructor's side.
      expect(files.filter((f) => /^grader\/(hidden|solutions|test)\//.test(f) || instructorOnlyReason(f) !== undefined)).toEqual([]);
      // By content: every solution, hidden-suite and mutant file, whitespace normalised.
      const prints = protectedFingerprints(REPO);
      expect(prints.filter((p) => p.source.startsWith("grader/solutions/")).length).toBeGreaterThanOrEqual(5);
      expect(findLeaksInDir(out, prints)).toEqual([]);

      const pkg = JSON.parse(readFileSync(join(out, "package.json"), "utf8"));
      expect(pkg.scripts.check).toBe("node grader/bin/grader.js check");
      expect(JSON.parse(readFileSync(join(out, "week-12/package.json"), "utf8")).scripts.test).toBe("vitest run");

      const install = await run("npm", ["ci", "--offline", "--no-audit", "--no-fund"], out, 240_000);
      expect(install.stderr.split("\n").filter((l) => l.includes("npm error")).join("\n")).toBe("");
      expect(install.code).toBe(0);

      // npm computes the same lock from the release's package.json.
      const locked = readFileSync(join(out, "package-lock.json"), "utf8");
      const relock = await run("npm", ["install", "--package-lock-only", "--offline", "--ignore-scripts", "--no-audit", "--no-fund"], out, 240_000);
      expect(relock.code, relock.stderr).toBe(0);
      expect(JSON.parse(readFileSync(join(out, "package-lock.json"), "utf8"))).toEqual(JSON.parse(locked));

      const check = await run("npm", ["run", "--silent", "check"], out, 120_000);
      expect(check.stdout).toContain("not implemented yet:");
      // Only the introduction's criterion passes: running the command is its check.
      expect(check.stdout).toMatch(/^1 of \d+ criteria pass/m);
      // The stubs type-check there: tsc and the types it reads come with the release's install.
      expect(check.stdout).toContain("\ntype check: no errors\n");
      expect(check.code).toBe(1);

      const solution = await run("npm", ["run", "--silent", "check", "--", "--solution"], out, 60_000);
      expect(solution.code).toBe(2);
      expect(solution.stderr).toMatch(/--solution: the reference solutions are not here .*only in the instructor's repository/);

      const graded = await run(process.execPath, ["grader/bin/grader.js", "test", "--submission", "week-12"], out, 60_000);
      expect(graded.code).toBe(2);
      expect(graded.stderr).toMatch(/grader test: the hidden suites are not here .*only in the instructor's repository/);
    },
    600_000,
  );
});
