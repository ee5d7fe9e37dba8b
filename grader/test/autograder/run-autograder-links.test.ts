// run_autograder on a submission that holds symbolic links, or a folder whose
// name holds spaces. Gradescope runs the script as root, and a student's zip
// or repository may carry links: one to the autograder's own source (its
// reference solutions, its hidden suites) must never be graded or copied as
// the student's work. The script runs for
// real (bash, then the real `grader test`) in a fake root (AUTOGRADER_ROOT)
// whose source is this repository.
import { execFile } from "node:child_process";
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAutograderScript, workbookPieces } from "../../src/autograder/gradescope.js";
import { validateGradescopeResults } from "../../src/report/index.js";
import { REPO } from "../helpers/cli.js";

function run(cmd: string, o: { cwd: string; env: Record<string, string>; timeoutMs: number }): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, [], { cwd: o.cwd, env: { ...process.env, ...o.env }, timeout: o.timeoutMs, maxBuffer: 64 * 1024 * 1024, killSignal: "SIGKILL" }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

describe("run_autograder on submissions holding symbolic links or spaces in names", () => {
  // Under the temp directory and 0755, as the zip's own test does: the sandbox's user must reach it.
  const work = mkdtempSync(join(tmpdir(), "dslab-autograder-links-"));
  chmodSync(work, 0o755);
  const root = join(work, "autograder");
  const submission = join(root, "submission");
  const solutions = join(REPO, "grader/solutions/week-12");
  const env = { AUTOGRADER_ROOT: root, DSLAB_WORKBOOK: "" };

  beforeAll(() => {
    mkdirSync(root);
    symlinkSync(REPO, join(root, "source"));
    writeFileSync(join(root, "run_autograder"), runAutograderScript(workbookPieces(REPO)), { mode: 0o755 });
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const grade = async () => {
    const r = await run(join(root, "run_autograder"), { cwd: root, env, timeoutMs: 300_000 });
    expect(r.code, r.stderr).toBe(0);
    const results = JSON.parse(readFileSync(join(root, "results", "results.json"), "utf8")) as { score: number; output?: string };
    expect(validateGradescopeResults(results)).toEqual([]);
    return { ...r, results };
  };

  it("a week-12 that is a link to the reference solutions is left out, not graded: score 0, the link named", async () => {
    rmSync(submission, { recursive: true, force: true });
    mkdirSync(submission, { recursive: true });
    symlinkSync(solutions, join(submission, "week-12"));
    const { stdout, results } = await grade();
    expect(stdout).toContain("left out symbolic link week-12");
    expect(results.score).toBe(0);
    expect(results.output).toMatch(/No workbook found in the submission/);
  }, 320_000);

  it("a loose retry-client.ts that is a link to the reference solution is left out, not copied into the work", async () => {
    rmSync(submission, { recursive: true, force: true });
    mkdirSync(submission, { recursive: true });
    symlinkSync(join(solutions, "src/retry-client.ts"), join(submission, "retry-client.ts"));
    const { stdout, results } = await grade();
    expect(stdout).toContain("left out symbolic link retry-client.ts");
    expect(results.score).toBe(0);
    expect(results.output).toMatch(/No workbook found in the submission/);
  }, 320_000);

  it("a workbook in a folder whose name holds spaces (a zip of 'my work/src/...') is found and graded", async () => {
    rmSync(submission, { recursive: true, force: true });
    mkdirSync(join(submission, "my work", "src"), { recursive: true });
    cpSync(join(REPO, "week-12/src"), join(submission, "my work", "src"), { recursive: true });
    const { stdout, results } = await grade();
    expect(stdout).toContain(`grading ${join(submission, "my work")}\n`);
    expect(results.output ?? "").not.toMatch(/could not grade/);
    expect((results as unknown as { tests: unknown[] }).tests.length).toBeGreaterThan(0);
  }, 320_000);
});
