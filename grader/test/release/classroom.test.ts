// The GitHub Classroom workflow `grader release` writes: every lesson the
// workbook serves is one command-grader step worth its XP, each command runs
// (the npm script exists, `--lesson <short>` names exactly one lesson), and
// the reporter reads every step's result from the variable the action reads
// (`<RUNNER IN CAPITALS>_RESULTS`, for each id in `runners`).
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadChecks } from "../../src/check/load.js";
import { planWorkbook, selectLessons } from "../../src/check/plan.js";
import { loadCourse } from "../../src/lesson/load.js";
import { collectRelease } from "../../src/release/build.js";
import { classroomWorkflow, stepId } from "../../src/release/classroom.js";
import { releaseLessons } from "../../src/release/lessons.js";
import { REPO } from "../helpers/cli.js";

interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}

describe("the GitHub Classroom workflow of a release", async () => {
  const lessons = await releaseLessons(REPO);
  const files = collectRelease({ root: REPO, profile: "student", lessons });
  const text = files.find((f) => f.path === ".github/workflows/classroom.yml")!.data.toString("utf8");
  const workflow = parse(text) as { on: unknown; permissions: Record<string, string>; jobs: Record<string, { steps: Step[] }> };
  const steps = Object.values(workflow.jobs)[0]!.steps;
  const graders = steps.filter((s) => s.uses === "classroom-resources/autograding-command-grader@v1");
  const reporter = steps.find((s) => s.uses === "classroom-resources/autograding-grading-reporter@v1");
  const [course, checks] = await Promise.all([loadCourse(join(REPO, "lessons")), loadChecks(REPO)]);
  const plan = planWorkbook(course.lessons, checks.CHECKS, Object.values(checks.LESSON));

  it("has one grader step per lesson the workbook serves, worth the lesson's XP, in check order", () => {
    expect(plan.lessons.length).toBeGreaterThanOrEqual(5);
    expect(graders.map((s) => s.with!["test-name"])).toEqual(plan.lessons.map((p) => p.lesson.title));
    expect(graders.map((s) => s.with!["max-score"])).toEqual(plan.lessons.map((p) => p.lesson.xp));
    for (const s of graders) {
      expect(s.with!["setup-command"]).toBe("npm ci");
      expect(s.with!.timeout).toBeGreaterThan(0);
      expect(s.id).toMatch(/^[a-z][a-z0-9_]*$/);
    }
    expect(steps[0]!.uses).toBe("actions/checkout@v4");
    expect(steps.some((s) => s.uses === "actions/setup-node@v4" && s.with!["node-version"] === 20)).toBe(true);
    expect(workflow.permissions).toMatchObject({ checks: "write", contents: "read" });
  });

  it("runs commands that exist: npm run check, with a --lesson name that picks exactly one lesson", () => {
    const pkg = JSON.parse(files.find((f) => f.path === "package.json")!.data.toString("utf8")) as { scripts: Record<string, string> };
    for (const s of graders) {
      const m = /^npm run (\S+) -- --lesson (\S+)$/.exec(String(s.with!.command));
      expect(m, String(s.with!.command)).not.toBeNull();
      expect(pkg.scripts[m![1]!]).toBe("node grader/bin/grader.js check");
      const picked = selectLessons([m![2]!], plan.lessons);
      expect(picked.map((p) => p.lesson.title)).toEqual([s.with!["test-name"]]);
    }
  });

  it("hands the reporter every grader step's result, as the action reads it", () => {
    expect(reporter).toBeDefined();
    expect(steps.indexOf(reporter!)).toBe(steps.length - 1);
    const runners = String(reporter!.with!.runners).split(",");
    expect(runners).toEqual(graders.map((s) => s.id));
    for (const id of runners) expect(reporter!.env![`${id.trim().toUpperCase()}_RESULTS`]).toBe(`\${{ steps.${id}.outputs.result }}`);
    expect(Object.keys(reporter!.env!)).toHaveLength(runners.length);
  });

  it("refuses two lessons whose short names make the same step id", () => {
    expect(stepId("Vote-Rules")).toBe("check_vote_rules");
    const a = { id: "a", title: "A", short: "vote-rules", maxScore: 1 };
    expect(() => classroomWorkflow([a, { ...a, id: "b", short: "vote_rules" }])).toThrow(/check_vote_rules/);
  });
});
