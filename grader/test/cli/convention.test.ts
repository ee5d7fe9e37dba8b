/**
 * grader follows the dslab command-line convention: usage errors exit 2 and
 * name the near option, bad input exits 4, a bug exits 70 with its stack,
 * --version prints the package version, --help lists the exit codes, and an
 * empty input is said to be empty rather than passed.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { FIXTURES, grader, REPO } from "../helpers/cli.js";

const COURSE = path.join(FIXTURES, "course");
const PASTES = path.join(FIXTURES, "pastes");
const FAILING = fileURLToPath(new URL("./failing-clock.ts", import.meta.url));
let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), "grader-convention-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

function failing(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", FAILING, ...args], { cwd: REPO, timeout: 60_000 }, (err, _stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stderr });
    });
  });
}

describe("grader command-line convention", () => {
  test("a mistyped option exits 2 with a message that starts with the command and names the near option", async () => {
    const r = await grader(["proof", "--lesosn", "fx-retry", path.join(PASTES, "alice.txt")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^grader proof: unknown option --lesosn \(did you mean --lesson\?\)/);
  });

  test("an option of one value given twice exits 2, naming it and both values", async () => {
    const r = await grader(["proof", "--lessons", COURSE, "--lessons", PASTES, "--lesson", "fx-retry", path.join(PASTES, "alice.txt")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^grader proof: --lessons: given twice \(".*", then ".*"\); give it once/);
  });

  test("a paste that cannot be read exits 4", async () => {
    const r = await grader(["proof", "--lessons", COURSE, "--lesson", "fx-retry", path.join(tmp, "missing.txt")]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^grader proof: cannot read /);
  });

  test("a bug exits 70 with its stack, not with a code that claims an outcome", async () => {
    const out = path.join(tmp, "grades-bug");
    const r = await failing(["proofs", "--lessons", COURSE, "--lesson", "fx-retry", PASTES, "--out", out]);
    expect(r.code).toBe(70);
    expect(r.stderr).toMatch(/^grader: internal error \(a bug/);
    expect(r.stderr).toContain("TypeError: injected: the clock broke");
    expect(r.stderr).toMatch(/\n\s+at /);
  });

  test("--version prints the package version, for the command and its subcommands", async () => {
    const { version } = JSON.parse(await readFile(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
    const [top, sub] = await Promise.all([grader(["--version"]), grader(["lint", "--version"])]);
    expect(top).toMatchObject({ code: 0, stdout: `grader ${version}\n` });
    expect(sub).toMatchObject({ code: 0, stdout: `grader ${version}\n` });
  });

  test("--help lists the exit-code table, for the command and each subcommand", async () => {
    const runs = await Promise.all([grader(["--help"]), grader(["proofs", "--help"])]);
    for (const r of runs) {
      expect(r.code).toBe(0);
      for (const code of [0, 1, 2, 3, 4, 70]) expect(r.stdout).toMatch(new RegExp(`^ +${code}  \\S`, "m"));
    }
  });

  test("--help of each command that reads input files says what exit 4 covers, in the words of the README, its exit codes within 80 columns", async () => {
    const commands = [["lint"], ["site"], ["check"], ["proof"], ["proofs"], ["review"], ["schedule"], ["lesson", "show"]];
    const readme = (await readFile(new URL("../../README.md", import.meta.url), "utf8")).replace(/\s+/g, " ");
    const runs = await Promise.all(commands.map((c) => grader([...c, "--help"])));
    runs.forEach((r, i) => {
      expect(r.code, commands[i]!.join(" ")).toBe(0);
      const paragraph = /^An input file that cannot be read[\s\S]*?\.\n\n/m.exec(r.stdout)?.[0];
      expect(paragraph, `grader ${commands[i]!.join(" ")} --help`).toBeDefined();
      for (const words of ["no permission", "a loop of symbolic links", "a FIFO, a device or a socket", "larger than its bound", "exit 4"]) expect(paragraph!.replace(/\s+/g, " ")).toContain(words);
      expect(readme).toContain(paragraph!.trim().replace(/\s+/g, " "));
      expect(r.stdout).toMatch(/^Exit codes: .* 4 /ms);
      const exitPart = r.stdout.slice(r.stdout.indexOf("\nExit codes: "));
      for (const line of exitPart.split("\n")) expect(line.length, line).toBeLessThanOrEqual(80);
    });
  });

  test("lint of a directory with no lesson warns that nothing was checked and exits 4", async () => {
    const empty = path.join(tmp, "no-lessons");
    await mkdir(empty, { recursive: true });
    const r = await grader(["lint", "--lessons", empty]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`grader lint: warning: ${empty} holds no lesson (no *.md file); nothing was checked`);
  });

  test("proofs on a directory with no paste says so, exits 4 and writes nothing", async () => {
    const empty = path.join(tmp, "no-pastes");
    const out = path.join(tmp, "grades-empty");
    await mkdir(empty, { recursive: true });
    const r = await grader(["proofs", "--lessons", COURSE, "--lesson", "fx-retry", empty, "--out", out]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`grader proofs: ${empty} holds no paste`);
    await expect(readFile(path.join(out, "gradebook.csv"))).rejects.toThrow();
  });

  test("without --out, proofs writes under .grader-out (ignored by git) and says where", async () => {
    const cwd = path.join(tmp, "cwd");
    await mkdir(cwd, { recursive: true });
    const r = await grader(["proofs", "--lessons", COURSE, "--lesson", "fx-retry", PASTES], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`wrote ${path.join(".grader-out", "grades", "gradebook.csv")}`);
    expect(await readFile(path.join(cwd, ".grader-out", "grades", "gradebook.csv"), "utf8")).toContain("student,lesson");
  });

  test("an --out that cannot be written is refused before any work, in one line, exit 4 (not a hang under /proc)", async () => {
    const completions = path.join(tmp, "completions.csv");
    await writeFile(completions, "student,lesson,completed_at\nalice,fx-retry,2026-11-01\n");
    const [proofs, schedule] = await Promise.all([
      grader(["proofs", "--lessons", COURSE, "--lesson", "fx-retry", PASTES, "--out", "/proc/self/grades"], { timeoutMs: 30_000 }),
      grader(["schedule", "--lessons", COURSE, "--completions", completions, "--out", "/proc/self/sched/calendars"], { timeoutMs: 30_000 }),
    ]);
    expect(proofs.code).toBe(4);
    expect(proofs.stderr).toBe("grader proofs: --out /proc/self/grades: cannot create the directory /proc/self/grades: this file system does not allow it (ENOENT); give a directory you can write to\n");
    expect(schedule.code).toBe(4);
    expect(schedule.stderr).toMatch(/^grader schedule: --out \/proc\/self\/sched\/calendars: /);
  });

  test("a path of the wrong kind or a value with a leading dash is one line naming the option and the path, no system error text", async () => {
    const file = path.join(tmp, "a-file");
    const dir = path.join(tmp, "a-dir");
    await writeFile(file, "x");
    await mkdir(dir, { recursive: true });
    const [proofs, site, zip, budget, url] = await Promise.all([
      grader(["proofs", "--lessons", COURSE, "--lesson", "fx-retry", path.join(PASTES, "alice.txt"), "--out", path.join(tmp, "grades-file")]),
      grader(["site", "--lessons", COURSE, "--out", file]),
      grader(["autograder", "gradescope", "--out", dir]),
      grader(["test", "--submission", "week-12", "--budget", "-1"]),
      grader(["schedule", "--completions", file, "--base-url", "-x"]),
    ]);
    expect(proofs).toMatchObject({ code: 4, stderr: `grader proofs: cannot read the pastes directory ${path.join(PASTES, "alice.txt")}: it is a file, not a directory; give the directory that holds one paste per student\n` });
    expect(site).toMatchObject({ code: 4, stderr: `grader site: --out ${file}: ${file} exists and is not a directory; give a directory for the outputs\n` });
    expect(zip).toMatchObject({ code: 4, stderr: `grader autograder gradescope: --out ${dir}: is a directory; give the zip's file name, e.g. ${path.join(dir, "autograder.zip")}\n` });
    expect(budget).toMatchObject({ code: 2, stderr: 'grader test: --budget: expected a number >= 1, got "-1"\n' });
    expect(url).toMatchObject({ code: 2, stderr: "grader schedule: --base-url: needs a value; one that starts with a dash is written --base-url=-VALUE\nRun `grader schedule --help` for usage.\n" });
  });

  test("grader test --out of the wrong kind is refused before any grading, naming --out once", async () => {
    const file = path.join(tmp, "gradebook-file");
    const dir = path.join(tmp, "report-dir");
    const klass = path.join(tmp, "class-for-out");
    await writeFile(file, "x");
    await mkdir(dir, { recursive: true });
    await mkdir(path.join(klass, "ann"), { recursive: true });
    const [gradebook, report] = await Promise.all([grader(["test", "--class", klass, "--out", file]), grader(["test", "--submission", path.join(REPO, "week-12"), "--out", dir])]);
    expect(gradebook).toMatchObject({ code: 4, stderr: `grader test: --out ${file}: ${file} exists and is not a directory; give a directory for the outputs\n` });
    expect(report).toMatchObject({ code: 4, stderr: `grader test: --out ${dir}: it is a directory; give the report's file name (--out DIR is for --class)\n` });
  });

  test("site with no lesson exits 4 like lint and leaves an existing site as it was", async () => {
    const empty = path.join(tmp, "site-no-lessons");
    const out = path.join(tmp, "site-out");
    await mkdir(empty, { recursive: true });
    expect((await grader(["site", "--lessons", COURSE, "--out", out])).code).toBe(0);
    const index = await readFile(path.join(out, "index.html"), "utf8");
    const r = await grader(["site", "--lessons", empty, "--out", out]);
    expect(r.code).toBe(4);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(`grader site: --lessons ${empty} holds no lesson (no *.md file); nothing written. Give the course directory with --lessons DIR\n`);
    expect(await readFile(path.join(out, "index.html"), "utf8")).toBe(index);
  });

  test("--help of a command family (lesson, autograder) lists the exit-code table too; the bare family word names every subcommand's help", async () => {
    const runs = await Promise.all([grader(["lesson", "--help"]), grader(["autograder", "--help"]), grader(["lesson"])]);
    for (const r of runs.slice(0, 2)) {
      expect(r.code).toBe(0);
      for (const code of [0, 1, 2, 3, 4, 70]) expect(r.stdout).toMatch(new RegExp(`^ +${code}  \\S`, "m"));
    }
    expect(runs[2]!.code).toBe(2);
    expect(runs[2]!.stderr).toContain("`grader lesson pictures --help` or `grader lesson show --help`, or `grader lesson --help` for all of them");
  });
});
