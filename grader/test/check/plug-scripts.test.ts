/**
 * The plug scenarios a day file's proof runs (`npx tsx week-12/plug/...`)
 * follow the command-line convention of every dslab command: --help, a
 * mistyped or invalid option is a usage error (exit 2) in one line, never a
 * stack or a run with a NaN seed.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { REPO, type Run } from "../helpers/cli.js";

const TSX = path.join(REPO, "node_modules", "tsx", "dist", "cli.mjs");

function script(name: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [TSX, path.join("week-12", "plug", `${name}.ts`), ...args], { cwd: REPO, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

describe("the plug scenarios' command lines", () => {
  test.each([
    ["lost-reply", ["--sed", "5"], "lost-reply: unknown option --sed (did you mean --seed?)"],
    ["lost-reply", ["--seed", "abc"], 'lost-reply: --seed: expected an integer >= 0, got "abc"'],
    ["lost-reply", ["--seed=-3"], 'lost-reply: --seed: expected an integer >= 0, got "-3"'],
    ["lost-reply", ["--seed", "-3"], 'lost-reply: --seed: expected an integer >= 0, got "-3"'],
    ["lost-reply", ["--seed", "-x"], "lost-reply: --seed: needs a value; one that starts with a dash is written --seed=-VALUE"],
    ["lost-reply", ["1234"], 'lost-reply: unexpected argument "1234"'],
    ["dedup-failover", ["--seed", "1"], "dedup-failover: unknown option --seed"],
  ] as const)("%s %j is a usage error: one line, exit 2", async (name, args, line) => {
    const r = await script(name, [...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`${line}\nRun \`${name} --help\` for usage.\n`);
    expect(r.stdout).toBe("");
  }, 70_000);

  test.each(["lost-reply", "dedup-failover"])("%s --help prints its usage and exits 0", async (name) => {
    const r = await script(name, ["--help"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: npx tsx week-12/plug/${name}\\.ts`));
    expect(r.stdout).toMatch(/\n  -h, --help +show this help\n/);
  }, 70_000);
});
