/**
 * `grader --help` starts from the command table alone: no command's module,
 * and none of the libraries the commands use (markdown-it, yaml, re2js,
 * ts-fsrs), is imported until that command is dispatched.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { modulesLoadedBy } from "@dslab/protocol/testing";
import { COMMANDS } from "../../src/cli/commands/index.js";
import { REPO } from "../helpers/cli.js";

const ENTRY = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));

function loaded(args: string[]): string[] {
  const r = modulesLoadedBy(ENTRY, args, { cwd: REPO });
  expect(r.code, r.stderr).toBe(0);
  return r.modules.filter((m) => !m.startsWith("node:")).map((m) => path.relative(REPO, m));
}

describe("grader start-up", () => {
  test("grader --help imports only the shell, the dispatcher, the argument parser (with the words for a file that cannot be read), the command table and the shared CLI module", () => {
    expect(loaded(["--help"]).sort()).toEqual([
      "grader/src/cli/args.ts",
      "grader/src/cli/commands/index.ts",
      "grader/src/cli/main.ts",
      "grader/src/cli/run.ts",
      "grader/src/fs/reasons.ts",
      "packages/protocol/src/cli/directory.ts",
      "packages/protocol/src/cli/index.ts",
      "packages/protocol/src/cli/out-dir.ts",
    ]);
  });

  test("a dispatched command imports its own module and none of the other commands' modules", () => {
    const modules = loaded(["lint", "--help"]);
    expect(modules).toContain("grader/src/cli/commands/lint.ts");
    for (const other of ["lesson-show", "proof", "proofs", "review", "schedule"]) expect(modules).not.toContain(`grader/src/cli/commands/${other}.ts`);
    expect(modules.filter((m) => m.includes("node_modules/ts-fsrs/"))).toEqual([]);
  });

  test.each(COMMANDS.map((c) => [c.name, c]))("the command table's row %s loads the command of that name", async (_name, entry) => {
    const command = await entry.load();
    expect(command.name).toBe(entry.name);
    expect(command.help).toContain(`Usage: grader ${entry.name}`);
  });
});
