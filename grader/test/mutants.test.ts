/**
 * The mutant catalogue: every plausible wrong solution in mutants/ is caught.
 * Each runs in the reference solutions with its one file replaced, through
 * the machinery of `npm run check` (the same plan and runCheck), over every
 * criterion of the lesson its catcher belongs to; the named criterion must
 * fail with a message matching the mutant's. week-12/README.md lists
 * exactly these mutants.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { openWorkbook, runCheck } from "../../week-12/checks/index.js";
import { runCriterion } from "../src/check/run.js";
import { coursePlan } from "./check/helpers.js";
import { catalogueSection, loadCatalogue, readmeSection, WORKBOOK_README } from "./mutant-table.js";

const catalogue = await loadCatalogue();
const plan = await coursePlan();
const outDir = mkdtempSync(path.join(tmpdir(), "dslab-mutants-"));

describe("mutant catalogue", () => {
  test("holds at least 14 mutants", () => {
    expect(catalogue.length).toBeGreaterThanOrEqual(14);
  });

  test.each(catalogue.map((e) => [e.name, e.mutant.mistake, e] as const))("%s (%s) is caught", async (name, _mistake, { file, mutant }) => {
    const lessonId = mutant.caughtBy.criterion.slice(0, mutant.caughtBy.criterion.lastIndexOf("#"));
    const lesson = plan.lessons.find((l) => l.lesson.id === lessonId);
    expect(lesson, `the lessons have no lesson ${lessonId}`).toBeDefined();
    const workbook = openWorkbook({ source: "solution", overrides: { [mutant.replaces]: file }, label: name });
    const results = [];
    for (const planned of lesson!.criteria) {
      results.push(await runCriterion(lesson!, planned, { run: runCheck, workbook, seeds: undefined, outDir: path.join(outDir, name) }));
    }
    const caught = results.find((r) => r.criterion === mutant.caughtBy.criterion);
    expect(caught, `no criterion ${mutant.caughtBy.criterion} in ${lessonId}`).toBeDefined();
    expect(caught!.status, `${mutant.caughtBy.criterion} passed with ${name}`).not.toBe("pass");
    expect(caught!.status, caught!.stack ?? caught!.message).not.toBe("error");
    expect(caught!.message).toMatch(mutant.caughtBy.message);
  }, 120_000);

  test("week-12/README.md lists exactly the mutants on disk, with their mistakes and catchers (npx tsx grader/test/mutant-table.ts --write)", () => {
    expect(readmeSection(readFileSync(WORKBOOK_README, "utf8"))).toBe(catalogueSection(catalogue));
  });
});
