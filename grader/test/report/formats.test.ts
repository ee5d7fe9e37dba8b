// Each report format written from the sample result, read back, and held to its specification.
import { describe, expect, it } from "vitest";
import { FORMATS, parseXml, toExercism, toGradescope, toJUnitXml, toMarkdown, validateExercismResults, validateGradescopeResults, type XmlElement } from "../../src/report/index.js";
import { L1, L2, sample, sampleTests } from "./sample.js";

describe("gradescope results.json", () => {
  it("has the documented fields: a top-level score, and per test score, max_score, status, name, number, output, tags and visibility", () => {
    const g = toGradescope(sample());
    expect(validateGradescopeResults(JSON.parse(JSON.stringify(g)))).toEqual([]);
    expect(g).toMatchObject({ score: 3.5, execution_time: 12, visibility: "visible", stdout_visibility: "hidden" });
    expect(g).not.toHaveProperty("leaderboard");
    expect(g.tests.map((t) => [t.number, t.status, t.score, t.max_score, t.visibility])).toEqual([
      ["1.1", "passed", 2, 2, "visible"],
      ["1.2", "failed", 0, 2, "hidden"],
      ["2.1", "failed", 0, 1.5, "after_published"],
      ["2.2", "passed", 1.5, 1.5, "after_due_date"],
    ]);
    expect(g.tests[2]!.tags).toEqual([L2, `${L2}#1`, "error", "limit:wall"]);
    expect(g.tests[2]!.output).toContain("Error (stopped at the wall limit): the submission was stopped at the wall limit");
    expect(g.tests[1]!.name).toBe(`${L1}#2 refuses a stale log`);
    expect(g.output).toContain("Vote rules");
  });

  it.each([
    ["a leaderboard", { score: 1, leaderboard: [] }, "leaderboard: not a field of results.json"],
    ["a test status outside passed/failed", { score: 1, tests: [{ status: "error" }] }, 'tests[0].status: expected one of passed, failed, got "error"'],
    ["no score anywhere", { tests: [{ max_score: 1 }] }, "tests[0].score: required when there is no top-level score"],
    ["an unknown visibility", { score: 1, visibility: "public" }, 'visibility: expected one of hidden, after_due_date, after_published, visible, got "public"'],
    ["a negative max_score", { score: 1, tests: [{ max_score: -1 }] }, "tests[0].max_score: expected >= 0, got -1"],
    ["tags that are not strings", { score: 1, tests: [{ tags: [1] }] }, "tests[0].tags: expected an array of strings"],
    ["a lone surrogate in an output", { score: 1, output: "a\ud800" }, "output: has a lone surrogate (not valid UTF-8 once written)"],
  ])("the validator reports %s", (_, json, problem) => {
    expect(validateGradescopeResults(json)).toContain(problem);
  });
});

describe("exercism results.json (version 2)", () => {
  it("is fail with one entry per test, a message for each failure and error, and outputs of at most 500 characters", () => {
    const tests = sampleTests();
    tests[1] = { ...tests[1]!, output: "x".repeat(2_000) };
    const e = toExercism(sample(tests));
    expect(validateExercismResults(e)).toEqual([]);
    expect(e.version).toBe(2);
    expect(e.status).toBe("fail");
    expect(e).not.toHaveProperty("message");
    expect(e.tests.map((t) => t.status)).toEqual(["pass", "fail", "error", "pass"]);
    expect(e.tests[1]!.message).toContain("granted a vote");
    expect(e.tests[1]!.output!.length).toBeLessThanOrEqual(500);
    expect(e.tests[1]!.output).toMatch(/^\[… \d+ earlier characters\]\n/);
    expect(e.tests[3]!.test_code).toBe("kv-sim --seed 7 --faults drop");
    expect(e.tests[0]!.test_code).toBe(`criterion ${L1}#1`);
  });

  it("is pass when every test passed", () => {
    const e = toExercism(sample(sampleTests().filter((t) => t.status === "passed")));
    expect(e.status).toBe("pass");
    expect(validateExercismResults(e)).toEqual([]);
  });

  it("is error with a message when no test could run", () => {
    const e = toExercism(sample([], { error: "week-12/src/vote-rules.ts(3,5): error TS2322: Type 'string' is not assignable to type 'boolean'." }));
    expect(e).toMatchObject({ version: 2, status: "error", tests: [] });
    expect(e.message).toContain("TS2322");
    expect(validateExercismResults(e)).toEqual([]);
  });

  it("is error when every test errored, with the first one's message", () => {
    const tests = sampleTests().map((t) => ({ ...t, status: "error" as const, score: 0, message: "the node program exited at start (code 1)" }));
    const e = toExercism(sample(tests));
    expect(e.status).toBe("error");
    expect(e.message).toBe("No test could run: the node program exited at start (code 1)");
  });

  it.each([
    ["a version other than 2", { version: 3, status: "pass", tests: [] }, "version: expected 2, got 3"],
    ["error without a message", { version: 2, status: "error" }, "message: required when status is error"],
    ["a failed test without a message", { version: 2, status: "fail", tests: [{ name: "t", status: "fail", test_code: "" }] }, "tests[0].message: required when status is fail"],
    ["an output over 500 characters", { version: 2, status: "pass", tests: [{ name: "t", status: "pass", test_code: "", output: "x".repeat(501) }] }, "tests[0].output: 501 characters, more than 500"],
    ["pass with a failing test", { version: 2, status: "pass", tests: [{ name: "t", status: "fail", message: "m", test_code: "" }] }, "status: pass, but a test did not pass"],
  ])("the validator reports %s", (_, json, problem) => {
    expect(validateExercismResults(json)).toContain(problem);
  });
});

