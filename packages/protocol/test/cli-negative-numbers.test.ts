/**
 * Through real commands (child processes of the shipped bins): a negative
 * number given to an option reaches the command's own check, which refuses
 * it by name with exit 2, never parseArgs' "argument is ambiguous".
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, test } from "vitest";

const bin = (path: string) => fileURLToPath(new URL(`../../../${path}`, import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), "dslab-negative-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { timeout: 30_000, killSignal: "SIGKILL" }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

describe("a negative number for an option is refused by the command's own check (exit 2)", () => {
  test.each([
    ["kv-cluster", [bin("packages/cluster/bin/kv-cluster.js"), "start", "--nodes", "-1", "--data-dir", join(dataDir, "c")], "--nodes"],
    ["kv-sim", [bin("packages/sim/bin/kv-sim.js"), "run", "--time-limit-s", "-1"], "--time-limit-s"],
    ["history-check", [bin("packages/checker/bin/history-check.js"), join(dataDir, "h.jsonl"), "--model", "register", "--time-limit-s", "-1"], "--time-limit-s"],
    ["kv", [bin("packages/client/bin/kv.js"), "--timeout-ms", "-5", "get", "k"], "--timeout-ms"],
  ])("%s", async (name, args, option) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^${name}: ${option}: expected .*-[1-5]`));
    expect(r.stderr).not.toMatch(/ambiguous/);
  });
});
