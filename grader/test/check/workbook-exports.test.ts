/**
 * The names the checks read from each piece (WORKBOOK_EXPORTS) are exactly
 * what its stub exports, and the reference solution exports them too: a
 * name missing from the list would fail a check on `undefined` instead of
 * telling the student which export went missing, and a name the stub does
 * not export would blame the student for the stub's own shape.
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, test } from "vitest";
import { WORKBOOK_EXPORTS } from "../../../week-12/checks/types.js";
import { REPO } from "../helpers/cli.js";

const pieces = Object.entries(WORKBOOK_EXPORTS) as Array<[string, readonly string[]]>;

async function valueExports(file: string): Promise<string[]> {
  return Object.keys((await import(pathToFileURL(file).href)) as object).sort();
}

describe("the exports the workbook checks read from each piece", () => {
  test("cover every TypeScript piece of src/", () => {
    expect(pieces.map(([file]) => file).sort()).toEqual(
      ["src/client-tracker.ts", "src/dedup-kv-store.ts", "src/idempotency-handler.ts", "src/retry-client.ts", "src/vote-rules.ts"],
    );
  });

  test.each(pieces)("%s: are the stub's value exports, and the reference solution has each", async (file, names) => {
    expect(await valueExports(path.join(REPO, "week-12", file))).toEqual([...names].sort());
    const solution = await valueExports(path.join(REPO, "grader", "solutions", "week-12", file));
    expect(names.filter((n) => !solution.includes(n))).toEqual([]);
  });
});
