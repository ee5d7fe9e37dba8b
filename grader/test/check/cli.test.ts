/**
 * `grader check` as a student runs it (`npm run check`), as real processes:
 * the untouched workbook, the reference solutions lesson by lesson, the
 * JSON document, --lesson mistakes, a student's own exception, and --watch.
 */
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { cp, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { splitCriterion } from "../../../week-12/checks/run.js";
import { BIN, grader, REPO, type Run } from "../helpers/cli.js";
import { coursePlan, copyWorkbook, firstUnitCheck, makeStubThrow, solutionsWith, solutionsWithDecideFirst, THROWN } from "./helpers.js";

const plan = await coursePlan();
const removals: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const remove of removals) await remove();
});

/** The criterion lines of a text report, with the detail lines under each and the lesson they are in. */
function criterionBlocks(stdout: string): Array<{ lesson: string; line: string; details: string[] }> {
  const blocks: Array<{ lesson: string; line: string; details: string[] }> = [];
  let lesson = "";
  for (const line of stdout.split("\n")) {
    const header = /^\S.* \(([^()\s]+)\)$/.exec(line);
    if (header) lesson = header[1]!;
    else if (/^  [✓✗] #\d+ /.test(line)) blocks.push({ lesson, line, details: [] });
    else if (line.startsWith("      ") && blocks.length > 0) blocks.at(-1)!.details.push(line.trim());
  }
  return blocks;
}

const SOLUTIONS = path.join(REPO, "grader", "solutions", "week-12", "src");

describe("grader check", () => {
  test("the untouched workbook: every criterion is not implemented yet (or has no check; the one checked by running the command passes), no stack trace, exit 1, and the summary names the next lesson", async () => {
    const r = await grader(["check"], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(1);
    const blocks = criterionBlocks(r.stdout.split("\nSummary\n")[0]!);
    expect(blocks.length).toBe(plan.lessons.reduce((s, l) => s + l.criteria.length, 0));
    for (const b of blocks) {
      const n = Number(/#(\d+)/.exec(b.line)![1]);
      const planned = plan.lessons.find((l) => l.lesson.id === b.lesson)!.criteria.find((c) => c.criterion.number === n)!;
      if (planned.byRun) expect(b.line).toMatch(/^  ✓ #\d+ /);
      else if (planned.check === undefined) expect(b.details).toEqual(["no check decides this criterion"]);
      else {
        expect(b.line, b.details.join("\n")).toMatch(/^  ✗ #\d+ /);
        expect(b.details).toHaveLength(1);
        const m = /^not implemented yet: (\w+) \((\S+), criterion (\d+)\)$/.exec(b.details[0]!);
        expect(m, b.details[0]).not.toBeNull();
        expect([m![2], Number(m![3])]).toEqual(splitCriterion(planned.criterion.id));
      }
    }
    expect(r.stdout).not.toMatch(/^\s+at /m);
    const first = plan.lessons[0]!;
    expect(r.stdout).toContain(`next: ${first.lesson.title} (\`npm run check -- --lesson ${first.short}\`)`);
  }, 180_000);

  test.each(plan.lessons.map((l) => [l.short, l] as const))("the reference solutions pass lesson %s (--solution, one seed per fault run)", async (short, lesson) => {
    const r = await grader(["check", "--solution", "--lesson", short, "--seeds", "1"], { timeoutMs: 170_000 });
    const blocks = criterionBlocks(r.stdout);
    expect(blocks.map((b) => b.line)).toHaveLength(lesson.criteria.length);
    for (const [i, planned] of lesson.criteria.entries()) {
      if (planned.check === undefined && !planned.byRun) expect(blocks[i]!.details).toEqual(["no check decides this criterion"]);
      else expect(blocks[i]!.line, blocks[i]!.details.join("\n")).toMatch(/^  ✓ /);
    }
    expect(r.code, r.stdout + r.stderr).toBe(lesson.criteria.every((c) => c.check !== undefined || c.byRun) ? 0 : 1);
  }, 180_000);

  test("--json prints one document: the lessons with each criterion's result and text, and the summary", async () => {
    const first = plan.lessons[0]!;
    const r = await grader(["check", "--json", "--lesson", first.short], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(1);
    const doc = JSON.parse(r.stdout) as {
      workbook: { label: string; dir: string };
      lessons: Array<{ id: string; title: string; short: string; passed: number; total: number; xp?: number; xpEarned: number; criteria: Array<Record<string, unknown>> }>;
      summary: { passed: number; total: number; xpEarned: number; xpTotal: number; next?: { id: string; title: string; command: string } };
    };
    expect(doc.workbook).toEqual({ label: "workbook", dir: path.join(REPO, "week-12") });
    expect(doc.lessons.map((l) => l.id)).toEqual([first.lesson.id]);
    const lesson = doc.lessons[0]!;
    expect(lesson).toMatchObject({ title: first.lesson.title, short: first.short, passed: 0, total: first.criteria.length, xpEarned: 0 });
    expect(lesson.criteria.map((c) => [c.criterion, c.number, c.text])).toEqual(first.criteria.map((c) => [c.criterion.id, c.criterion.number, c.criterion.text]));
    for (const c of lesson.criteria) {
      expect(["todo", "error"]).toContain(c.status);
      expect(typeof c.message).toBe("string");
      expect(typeof c.elapsedMs).toBe("number");
    }
    expect(doc.summary).toMatchObject({ passed: 0, total: first.criteria.length, xpEarned: 0, xpTotal: first.lesson.xp ?? 0, next: { id: first.lesson.id, title: first.lesson.title, command: `npm run check -- --lesson ${first.short}` } });
  }, 150_000);

  test("an ambiguous --lesson lists the lessons it names; an unknown one names the near lesson; both exit 2", async () => {
    const [ambiguous, unknown] = await Promise.all([grader(["check", "--lesson", "quest"]), grader(["check", "--lesson", "votte"])]);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toMatch(/^grader check: --lesson "quest" names \d+ lessons: .*; give one of them\n/);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^grader check: --lesson "votte" names no lesson of the workbook \(did you mean vote\?\); the lessons: /);
    expect(ambiguous.stdout + unknown.stdout).toBe("");
  });

  test("an empty --lesson, or an empty name in its comma list, is a usage error (exit 2), not a run that checks nothing", async () => {
    const runs = await Promise.all([["--lesson", ""], ["--lesson", ","], ["--lesson", "vote,"], [""]].map((args) => grader(["check", ...args])));
    for (const r of runs) {
      expect(r.code, r.stdout + r.stderr).toBe(2);
      expect(r.stdout).toBe("");
    }
    expect(runs[0]!.stderr).toMatch(/^grader check: --lesson "": an empty lesson name; give a lesson's id or short name: w11, intro, vote, retry, dedup, keys\n/);
    expect(runs[1]!.stderr).toMatch(/^grader check: --lesson ",": an empty name in the comma list; give /);
  });

  test("npm run check works from week-12/ and its folders, like from the repository's root", async () => {
    const r = await new Promise<Run>((resolve) => {
      execFile("npm", ["run", "--silent", "check", "--", "--lesson", "intro"], { cwd: path.join(REPO, "week-12", "src"), timeout: 60_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr });
      });
    });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^  ✓ #1 The workbook's checks run on your machine/m);
  }, 90_000);

  test("a reader that closes stdout early (| head) ends the command quietly: no EPIPE stack, exit 141 as for SIGPIPE", async () => {
    const child = spawn(process.execPath, [BIN, "check"], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    child.stdout.once("data", () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
    expect(stderr).toBe("");
    expect(code).toBe(141);
  }, 90_000);

  test("--solution and --workbook together are a usage error", async () => {
    const r = await grader(["check", "--solution", "--workbook", "week-12"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("grader check: give --solution or --workbook DIR, not both\n");
  });

  test("a --workbook outside the repository is a usage error that says to copy it inside (its imports of the course's packages cannot resolve there), not a run that blames the pieces", async () => {
    const outside = mkdtempSync(path.join(tmpdir(), "dslab-outside-"));
    removals.push(() => rm(outside, { recursive: true, force: true }));
    await cp(path.join(REPO, "week-12", "src"), path.join(outside, "src"), { recursive: true });
    const r = await grader(["check", "--workbook", outside, "--lesson", "retry"], { timeoutMs: 60_000 });
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(new RegExp(`^grader check: --workbook ${outside}: outside the repository \\(.+\\), where its imports of the course's packages \\(@dslab/protocol\\) cannot be found; copy it into the repository .* or grade it with grader test --submission ${outside}\\n$`));
  });

  const unit = firstUnitCheck();
  test.skipIf(unit === undefined)("a student's own exception is reported with exactly one frame, the line in their file that threw", async () => {
    const copy = await copyWorkbook("throws");
    removals.push(copy.remove);
    const file = unit!.files.find((f) => f.startsWith("src/"))!;
    const line = await makeStubThrow(copy.dir, file);
    const [lesson] = splitCriterion(unit!.criterion);
    const r = await grader(["check", "--workbook", copy.dir, "--lesson", lesson], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(1);
    const threw = r.stdout.split("\n").filter((l) => l.includes(`your code threw RangeError: `) && l.includes(THROWN));
    expect(threw.length, r.stdout).toBeGreaterThan(0);
    const frames = r.stdout.split("\n").filter((l) => /^\s+at /.test(l));
    expect(frames).toHaveLength(threw.length);
    const where = path.relative(REPO, path.join(copy.dir, file));
    for (const f of frames) expect(f.trim()).toMatch(new RegExp(`^at ${where.replaceAll(".", "\\.")}:${line}:\\d+$`));
  }, 150_000);

  test("a stub that does not parse, or imports a package that is not there, fails its criteria with the file, line and error; no stack, exit 1", async () => {
    const [parse, missing] = await Promise.all([copyWorkbook("parse"), copyWorkbook("missing-package")]);
    removals.push(parse.remove, missing.remove);
    const file = path.join(parse.dir, "src", "vote-rules.ts");
    const lines = (await readFile(file, "utf8")).split("\n");
    const i = lines.findIndex((l) => l.includes('return todo("electionTimeoutTicks");'));
    lines[i] = "  return prng.int(minTicks, maxTicks;";
    await writeFile(file, lines.join("\n"));
    const other = path.join(missing.dir, "src", "vote-rules.ts");
    await writeFile(other, `import leftPad from "left-pad";\nleftPad;\n${await readFile(other, "utf8")}`);
    const [a, b] = await Promise.all([parse, missing].map((c) => grader(["check", "--workbook", c.dir, "--lesson", "vote"], { timeoutMs: 120_000 })));
    const shown = (dir: string) => path.relative(REPO, path.join(dir, "src", "vote-rules.ts"));
    for (const [r, message] of [
      [a!, `your file does not parse: ${shown(parse.dir)}:${i + 1}:37: Expected ")" but found ";"`],
      [b!, `cannot find package left-pad (not installed: the workbook can import the course's packages and Node's own modules) imported by ${shown(missing.dir)}`],
    ] as const) {
      expect(r.code, r.stdout + r.stderr).toBe(1);
      const blocks = criterionBlocks(r.stdout);
      expect(blocks.length).toBeGreaterThan(0);
      for (const block of blocks) expect(block.details, block.line).toEqual([message]);
      expect(r.stdout + r.stderr).not.toMatch(/^\s+at |bug in the check/m);
    }
  }, 150_000);

  test("a piece that no longer exports a name its stub exports (an `export` removed) fails the criteria that read it, naming the file and the name; no check fails itself, exit 1", async () => {
    const copy = await copyWorkbook("unexported");
    removals.push(copy.remove);
    const unexport = async (file: string, declaration: string) => {
      const p = path.join(copy.dir, file);
      const text = await readFile(p, "utf8");
      expect(text).toContain(`export ${declaration}`);
      await writeFile(p, text.replace(`export ${declaration}`, declaration));
    };
    await unexport("src/idempotency-handler.ts", "class IdempotencyHandler");
    await unexport("src/vote-rules.ts", "const voteRules");
    const r = await grader(["check", "--workbook", copy.dir, "--lesson", "keys,vote", "--seeds", "1"], { timeoutMs: 150_000 });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout + r.stderr).not.toMatch(/bug in the check|failed themselves|^\s+at /m);
    const blocks = criterionBlocks(r.stdout);
    const keys = blocks.filter((b) => b.lesson.endsWith("idempotency-keys-2h"));
    expect(keys.length).toBeGreaterThan(0);
    for (const b of keys) expect(b.details, b.line).toEqual(["src/idempotency-handler.ts does not export IdempotencyHandler, as its stub does: keep the `export` and the name (the checks import it)"]);
    expect(blocks.flatMap((b) => b.details)).toContain("src/vote-rules.ts does not export voteRules, as its stub does: keep the `export` and the name (the checks import it)");
  }, 180_000);

  test("a piece deleted from the workbook fails its lesson's criteria saying which file is missing and how to get its stub back; no check fails itself, exit 1", async () => {
    const copy = await copyWorkbook("deleted");
    removals.push(copy.remove);
    await rm(path.join(copy.dir, "src", "vote-rules.ts"));
    const r = await grader(["check", "--workbook", copy.dir, "--lesson", "vote", "--seeds", "1"], { timeoutMs: 120_000 });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout + r.stderr).not.toMatch(/bug in the check|failed themselves|^\s+at /m);
    const blocks = criterionBlocks(r.stdout);
    expect(blocks.length).toBeGreaterThan(0);
    const message = `src/vote-rules.ts is missing: there is no file ${path.join(copy.dir, "src", "vote-rules.ts")}; put the piece back (its stub: git checkout -- week-12/src/vote-rules.ts)`;
    for (const b of blocks) expect(b.details, b.line).toEqual([message]);
  }, 150_000);

  test("with --json, stdout is the document alone: what a piece prints with console.log is the output of the criterion whose check ran it", async () => {
    const copy = await copyWorkbook("console-log");
    removals.push(copy.remove);
    const file = path.join(copy.dir, "src", "idempotency-handler.ts");
    await writeFile(file, `${await readFile(file, "utf8")}\nconsole.log("debug: the handler module loaded");\n`);
    const r = await grader(["check", "--workbook", copy.dir, "--lesson", "keys", "--json"], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(1);
    const doc = JSON.parse(r.stdout) as { lessons: Array<{ short: string; criteria: Array<{ output?: { text: string; lines: number } }> }> };
    expect(doc.lessons.map((l) => l.short)).toEqual(["keys"]);
    expect(doc.lessons[0]!.criteria[0]!.output).toEqual({ text: "debug: the handler module loaded\n", bytes: 33, lines: 1 });
    expect(r.stderr).not.toContain("debug: the handler module loaded");
  }, 150_000);

  test.skipIf(!existsSync(SOLUTIONS))("what a piece prints shows under the criterion whose check ran it: its first 20 lines, each cut at 200 characters, and how much more there was", async () => {
    const copy = await solutionsWithDecideFirst("console-flood", SOLUTIONS, `  for (let i = 0; i < 100; i++) console.log("DEBUG decide", i, "x".repeat(2000));`);
    removals.push(copy.remove);
    const r = await grader(["check", "--workbook", copy.dir, "--lesson", "vote", "--seeds", "1"], { timeoutMs: 150_000 });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout.length).toBeLessThan(64 * 1024);
    for (const line of (r.stdout + r.stderr).split("\n").filter((l) => l.includes("DEBUG"))) expect(line).toMatch(/^ {6}\| DEBUG decide \d+ x{180,}…$/);
    const first = criterionBlocks(r.stdout)[0]!;
    expect(first.line).toMatch(/^  ✓ #1 /);
    const n = Number(/^your code printed (\d+) lines \(\d+(\.\d)? (KB|MB)\); the first 20, each cut at 200 characters:$/.exec(first.details[0] ?? "")?.[1]);
    expect(n % 100, first.details[0]).toBe(0);
    expect(first.details.slice(1, 21)).toEqual(Array.from({ length: 20 }, (_, i) => `| DEBUG decide ${i} ${"x".repeat(200 - `DEBUG decide ${i} `.length)}…`));
    expect(first.details[21]).toBe(`… and ${n - 20} more lines`);
  }, 180_000);

  test.skipIf(!existsSync(SOLUTIONS))("an infinite loop that prints, stopped by --timeout: its criterion fails naming the function and line that was running, and the count of what it printed is all of it, past the 64 KiB kept", async () => {
    const copy = await solutionsWithDecideFirst("console-loop", SOLUTIONS, `  for (let i = 0; ; i++) console.log("DEBUG decide", i);`);
    removals.push(copy.remove);
    const file = path.join(copy.dir, "src", "vote-rules.ts");
    const loop = copy.lineNumber;
    const r = await grader(["check", "--workbook", copy.dir, "--lesson", "vote", "--seeds", "1", "--timeout", "3"], { timeoutMs: 170_000 });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const first = criterionBlocks(r.stdout)[0]!;
    expect(first.line, r.stdout).toMatch(/^  ✗ #1 /);
    expect(first.details[0]).toBe("did not finish within 3 s and was stopped: an infinite loop, or an operation that never finishes? (--timeout S allows a check longer)");
    expect(first.details[1]).toBe(`still running in decide at ${path.relative(REPO, file)}:${loop}`);
    const printed = first.details.find((d) => d.startsWith("your code printed "));
    const m = /^your code printed (\d+) lines \((\d+(?:\.\d)?) (KB|MB)\); the first 20:$/.exec(printed ?? "");
    expect(m, first.details.join("\n")).not.toBeNull();
    // 64 KiB holds at most 65536 / "DEBUG decide 0\n".length lines of it; the loop printed on for seconds after.
    expect(Number(m![1])).toBeGreaterThan(Math.floor(65536 / "DEBUG decide 0\n".length));
    expect(Number(m![2]) * (m![3] === "MB" ? 1024 : 1)).toBeGreaterThan(64);
    const shown = first.details.slice(first.details.indexOf(printed!) + 1, first.details.indexOf(printed!) + 21);
    expect(shown).toEqual(Array.from({ length: 20 }, (_, i) => `| DEBUG decide ${i}`));
    expect(first.details[first.details.indexOf(printed!) + 21]).toBe(`… and ${Number(m![1]) - 20} more lines`);
  }, 240_000);

  const KEYS = plan.lessons.find((l) => l.short === "keys");
  test.skipIf(KEYS === undefined || !existsSync(SOLUTIONS))("a synchronous infinite loop fails its criterion after --timeout, naming the student's function and line that was running, and the other criteria still run (exit 1); on a terminal the line on stderr names the running check", async () => {
    const copy = await copyWorkbook("loop");
    removals.push(copy.remove);
    await cp(SOLUTIONS, path.join(copy.dir, "src"), { recursive: true });
    const file = path.join(copy.dir, "src", "idempotency-handler.ts");
    const text = await readFile(file, "utf8");
    const guard = '    if (record.inProgress || record.response === null) return { kind: "in-progress" };';
    expect(text).toContain(guard);
    await writeFile(file, text.replace(guard, `    while (record.inProgress) {}\n${guard}`));
    const loop = text.split("\n").indexOf(guard) + 1;
    const args = ["check", "--workbook", copy.dir, "--lesson", "keys", "--timeout", "3"];
    const r = await grader(args, { timeoutMs: 120_000 });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const blocks = criterionBlocks(r.stdout);
    expect(blocks.map((b) => b.line.slice(0, 5))).toEqual(KEYS!.criteria.map((c) => (c.criterion.number === 3 ? "  ✗ #" : "  ✓ #")));
    expect(blocks[2]!.details).toEqual([
      "did not finish within 3 s and was stopped: an infinite loop, or an operation that never finishes? (--timeout S allows a check longer)",
      `still running in IdempotencyHandler.lookup at ${path.relative(REPO, file)}:${loop}`,
    ]);
    if (existsSync("/usr/bin/script")) {
      const tty = await new Promise<string>((resolve) => {
        const command = [process.execPath, BIN, ...args].map((a) => `'${a}'`).join(" ");
        execFile("/usr/bin/script", ["-qec", command, "/dev/null"], { cwd: REPO, timeout: 120_000 }, (_err, stdout) => resolve(stdout));
      });
      expect(tty).toMatch(/… keys #3 \(\d s\): A duplicate that arrives/);
    }
  }, 240_000);

  test.skipIf(!existsSync(SOLUTIONS))("a type error fails the run though every criterion passes: tsc's file, line, column and code before the summary, and in --json; with --lesson, errors in other lessons' files are only counted", async () => {
    const copy = await copyWorkbook("type-error");
    removals.push(copy.remove);
    await rm(path.join(copy.dir, "node"), { recursive: true });
    await cp(SOLUTIONS, path.join(copy.dir, "src"), { recursive: true });
    const voteRules = path.join(copy.dir, "src", "vote-rules.ts");
    const lines = (await readFile(voteRules, "utf8")).split("\n").length;
    await writeFile(voteRules, (await readFile(voteRules, "utf8")) + 'export const wrong: number = "not a number";\n');
    await writeFile(path.join(copy.dir, "src", "retry-client.ts"), (await readFile(path.join(copy.dir, "src", "retry-client.ts"), "utf8")) + "export const alsoWrong: string = 1;\n");
    const args = ["check", "--workbook", copy.dir, "--lesson", "vote", "--seeds", "1"];
    const [text, doc] = await Promise.all([grader(args, { timeoutMs: 150_000 }), grader([...args, "--json"], { timeoutMs: 150_000 })]);
    const VOTE = plan.lessons.find((l) => l.short === "vote")!;
    expect(criterionBlocks(text.stdout).map((b) => b.line.slice(0, 4)), text.stdout).toEqual(VOTE.criteria.map(() => "  ✓ "));
    const shown = `${path.relative(REPO, voteRules)}:${lines}:14 TS2322: Type 'string' is not assignable to type 'number'.`;
    expect(text.stdout).toContain(`\nType errors (tsc --noEmit, as \`grader test\` runs it; they cost no XP, but fix them)\n  ${shown}\n\nSummary\n`);
    expect(text.stdout).not.toContain("retry-client.ts:");
    expect(text.stdout).toContain("\ntype check: 1 error (listed above); 1 more in files the lessons checked do not read");
    expect(text.stdout).toContain("\nevery criterion checked passes, but fix the type errors above");
    expect(text.code, text.stdout + text.stderr).toBe(1);
    const types = (JSON.parse(doc.stdout) as { types: { errors: Array<{ file: string; line: number; column: number; code: string }>; elsewhere: number } }).types;
    expect(types.errors.map((e) => [e.file, e.line, e.column, e.code])).toEqual([[path.relative(REPO, voteRules), lines, 14, "TS2322"]]);
    expect(types.elsewhere).toBe(1);
    expect(doc.code).toBe(1);
  }, 180_000);

  const DEDUP = plan.lessons.find((l) => l.short === "dedup");
  test.skipIf(DEDUP === undefined || !existsSync(SOLUTIONS))("the dedup lesson judges its own piece: with day 2's vote rules still stubs, its fault run passes on the reference vote rules", async () => {
    const copy = await copyWorkbook("dedup-alone");
    removals.push(copy.remove);
    await cp(SOLUTIONS, path.join(copy.dir, "src"), { recursive: true });
    await cp(path.join(REPO, "week-12", "src", "vote-rules.ts"), path.join(copy.dir, "src", "vote-rules.ts"));
    // The copy keeps its own node/main.ts: the node-program checks run it, outside week-12/.
    expect(existsSync(path.join(copy.dir, "node", "main.ts"))).toBe(true);
    const r = await grader(["check", "--workbook", copy.dir, "--lesson", "dedup", "--seeds", "1"], { timeoutMs: 150_000 });
    const blocks = criterionBlocks(r.stdout);
    expect(blocks.map((b) => b.line.slice(0, 4)), r.stdout).toEqual(DEDUP!.criteria.map(() => "  ✓ "));
    expect(r.code, r.stdout + r.stderr).toBe(0);
  }, 180_000);

  test.skipIf(DEDUP === undefined || !existsSync(SOLUTIONS))("a tracker that caches another reply than the one recorded is told so, in w11-l04 #1 and in the dedup lesson's cluster checks", async () => {
    const copy = await copyWorkbook("wrong-reply");
    removals.push(copy.remove);
    await cp(SOLUTIONS, path.join(copy.dir, "src"), { recursive: true });
    await rm(path.join(copy.dir, "node"), { recursive: true });
    const file = path.join(copy.dir, "src", "client-tracker.ts");
    const text = await readFile(file, "utf8");
    expect(text).toContain("value: { lastSeq: seq, response, lastActivityMs: nowMs },");
    await writeFile(file, text.replace("value: { lastSeq: seq, response, lastActivityMs: nowMs },", 'value: { lastSeq: seq, response: { type: "ok" }, lastActivityMs: nowMs },'));
    const r = await grader(["check", "--workbook", copy.dir, "--lesson", "w11", "--lesson", "dedup", "--seeds", "1"], { timeoutMs: 150_000 });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const blocks = criterionBlocks(r.stdout);
    const told = [["w11-l04", 1], [DEDUP!.lesson.id, 3], [DEDUP!.lesson.id, 4]] as const;
    for (const [lesson, n] of told) {
      const b = blocks.find((x) => x.lesson === lesson && x.line.startsWith(`  ✗ #${n} `));
      expect(b, `${lesson} #${n}\n${r.stdout}`).toBeDefined();
      expect(b!.details[0]).toMatch(/was a duplicate, but its cached reply is not the reply recorded for it: registerRequest must return as `response` exactly what recordResponse was given$/);
      expect(b!.details[2]).toBe('received: {"kind":"duplicate","response":{"type":"ok"}}');
    }
    expect(r.stdout).not.toMatch(/compared with <|replica's own clock/);
  }, 180_000);

  test.skipIf(KEYS === undefined || !existsSync(SOLUTIONS))("a lookup or a decide that returns the wrong shape is told so: what it returned, not a { kind } result or a decision", async () => {
    const edits = [
      ["in-progress", "src/idempotency-handler.ts", 'if (record.inProgress || record.response === null) return { kind: "in-progress" };', 'if (record.inProgress || record.response === null) return "in-progress" as any;'],
      ["replay", "src/idempotency-handler.ts", 'return { kind: "replay", response: record.response };', "return record.response as any;"],
    ] as const;
    const runs = await Promise.all(
      edits.map(async ([name, file, from, to]) => {
        const copy = await copyWorkbook(`shape-${name}`);
        removals.push(copy.remove);
        await cp(SOLUTIONS, path.join(copy.dir, "src"), { recursive: true });
        const text = await readFile(path.join(copy.dir, file), "utf8");
        expect(text).toContain(from);
        await writeFile(path.join(copy.dir, file), text.replace(from, to));
        return grader(["check", "--workbook", copy.dir, "--lesson", "keys"], { timeoutMs: 120_000 });
      }),
    );
    const told = (r: Run, n: number) => criterionBlocks(r.stdout).find((b) => b.line.startsWith(`  ✗ #${n} `))?.details[0];
    expect(told(runs[0]!, 3), runs[0]!.stdout).toMatch(/^the handler is broken: lookup returned the string "in-progress", not a \{ kind: \.\.\. \} result /);
    expect(told(runs[1]!, 1), runs[1]!.stdout).toMatch(/^the handler is broken: lookup returned \{"status":201,"body":\{.*\}, not a \{ kind: \.\.\. \} result /);

    const vote = await copyWorkbook("shape-decide");
    removals.push(vote.remove);
    const real = path.join(SOLUTIONS, "vote-rules.ts");
    await writeFile(
      path.join(vote.dir, "src", "vote-rules.ts"),
      `import * as real from ${JSON.stringify(real)};\nexport * from ${JSON.stringify(real)};\nexport function decide(...args: Parameters<typeof real.decide>): unknown {\n  return real.decide(...args).grant;\n}\n`,
    );
    const r = await grader(["check", "--workbook", vote.dir, "--lesson", "vote", "--seeds", "1"], { timeoutMs: 120_000 });
    expect(told(r, 3), r.stdout).toBe("decide returned true, not a decision { grant: boolean, why: string }");
  }, 180_000);

  test.skipIf(DEDUP === undefined || !existsSync(SOLUTIONS))("a node program that does not parse is reported with its file, line and the parser's message, not the tail of Node's stderr", async () => {
    const copy = await copyWorkbook("node-parse");
    removals.push(copy.remove);
    await cp(SOLUTIONS, path.join(copy.dir, "src"), { recursive: true });
    const main = path.join(copy.dir, "node", "main.ts");
    const text = await readFile(main, "utf8");
    await writeFile(main, `${text.endsWith("\n") ? text : `${text}\n`}const x = ;\n`);
    const line = text.split("\n").length + (text.endsWith("\n") ? 0 : 1);
    const r = await grader(["check", "--workbook", copy.dir, "--lesson", "dedup", "--seeds", "1"], { timeoutMs: 150_000 });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const first = criterionBlocks(r.stdout).find((b) => b.line.startsWith("  ✗ #1 "));
    expect(first?.details[0], r.stdout).toBe(`the node program (node --import tsx ${main}) does not parse: ${path.relative(REPO, main)}:${line}:11: Unexpected ";"`);
  }, 180_000);

  const VOTE_TWICE = path.join(REPO, "grader", "test", "mutants", "vote-twice.ts");
  const vote = plan.lessons.find((l) => l.short === "vote");
  const voteFaultRun = vote?.criteria.find((c) => c.check?.faultRun === true);
  test.skipIf(!existsSync(VOTE_TWICE) || voteFaultRun === undefined)("a failed fault run gives its seed, the replay command, and a timeline and a diagram written under --out", async () => {
    const copy = await solutionsWith("fault-run", "src/vote-rules.ts", VOTE_TWICE);
    removals.push(copy.remove);
    const out = mkdtempSync(path.join(tmpdir(), "dslab-check-out-"));
    const r = await grader(["check", "--workbook", copy.dir, "--lesson", "vote", "--out", out], { timeoutMs: 150_000 });
    expect(r.code, r.stderr).toBe(1);
    const block = criterionBlocks(r.stdout).find((b) => b.line.startsWith(`  ✗ #${voteFaultRun!.criterion.number} `));
    expect(block, r.stdout).toBeDefined();
    const [message, seedLine, replay, timeline, diagram] = block!.details;
    const seed = /^seed (\d+)$/.exec(seedLine ?? "")?.[1];
    expect(seed, block!.details.join("\n")).toBeDefined();
    expect(message).toMatch(new RegExp(`seed ${seed}\\b`));
    expect(replay).toMatch(new RegExp(`^replay: DSLAB_WORKBOOK=${copy.dir} npm run kv-sim -- run --seed ${seed} `));
    for (const [line, label, name] of [[timeline, "timeline", "timeline.html"], [diagram, "diagram", "messages.html"]] as const) {
      const file = path.join(out, `vote-${voteFaultRun!.criterion.number}`, `seed-${seed}`, name);
      expect(line).toBe(`${label}: ${file}`);
      expect(existsSync(file), file).toBe(true);
    }
    expect(r.stdout).toContain(`\nFault-run timelines and message diagrams are under ${out}\n`);
  }, 180_000);

  test.skipIf(!existsSync(VOTE_TWICE) || voteFaultRun === undefined)("run in week-12/ (as npm run check is), the replay line works when pasted there", async () => {
    const copy = await solutionsWith("replay-here", "src/vote-rules.ts", VOTE_TWICE);
    removals.push(copy.remove);
    const week12 = path.join(REPO, "week-12");
    const r = await grader(["check", "--workbook", copy.dir, "--lesson", "vote"], { cwd: week12, timeoutMs: 150_000 });
    const block = criterionBlocks(r.stdout).find((b) => b.line.startsWith(`  ✗ #${voteFaultRun!.criterion.number} `));
    const seed = block?.details.find((d) => d.startsWith("seed "))?.slice("seed ".length);
    const replay = block?.details.find((d) => d.startsWith("replay: "))?.slice("replay: ".length);
    expect(replay, r.stdout).toMatch(/^cd \.\. && DSLAB_WORKBOOK=/);
    const pasted = await new Promise<Run>((resolve) => {
      execFile("sh", ["-c", replay!], { cwd: week12, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr });
      });
    });
    expect(pasted.stderr).not.toContain("Missing script");
    expect(pasted.stdout, pasted.stderr).toContain(`seed ${seed}`);
    expect(pasted.stdout).toMatch(/verdict: INVALID/);
  }, 300_000);

  test.skipIf(unit === undefined)("--watch re-runs the criteria whose check reads a file that changed, and Ctrl-C exits 0", async () => {
    const copy = await copyWorkbook("watch");
    removals.push(copy.remove);
    const file = unit!.files.find((f) => f.startsWith("src/"))!;
    const [lesson] = splitCriterion(unit!.criterion);
    const child = spawn(process.execPath, [BIN, "check", "--watch", "--workbook", copy.dir, "--lesson", lesson], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const waitFor = async (re: RegExp) => {
      const deadline = Date.now() + 90_000;
      while (!re.test(stdout)) {
        if (Date.now() > deadline) throw new Error(`no ${re} in:\n${stdout}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    try {
      await waitFor(/Watching src\/ /);
      const firstRun = stdout;
      const now = new Date();
      await utimes(path.join(copy.dir, file), now, now);
      await waitFor(new RegExp(`Changed ${file.replaceAll(".", "\\.")}: re-running \\d+ criteri`));
      await waitFor(/Changed [\s\S]*\nSummary\n[\s\S]*\n(next: |every lesson)/);
      expect(stdout.slice(firstRun.length)).toContain(unit!.criterion.slice(0, unit!.criterion.lastIndexOf("#")));
      child.kill("SIGINT");
      expect(await exited).toBe(0);
    } finally {
      child.kill("SIGKILL");
    }
  }, 150_000);
});
