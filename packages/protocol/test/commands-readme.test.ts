/**
 * The root README's command section is held to the code: its exit-code table
 * is EXIT_CODE_TABLE, every command has a root script (so the README's
 * `npm run <command> --` lines work, and fail without reaching the registry
 * outside the repository), and no README tells a reader to type `npx <command>`.
 */
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { EXIT_CODE_TABLE } from "../src/cli/index.js";

const root = new URL("../../../", import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), "utf8");
const COMMANDS: Record<string, string> = {
  kv: "packages/client/bin/kv.js",
  "kv-node": "packages/cluster/bin/kv-node.js",
  "kv-cluster": "packages/cluster/bin/kv-cluster.js",
  "kv-sim": "packages/sim/bin/kv-sim.js",
  "history-check": "packages/checker/bin/history-check.js",
  grader: "grader/bin/grader.js",
};
const READMES = ["README.md", "packages/protocol/README.md", "packages/checker/README.md", "packages/client/README.md", "packages/cluster/README.md", "packages/sim/README.md", "grader/README.md", "lessons/README.md"];

describe("the root README's commands", () => {
  test("its exit-code table is the one every command prints", () => {
    const section = read("README.md").split("## Commands")[1]!.split("\n## ")[0]!;
    const rows = [...section.matchAll(/^\| (\d+) \| (.+) \|$/gm)].map((m) => ({ code: Number(m[1]), meaning: m[2] }));
    expect(rows).toEqual(EXIT_CODE_TABLE.map((r) => ({ code: r.code, meaning: r.meaning })));
  });

  test("every command has a root script that runs its bin", () => {
    const scripts = (JSON.parse(read("package.json")) as { scripts: Record<string, string> }).scripts;
    for (const [name, bin] of Object.entries(COMMANDS)) expect(scripts[name], name).toBe(`node ${bin}`);
  });

  test.each(READMES)("%s: each kv-sim command writes under /tmp, and each run names its --out, so no example leaves files in the repository or writes over another's", (file) => {
    const blocks = [...read(file).matchAll(/^```([\w-]*)\n([\s\S]*?)^```/gm)]
      .filter((m) => ["", "sh", "bash", "console"].includes(m[1]!))
      .map((m) => m[2]!.replace(/\\\n\s*/g, " "));
    const commands = blocks.flatMap((b) => b.split("\n")).filter((line) => /^(\$ )?npm run kv-sim -- (run|search|replay|explore)\b/.test(line));
    for (const command of commands) {
      const written = [...command.matchAll(/--(?:out|trace|html) (\S+)|kv-sim -- replay (\S+)/g)].map((m) => (m[1] ?? m[2])!);
      for (const path of written) expect(path, command).toMatch(/^\/tmp\//);
      if (/kv-sim -- run\b/.test(command)) expect(command).toMatch(/ --out \/tmp\//);
    }
  });

  test.each(READMES)("%s tells no one to type npx <command>, which outside the repository can fetch a stranger's package", (file) => {
    const text = read(file);
    expect(text).not.toMatch(new RegExp(`npx (${Object.keys(COMMANDS).join("|")})\\b`));
  });
});
