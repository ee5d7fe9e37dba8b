/**
 * A class graded with --jobs 2, where one student's code hunts for the other
 * student's runner in /proc and kills it: each job runs as a user of its
 * own, so the kill is refused and the other student's grade is their own.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { SubmissionResult } from "../../src/report/index.js";
import { grader } from "../helpers/cli.js";
import { makeSubmission } from "../grader-test/submissions.js";

const work = mkdtempSync(join(tmpdir(), "dslab-hostile-class-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const HANDLER = "src/idempotency-handler.ts";
// The class's own --test-timeout, in every runner's command line: the hunter spares runners of other classes graded at the same time.
const TIMEOUT_S = 47;
const sleep = (ms: number) => `Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ${ms});`;

/** At import, for 20 s: every runner of this class but its own, killed; throws saying how many it killed and how many kills were refused. */
const HUNTER = `import { readdirSync, readFileSync } from "node:fs";
const end = Date.now() + 20_000;
const killed = new Set<number>();
const refused = new Set<number>();
while (Date.now() < end) {
  for (const name of readdirSync("/proc")) {
    const pid = Number(name);
    if (!pid || pid === process.pid || killed.has(pid)) continue;
    let cmd = "";
    try { cmd = readFileSync("/proc/" + name + "/cmdline", "utf8"); } catch { continue; }
    if (!cmd.includes("runner.ts") || !cmd.includes("--per-test-ms=${TIMEOUT_S * 1000}") || cmd.includes(process.cwd())) continue;
    try { process.kill(pid, "SIGKILL"); killed.add(pid); } catch { refused.add(pid); }
  }
  ${sleep(100)}
}
throw new Error("HUNTED killed " + killed.size + ", refused " + refused.size);`;

describe("grader test --class with one student's code attacking another's", () => {
  it("a student's code cannot kill the runner of the student graded beside it: each job runs as its own user", { timeout: 300_000 }, async () => {
    const klass = join(work, "class");
    makeSubmission(join(klass, "hunter"), { reference: true, files: { [HANDLER]: `export * from "./reference/idempotency-handler.js";\n${HUNTER}\n` } });
    // The prey takes 5 s to load, so that its runner is there to be found.
    makeSubmission(join(klass, "prey"), { reference: true, files: { [HANDLER]: `export * from "./reference/idempotency-handler.js";\n${sleep(5_000)}\n` } });
    const out = join(work, "grades");
    const r = await grader(["test", "--class", klass, "--jobs", "2", "--lesson", "keys", "--skip-typecheck", "--test-timeout", String(TIMEOUT_S), "--out", out], { timeoutMs: 280_000 });
    expect(r.code, r.stderr).toBe(0);
    const report = (student: string) => JSON.parse(readFileSync(join(out, "reports", student, "result.json"), "utf8")) as SubmissionResult;
    const hunted = report("hunter").tests.map((t) => t.message).find((m) => m.includes("HUNTED"));
    // The hunter found the prey's runner, and could not kill it.
    expect(hunted).toMatch(/HUNTED killed 0, refused [1-9]/);
    const prey = report("prey");
    expect(prey.tests.filter((t) => t.status !== "passed").map((t) => `${t.name}: ${t.message}`)).toEqual([]);
    expect(prey.total.score).toBe(prey.total.maxScore);
    expect(r.stdout.split("\n").find((l) => l.startsWith("prey"))).toMatch(/^prey\s+12\/12\s+12\/12\s+0$/);
  });
});