function find(e: XmlElement, name: string): XmlElement[] {
  return [...(e.name === name ? [e] : []), ...e.children.flatMap((c) => find(c, name))];
}

describe("JUnit XML", () => {
  it("parses back strictly: one suite per lesson, counts, a criterion property per case, failure and error elements", () => {
    const root = parseXml(toJUnitXml(sample()));
    expect(root.name).toBe("testsuites");
    expect(root.attributes).toMatchObject({ tests: "4", failures: "1", errors: "1", skipped: "0", time: "12.345", timestamp: "2026-12-06T05:00:00.000Z" });
    const suites = find(root, "testsuite");
    expect(suites.map((s) => [s.attributes.name, s.attributes.tests, s.attributes.failures, s.attributes.errors])).toEqual([
      [L1, "2", "1", "0"],
      [L2, "2", "0", "1"],
    ]);
    const cases = find(root, "testcase");
    expect(cases).toHaveLength(4);
    const criterion = (c: XmlElement) => find(c, "property").find((p) => p.attributes.name === "criterion")?.attributes.value;
    expect(cases.map(criterion)).toEqual([`${L1}#1`, `${L1}#2`, `${L2}#1`, `${L2}#2`]);
    const failure = find(cases[1]!, "failure")[0]!;
    expect(failure.attributes.message).toBe("granted a vote to a candidate whose log is behind (term 3, index 7 < 9)");
    expect(failure.text).toBe(failure.attributes.message);
    const error = find(cases[2]!, "error")[0]!;
    expect(error.attributes.type).toBe("limit:wall");
    expect(find(cases[1]!, "system-out")[0]!.text).toBe("seed 42: node n2 voted for n1\n");
    expect(cases[0]!.attributes).toMatchObject({ classname: L1, time: "0.120" });
  });

  it("reports a submission where no test could run as one errored case", () => {
    const root = parseXml(toJUnitXml(sample([], { error: "cannot build: <missing> & broken" })));
    expect(root.attributes).toMatchObject({ tests: "0", errors: "0" });
    const error = find(root, "error")[0]!;
    expect(error.attributes.message).toBe("cannot build: <missing> & broken");
  });
});

describe("Markdown report", () => {
  it("has the total, a table per lesson with ✓, ✗ and ⚠, and the output of what did not pass", () => {
    const md = toMarkdown(sample());
    expect(md).toContain("# Results: student-007");
    expect(md).toContain("**Total: 3.5 / 7**");
    expect(md).toContain(`## Vote rules (\`${L1}\`): 2 / 4, 20 of 40 XP`);
    expect(md).toContain(`| 1 | grants one vote per term | ✓ | 2 / 2 |  |`);
    expect(md).toContain(`| 2 | refuses a stale log | ✗ | 0 / 2 | granted a vote to a candidate whose log is behind (term 3, index 7 &lt; 9) |`);
    expect(md).toContain("| ⚠ (wall limit) | 0 / 1.5 |");
    expect(md).toContain("```text\nseed 42: node n2 voted for n1\n```");
  });

  it("groups a lesson's tests by criterion, names the criterion id once, and lists the 0-point type check under no criterion", () => {
    const t = (criterion: number, name: string, visibility: "visible" | "hidden") => ({ name, criterion: `${L1}#${criterion}`, weight: 1, maxScore: 1, score: 1, status: "passed" as const, visibility });
    const typeCheck = { name: "type check: week-12/src/vote-rules.ts (tsc --noEmit; no points, shown to fix)", criterion: `${L1}#1`, weight: 0, maxScore: 0, score: 0, status: "failed" as const, message: "1 type error", visibility: "visible" as const };
    const md = toMarkdown(sample([typeCheck, t(1, "v1", "visible"), t(2, "v2", "visible"), t(1, "h1", "hidden"), t(2, "h2", "hidden"), t(1, "h1b", "hidden")]));
    const rows = md.split("\n").filter((l) => /^\| (\d|–) \|/.test(l));
    expect(rows.map((l) => l.split(" | ").slice(0, 2).join(" | "))).toEqual(["| 1 | v1", "| 1 | h1", "| 1 | h1b", "| 2 | v2", "| 2 | h2", "| – | type check: week-12/src/vote-rules.ts (tsc --noEmit; no points, shown to fix)"]);
    expect(md.split(`${L1}#`).length - 1).toBe(1);
    expect(md).toContain(`Criterion #n is row n of the lesson's pass-criteria table (\`${L1}#n\`).`);
  });
});

describe("the format table", () => {
  it("writes every format from the same result", () => {
    const r = sample();
    expect(FORMATS.map((f) => f.name)).toEqual(["gradescope", "exercism", "junit", "json", "md"]);
    for (const f of FORMATS) expect(f.write(r).length, f.name).toBeGreaterThan(100);
    expect(JSON.parse(FORMATS.find((f) => f.name === "json")!.write(r))).toEqual(r);
  });
});
