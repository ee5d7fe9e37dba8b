// The Gradescope autograder zip, run as Gradescope runs it but in a fake
// root (AUTOGRADER_ROOT): unpacked into <root>/source, setup.sh without the
// system installs (DSLAB_AUTOGRADER_SKIP_SYSTEM=1: no apt-get, this
// machine's Node; npm ci from the zip's lock, offline from npm's cache),
// run_autograder copied to <root>/run_autograder and run from <root> on a
// submission laid out as a student's repository. The results.json it leaves
// must be one Gradescope takes.
import { execFile } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readZip, type ZipEntry } from "../../src/autograder/zip.js";
import { validateGradescopeResults } from "../../src/report/index.js";
import { listFiles } from "../../src/release/leaks.js";
import { grader, REPO } from "../helpers/cli.js";

function run(cmd: string, args: string[], o: { cwd: string; env?: Record<string, string>; timeoutMs: number }): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env, npm_config_update_notifier: "false", ...o.env };
    execFile(cmd, args, { cwd: o.cwd, env, timeout: o.timeoutMs, maxBuffer: 64 * 1024 * 1024, killSignal: "SIGKILL" }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

/** The fields Gradescope's specification documents for results.json and for each test. */
const DOCUMENTED_TOP = ["score", "execution_time", "output", "output_format", "test_output_format", "test_name_format", "visibility", "stdout_visibility", "extra_data", "tests"];
const DOCUMENTED_TEST = ["score", "max_score", "status", "name", "name_format", "number", "output", "output_format", "tags", "visibility", "extra_data"];

describe("the Gradescope autograder zip", () => {
  // Under the temp directory on purpose: grader test gives each sandboxed run
  // a private /tmp and binds the grader's checkout (here the unpacked source)
  // back at its own path, so a root under /tmp works as /autograder does. It
  // must be readable by the sandbox's user, hence 0755.
  const work = mkdtempSync(join(tmpdir(), "dslab-autograder-test-"));
  chmodSync(work, 0o755);
  const root = join(work, "autograder");
  const zipFile = join(work, "autograder.zip");
  let entries: ZipEntry[] = [];
  const env = { AUTOGRADER_ROOT: root, DSLAB_AUTOGRADER_SKIP_SYSTEM: "1", npm_config_offline: "true", DSLAB_WORKBOOK: "" };

  beforeAll(async () => {
    const built = await grader(["autograder", "gradescope", "--out", zipFile], { timeoutMs: 120_000 });
    expect(built.code, built.stderr).toBe(0);
    entries = readZip(readFileSync(zipFile));
    for (const e of entries) {
      const target = join(root, "source", e.path);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, e.data);
      chmodSync(target, e.mode);
    }
  }, 180_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("holds setup.sh and run_autograder (executable) at its root, the source with the hidden suites and solutions, and no node_modules", () => {
    const byPath = new Map(entries.map((e) => [e.path, e]));
    expect(byPath.get("setup.sh")?.mode).toBe(0o755);
    expect(byPath.get("run_autograder")?.mode).toBe(0o755);
    for (const p of ["package.json", "package-lock.json", "grader/bin/grader.js", "week-12/checks/index.ts", "lessons/w11/l04-idempotent-writes.md", "grader/solutions/week-12/src/retry-client.ts"]) expect(byPath.has(p), p).toBe(true);
    const hidden = listFiles(REPO, "grader/hidden").filter((p) => p.endsWith(".ts"));
    for (const p of hidden) expect(byPath.has(p), p).toBe(true);
    expect(entries.filter((e) => /(^|\/)(node_modules|dist)\//.test(e.path) || e.path.startsWith("grader/test/"))).toEqual([]);
    const setup = byPath.get("setup.sh")!.data.toString("utf8");
    expect(setup).toMatch(/^#!\/usr\/bin\/env bash\n/);
    expect(setup).toContain("npm ci");
    expect(byPath.get("run_autograder")!.data.toString("utf8")).toContain('test --submission "$WORK/week-12" --format gradescope --out "$RESULTS/results.json"');
  });

  it(
    "installs with setup.sh; with no workbook in the submission run_autograder leaves a results.json that scores 0 and says why, and loose files are graded in the starter workbook",
    async () => {
      const setup = await run("bash", [join(root, "source", "setup.sh")], { cwd: root, env, timeoutMs: 300_000 });
      expect(setup.code, setup.stderr).toBe(0);
      expect(existsSync(join(root, "source", "node_modules", "yaml"))).toBe(true);
      cpSync(join(root, "source", "run_autograder"), join(root, "run_autograder"));
      chmodSync(join(root, "run_autograder"), 0o755);

      mkdirSync(join(root, "submission"), { recursive: true });
      writeFileSync(join(root, "submission", "notes.txt"), "no code here\n");
      const r = await run(join(root, "run_autograder"), [], { cwd: root, env, timeoutMs: 60_000 });
      expect(r.code, r.stderr).toBe(0);
      const results = JSON.parse(readFileSync(join(root, "results", "results.json"), "utf8"));
      expect(validateGradescopeResults(results)).toEqual([]);
      expect(results.score).toBe(0);
      expect(results.output).toMatch(/No workbook found in the submission/);

      // Files uploaded one by one are put in place in the starter workbook, and graded.
      const solution = readFileSync(join(REPO, "grader/solutions/week-12/src/retry-client.ts"));
      writeFileSync(join(root, "submission", "retry-client.ts"), solution);
      const loose = await run(join(root, "run_autograder"), [], { cwd: root, env, timeoutMs: 300_000 });
      expect(loose.code, loose.stderr).toBe(0);
      expect(loose.stdout).toContain("grading the files retry-client.ts, with the starter workbook for the rest");
      expect(readFileSync(join(root, "work/week-12/src/retry-client.ts")).equals(solution)).toBe(true);
      expect(readFileSync(join(root, "work/week-12/src/vote-rules.ts"), "utf8")).toBe(readFileSync(join(REPO, "week-12/src/vote-rules.ts"), "utf8"));
      const partial = JSON.parse(readFileSync(join(root, "results", "results.json"), "utf8")) as { score: number; tests: { max_score: number }[] };
      expect(validateGradescopeResults(partial)).toEqual([]);
      // The retrying client earns its points; the stubs of the rest earn none.
      expect(partial.score).toBeGreaterThan(0);
      expect(partial.score).toBeLessThan(partial.tests.reduce((s, t) => s + t.max_score, 0));
      rmSync(join(root, "submission"), { recursive: true, force: true });
    },
    480_000,
  );

  it(
    "grades the reference solutions, laid out as a student's repository, with grader test: a results.json Gradescope takes, every scored test passed",
    async () => {
      expect(existsSync(join(root, "run_autograder")), "the previous test installs the autograder").toBe(true);
      const student = join(root, "submission", "dslab-week-12-student");
      cpSync(join(REPO, "week-12"), join(student, "week-12"), { recursive: true, filter: (src) => !src.includes("node_modules") });
      cpSync(join(REPO, "grader/solutions/week-12"), join(student, "week-12"), { recursive: true });
      mkdirSync(join(student, "week-12", "node_modules", "junk"), { recursive: true });

      const r = await run(join(root, "run_autograder"), [], { cwd: root, env, timeoutMs: 540_000 });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`grading ${join(student, "week-12")}`);
      const results = JSON.parse(readFileSync(join(root, "results", "results.json"), "utf8")) as Record<string, unknown> & { tests: Record<string, unknown>[] };
      expect(validateGradescopeResults(results)).toEqual([]);
      for (const k of Object.keys(results)) expect(DOCUMENTED_TOP).toContain(k);
      expect(typeof results.score).toBe("number");
      expect(results.tests.length).toBeGreaterThan(0);
      for (const t of results.tests) {
        for (const k of Object.keys(t)) expect(DOCUMENTED_TEST).toContain(k);
        expect(typeof t.name).toBe("string");
        expect(t.max_score).toBeGreaterThanOrEqual(0);
      }
      // Zero-point entries are the type check's notes; the solutions import
      // their types from the stubs' place in the instructor's repository,
      // which a student's layout does not have.
      const graded = results.tests.filter((t) => Number(t.max_score) > 0);
      expect(graded.length).toBeGreaterThan(0);
      for (const t of results.tests.filter((t) => Number(t.max_score) === 0)) expect(String(t.name)).toContain("type check");
      const failed = graded.filter((t) => t.status !== "passed").map((t) => `${String(t.name)}: ${String(t.output)}`);
      expect(failed).toEqual([]);
      const maxTotal = results.tests.reduce((s, t) => s + Number(t.max_score), 0);
      expect(results.score).toBeCloseTo(maxTotal, 6);
    },
    600_000,
  );
});
