/**
 * The README's `kv` block is what `kv --help` prints, from "Usage:" through
 * the options: every command, every option and every default, word for word.
 */
import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { HELP } from "../../src/cli/args.js";

test("the README's kv CLI block is kv --help's usage, commands and options", () => {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const block = /## The `kv` CLI\n\n```\n([^`]*)```/.exec(readme)?.[1];
  const help = HELP.slice(HELP.indexOf("Usage:"), HELP.indexOf("\nIdentity:")).trimEnd() + "\n";
  expect(block).toBe(help);
});
