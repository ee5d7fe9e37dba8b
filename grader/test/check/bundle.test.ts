/**
 * `grader check` imports the workbook's TypeScript while it runs: from the
 * compiled bundle (which registers tsx first) and from the sources (where
 * the launcher already did) the report is the same, and the bundle holds
 * none of week-12 (the checks are imported from disk, by a computed path).
 */
import { execFile, execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { BIN, REPO } from "../helpers/cli.js";
import { coursePlan } from "./helpers.js";

const { compiledPaths, staleReason } = (await import(new URL("../../../scripts/bins/compiled.js", import.meta.url).href)) as {
  compiledPaths: (launcher: string) => { manifest: string };
  staleReason: (launcher: string) => string | undefined;
};

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: REPO, env: { ...process.env, ...env }, timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

describe("grader check from the bundle and from the sources", () => {
  test("the same report either way, and no week-12 module in the bundle", async () => {
    execFileSync(process.execPath, [path.join(REPO, "scripts/bins/build.js"), "grader"], { cwd: REPO, stdio: "ignore" });
    expect(staleReason(BIN)).toBeUndefined();
    const manifest = readFileSync(compiledPaths(BIN).manifest, "utf8");
    expect(manifest).not.toContain("week-12");
    expect(manifest).not.toContain("node_modules/tsx/");
    const lesson = (await coursePlan()).lessons[0]!.short;
    const [bundle, sources] = await Promise.all([run(["check", "--lesson", lesson], {}), run(["check", "--lesson", lesson], { DSLAB_RUN_SOURCES: "1" })]);
    expect(bundle.stderr).toBe(sources.stderr);
    expect(bundle.code).toBe(1);
    expect(sources.code).toBe(1);
    expect(bundle.stdout).toBe(sources.stdout);
    expect(bundle.stdout).toMatch(/^  ✗ #1 /m);
  }, 150_000);
});
