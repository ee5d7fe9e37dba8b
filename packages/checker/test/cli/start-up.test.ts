/**
 * history-check imports what a run needs and no more: `--help` only its
 * argument parsing, a check the checkers, and the timeline renderer only
 * with --html.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { modulesLoadedBy } from "@dslab/protocol/testing";

const ENTRY = fileURLToPath(new URL("../../src/cli/history-check.ts", import.meta.url));
const PACKAGES = fileURLToPath(new URL("../../../", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "history-check-start-up-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const valid = join(dir, "valid.edn");
writeFileSync(valid, "{:type :invoke, :f :write, :value 1, :process 0}\n{:type :ok, :f :write, :value 1, :process 0}\n");

function loaded(args: string[]): string[] {
  const r = modulesLoadedBy(ENTRY, args);
  expect(r.code, r.stderr).toBe(0);
  return r.modules.filter((m) => !m.startsWith("node:")).map((m) => relative(PACKAGES, m));
}

describe("history-check start-up", () => {
  it("imports only its shell, its argument parsing and the shared CLI module for --help", () => {
    expect(loaded(["--help"]).sort()).toEqual([
      "checker/src/cli/history-check.ts",
      "checker/src/cli/run.ts",
      "protocol/src/cli/directory.ts",
      "protocol/src/cli/index.ts",
      "protocol/src/cli/out-dir.ts",
    ]);
  });

  it("imports the checkers for a check, and the timeline renderer only when --html asks for a timeline", () => {
    const check = loaded([valid, "--model", "register"]);
    expect(check).toContain("checker/src/lin/check.ts");
    expect(check).not.toContain("checker/src/render/timeline.ts");
    expect(loaded([valid, "--model", "register", "--html", join(dir, "out.html")])).toContain("checker/src/render/timeline.ts");
  });
});
