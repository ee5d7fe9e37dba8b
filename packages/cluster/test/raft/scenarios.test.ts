/**
 * Runs every scenario file in testdata/ and compares its trace with the
 * file. To accept a behaviour change, run with REWRITE=1 and review the diff
 * of the .txt files like any other code change.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runScenario } from "./datadriven.js";

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), "testdata");
const files = readdirSync(dir).filter((f) => f.endsWith(".txt")).sort();

describe("Raft scenario files (testdata/*.txt)", () => {
  it.each(files)("%s plays out as its trace says", (file) => {
    const full = path.join(dir, file);
    const text = readFileSync(full, "utf8");
    const actual = runScenario(text, file);
    if (process.env.REWRITE === "1") {
      if (actual !== text) writeFileSync(full, actual);
      return;
    }
    expect(actual).toBe(text);
  });
});
