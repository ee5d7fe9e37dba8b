/**
 * The type check `grader check` runs beside the checks: real tsc over a
 * workbook copy's src/ and node/, what it reports, and how it fails.
 */
import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { appendFile, cp, mkdir, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { TYPE_ERRORS_SHOWN, typeErrorLines } from "../../src/check/report.js";
import { parseTscOutput, typecheckWorkbook } from "../../src/check/types.js";
import { REPO } from "../helpers/cli.js";
import { copyWorkbook } from "./helpers.js";

const SOLUTIONS = path.join(REPO, "grader", "solutions", "week-12", "src");
const cacheDir = mkdtempSync(path.join(tmpdir(), "dslab-types-test-"));
const removals: Array<() => Promise<void>> = [() => rm(cacheDir, { recursive: true, force: true })];
afterAll(async () => {
  for (const remove of removals) await remove();
});

/** A copy of the reference solutions' src/ (no node/), inside the repository so its imports resolve. */
async function solutionsCopy(name: string): Promise<string> {
  const copy = await copyWorkbook(name);
  removals.push(copy.remove);
  await rm(path.join(copy.dir, "node"), { recursive: true });
  await rm(path.join(copy.dir, "src"), { recursive: true });
  await cp(SOLUTIONS, path.join(copy.dir, "src"), { recursive: true });
  return copy.dir;
}

describe.skipIf(!existsSync(SOLUTIONS))("the workbook type check", () => {
  test("the reference solutions have no type error, and tsc keeps its build info for the next run", async () => {
    const dir = await solutionsCopy("types-clean");
    const r = await typecheckWorkbook(dir, { root: REPO, cacheDir });
    expect(r.failure).toBeUndefined();
    expect(r.errors).toEqual([]);
    expect(readdirSync(cacheDir).some((f) => f.endsWith(".tsbuildinfo"))).toBe(true);
  }, 120_000);

  test("a type error is reported at its file, line and column with tsc's code and message", async () => {
    const dir = await solutionsCopy("types-error");
    await appendFile(path.join(dir, "src", "vote-rules.ts"), '\nexport const wrong: number = "not a number";\n');
    const r = await typecheckWorkbook(dir, { root: REPO, cacheDir });
    expect(r.failure).toBeUndefined();
    expect(r.errors).toHaveLength(1);
    const e = r.errors[0]!;
    expect(e.file).toBe(path.join(dir, "src", "vote-rules.ts"));
    expect(e.code).toBe("TS2322");
    expect(e.message).toBe(`Type 'string' is not assignable to type 'number'.`);
    expect(e.column).toBe(14);
    expect(e.line).toBeGreaterThan(1);
  }, 120_000);

  test("a file with thousands of type errors is reported whole, and the text lists the first ones and counts the rest", async () => {
    const dir = await solutionsCopy("types-flood");
    const n = 3000;
    await mkdir(path.join(dir, "src"), { recursive: true });
    await writeFile(path.join(dir, "src", "flood.ts"), Array.from({ length: n }, (_, i) => `export const v${i}: number = "${i}";`).join("\n") + "\n");
    const r = await typecheckWorkbook(dir, { root: REPO, cacheDir });
    expect(r.errors).toHaveLength(n);
    const text = typeErrorLines({ errors: r.errors, elsewhere: 0, elapsedMs: r.elapsedMs }, REPO);
    const listed = text.split("\n").filter((l) => /^  \S.*:\d+:\d+ TS\d+: /.test(l));
    expect(listed).toHaveLength(TYPE_ERRORS_SHOWN);
    expect(listed[0]).toBe(`  ${path.relative(REPO, path.join(dir, "src", "flood.ts"))}:1:14 TS2322: Type 'string' is not assignable to type 'number'.`);
    expect(text).toContain(`\n  and ${n - TYPE_ERRORS_SHOWN} more\n`);
  }, 120_000);

  test("the cache keeps the tsconfig and build info of the 32 most recently checked workbooks, the one being checked among them", async () => {
    const dir = await solutionsCopy("types-prune");
    const cache = path.join(cacheDir, "prune");
    await mkdir(cache, { recursive: true });
    const old = Date.now() / 1000 - 3600;
    for (let i = 0; i < 40; i++) {
      const name = i.toString(16).padStart(16, "0");
      for (const ext of [".json", ".tsbuildinfo"]) {
        await writeFile(path.join(cache, name + ext), "{}");
        await utimes(path.join(cache, name + ext), old + i, old + i);
      }
    }
    await writeFile(path.join(cache, "notes.txt"), "not the cache's");
    const r = await typecheckWorkbook(dir, { root: REPO, cacheDir: cache });
    expect(r.errors).toEqual([]);
    const left = readdirSync(cache);
    const projects = left.filter((f) => f.endsWith(".json"));
    expect(projects).toHaveLength(32);
    expect(left.filter((f) => f.endsWith(".tsbuildinfo"))).toHaveLength(32);
    // The newest 31 fakes stay, with the workbook just checked.
    expect(projects).toContain((39).toString(16).padStart(16, "0") + ".json");
    expect(projects).not.toContain((8).toString(16).padStart(16, "0") + ".json");
    expect(left).toContain("notes.txt");
  }, 120_000);

  test("a tsc that does not finish in time is stopped, and the result says so instead of reporting no error", async () => {
    const dir = await solutionsCopy("types-slow");
    const r = await typecheckWorkbook(dir, { root: REPO, cacheDir: path.join(cacheDir, "slow"), timeoutMs: 30 });
    expect(r.errors).toEqual([]);
    expect(r.failure).toMatch(/^tsc did not finish within 30 ms and was stopped$/);
  }, 60_000);

  test("a command that ends stops its tsc: the result says so, at once, instead of waiting for tsc", async () => {
    const dir = await solutionsCopy("types-abort");
    const stop = new AbortController();
    const pending = typecheckWorkbook(dir, { root: REPO, cacheDir: path.join(cacheDir, "abort"), signal: stop.signal });
    setTimeout(() => stop.abort(), 50);
    const r = await pending;
    expect(r.errors).toEqual([]);
    expect(r.failure).toBe("stopped: the command ended first");
    expect(r.elapsedMs).toBeLessThan(5_000);
    const late = await typecheckWorkbook(dir, { root: REPO, cacheDir, signal: stop.signal });
    expect(late.failure).toBe("stopped before it started");
  }, 60_000);

  test("a repository without the course's compiler options gives a failure that names the file, not an exception", async () => {
    const dir = await solutionsCopy("types-noroot");
    const root = mkdtempSync(path.join(tmpdir(), "dslab-types-root-"));
    removals.push(() => rm(root, { recursive: true, force: true }));
    const r = await typecheckWorkbook(dir, { root, cacheDir });
    expect(r.errors).toEqual([]);
    expect(r.failure).toContain(path.join(root, "tsconfig.base.json"));
  }, 60_000);
});

describe("tsc's output", () => {
  const dir = "/w/week-12";
  test("error lines in src/ and node/ are the workbook's; indented continuation lines are skipped; other files' errors and global errors are set apart", () => {
    const out = [
      "src/a.ts(3,7): error TS2322: Type 'string' is not assignable to type 'number'.",
      "node/main.ts(10,1): error TS2304: Cannot find name 'x'.",
      "src/b.ts(1,1): error TS2345: Argument of type 'A' is not assignable to parameter of type 'B'.\r",
      "  Property 'p' is missing in type 'A' but required in type 'B'.",
      "../checks/workbook.ts(2,2): error TS2307: Cannot find module 'y'.",
      "error TS5023: Unknown compiler option 'nope'.",
      "srcfile.ts(1,1): error TS1005: ';' expected.",
      "",
    ].join("\n");
    const { errors, others } = parseTscOutput(out, dir);
    expect(errors.map((e) => [path.relative(dir, e.file), e.line, e.column, e.code])).toEqual([
      ["src/a.ts", 3, 7, "TS2322"],
      ["node/main.ts", 10, 1, "TS2304"],
      ["src/b.ts", 1, 1, "TS2345"],
    ]);
    expect(errors[2]!.message).toBe("Argument of type 'A' is not assignable to parameter of type 'B'.");
    expect(others).toEqual([
      "../checks/workbook.ts(2,2): error TS2307: Cannot find module 'y'.",
      "error TS5023: Unknown compiler option 'nope'.",
      "srcfile.ts(1,1): error TS1005: ';' expected.",
    ]);
  });
});
