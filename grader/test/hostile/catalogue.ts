/**
 * Hostile and broken submissions, each a week-12 copy with the reference
 * solutions and one file replaced (or removed, or added), and the report it
 * must produce. Each is graded on one lesson (the idempotency-keys quest:
 * its checks run in-process and take milliseconds) with small limits, so
 * the whole catalogue stays within a couple of minutes.
 */
import type { SandboxLimit } from "../../src/sandbox/index.js";
import type { GradeLimits } from "../../src/test-run/grade.js";
import type { SubmissionOptions } from "../grader-test/submissions.js";

export const KEYS_LESSON = "w12-leader-election-client-idempotency-d05-quest-idempotency-keys-2h";
export const DEDUP_LESSON = "w12-leader-election-client-idempotency-d04-quest-dedup-store-2h";
const HANDLER = "src/idempotency-handler.ts";

/** What one test (or every test matching) must show. */
export interface Expectation {
  /** Which tests: "all", or a criterion number of the lesson, optionally "visible"/"hidden" only. */
  tests: "all" | { n: number; visibility?: "visible" | "hidden" };
  status: "passed" | "failed" | "error";
  message?: RegExp;
  limit?: SandboxLimit;
}

export interface Hostile {
  name: string;
  /** What it does, in one line. */
  does: string;
  lesson: string;
  /** Given the repository root and a tag unique to the run, the submission. */
  make(repositoryRoot: string, tag: string): SubmissionOptions;
  limits: Partial<GradeLimits>;
  expect: Expectation[];
  /** A note the report must carry. */
  note?: RegExp;
  /** Files that must not exist after the run (absolute; `{tag}` replaced). */
  mustNotExist?: string[];
}

const SMALL: Partial<GradeLimits> = { testWallMs: 4_000, submissionWallMs: 60_000, submissionCpuMs: 90_000, memoryBytes: 768 * 2 ** 20, outputBytes: 256 * 2 ** 10, processes: 96 };

/** A module that is the reference handler plus `prelude` run at import. */
const handlerWith = (prelude: string, body = ""): SubmissionOptions => ({
  reference: true,
  files: { [HANDLER]: `export * from "./reference/idempotency-handler.js";\n${prelude}\n${body}` },
});

/** A module whose IdempotencyHandler is the reference's subclassed with `members`, and `prelude` before it. */
const handlerSubclass = (members: string, prelude = ""): SubmissionOptions => ({
  reference: true,
  files: {
    [HANDLER]: `import * as reference from "./reference/idempotency-handler.js";
export * from "./reference/idempotency-handler.js";
${prelude}export class IdempotencyHandler extends reference.IdempotencyHandler {
${members}}
`,
  },
});

export const HOSTILE: readonly Hostile[] = [
  {
    name: "infinite-loop",
    does: "expire() spins forever once the clock is a day past the first request (only the TTL tests get there)",
    lesson: KEYS_LESSON,
    make: () =>
      handlerSubclass(`  private first: number | undefined;
  override expire(nowMs: number): string[] {
    this.first ??= nowMs;
    if (nowMs - this.first >= 20 * 3600 * 1000) for (;;) {}
    return super.expire(nowMs);
  }
`),
    limits: SMALL,
    expect: [
      { tests: { n: 4 }, status: "error", limit: "wall", message: /stopped at the wall limit: it ran longer than 4 s/ },
      { tests: { n: 1 }, status: "passed" },
      { tests: { n: 2 }, status: "passed" },
      { tests: { n: 3 }, status: "passed" },
    ],
  },
  {
    name: "fork-loop",
    does: "a shell fork bomb started at import, which then waits",
    lesson: KEYS_LESSON,
    make: () => handlerWith(`import { execSync } from "node:child_process";\nexecSync("f() { f | f & }; f; sleep 20", { shell: "/bin/sh", stdio: "ignore" });`),
    limits: SMALL,
    expect: [{ tests: "all", status: "error", limit: "processes", message: /did not finish loading: stopped at the processes limit/ }],
  },
  {
    name: "memory-bomb",
    does: "allocates without end at import",
    lesson: KEYS_LESSON,
    make: () => handlerWith(`const hoard: number[][] = [];\nfor (;;) hoard.push(new Array(1 << 20).fill(7));`),
    limits: SMALL,
    expect: [{ tests: "all", status: "error", limit: "memory", message: /did not finish loading: stopped at the memory limit/ }],
  },
  {
    name: "output-flood",
    does: "writes megabytes to stdout at import",
    lesson: KEYS_LESSON,
    make: () => handlerWith(`import { writeSync } from "node:fs";\nconst line = "spam ".repeat(20_000) + "\\n";\n// A full pipe says EAGAIN: try again, as a program that really means to flood would.\nfor (;;) {\n  try {\n    writeSync(1, line);\n  } catch {}\n}`),
    limits: SMALL,
    expect: [{ tests: "all", status: "error", limit: "output", message: /did not finish loading: stopped at the output limit/ }],
  },
  {
    name: "crash-at-start",
    does: "throws when imported",
    lesson: KEYS_LESSON,
    make: () => handlerWith(`throw new Error("the configuration file is missing");`),
    limits: SMALL,
    expect: [{ tests: "all", status: "failed", message: /your code threw Error: the configuration file is missing[\s\S]*at week-12\/src\/idempotency-handler\.ts:\d+:\d+/ }],
    note: /week-12\/src\/idempotency-handler\.ts throws when it is imported/,
  },
  {
    name: "python-garbage",
    does: "node/main.py (edited, so the Python program runs) prints garbage on stdout",
    lesson: DEDUP_LESSON,
    make: () => ({ files: { "node/main.py": `import sys\nfor line in sys.stdin:\n    print("garbage, not JSON <<<" + line[:10])\n    sys.stdout.flush()\n` } }),
    // The lesson's hidden searches (criterion 3) take seconds of their own.
    limits: { ...SMALL, testWallMs: 40_000, submissionWallMs: 120_000 },
    expect: [
      { tests: { n: 1 }, status: "failed", message: /node program/ },
      { tests: { n: 2 }, status: "failed", message: /node program/ },
      { tests: { n: 5 }, status: "failed", message: /node program/ },
      { tests: { n: 3 }, status: "passed" },
      { tests: { n: 4 }, status: "passed" },
    ],
    note: /node\/main\.py was edited.*Python program/,
  },
  {
    name: "missing-file",
    does: "src/idempotency-handler.ts deleted",
    lesson: KEYS_LESSON,
    make: () => ({ remove: [HANDLER] }),
    limits: SMALL,
    expect: [{ tests: "all", status: "failed", message: /not implemented yet/ }],
    note: /missing from the submission, graded as the untouched stub: week-12\/src\/idempotency-handler\.ts/,
  },
  {
    name: "syntax-error",
    does: "a syntax error in src/idempotency-handler.ts",
    lesson: KEYS_LESSON,
    make: () => handlerWith(`export const broken = (1 + ;`),
    limits: SMALL,
    expect: [{ tests: "all", status: "failed", message: /^your file does not parse: week-12\/src\/idempotency-handler\.ts:\d+:\d+: Unexpected ";"$/ }],
  },
  {
    name: "type-error",
    does: "a type error (valid JavaScript) in src/idempotency-handler.ts",
    lesson: KEYS_LESSON,
    make: () => handlerWith(`export const answer: number = "forty-two" as unknown as string;`),
    limits: SMALL,
    expect: [
      { tests: { n: 1, visibility: "visible" }, status: "passed" },
      { tests: { n: 4 }, status: "passed" },
    ],
    // The type error is its own 0-point test, checked by the test file.
  },
  {
    name: "edits-tests",
    does: "the stub left as it is, with checks, tests and package.json edited to pass",
    lesson: KEYS_LESSON,
    make: () => ({
      stubs: true,
      files: {
        "checks/idempotency-keys.ts": `export const IDEMPOTENCY_KEY_CHECKS = [];\n`,
        "test/idempotency-keys.test.ts": `import { it } from "vitest";\nit("passes", () => {});\n`,
        "package.json": `{ "name": "@dslab/week-12", "type": "module", "scripts": { "test": "true" } }\n`,
      },
    }),
    limits: SMALL,
    expect: [{ tests: "all", status: "failed", message: /not implemented yet/ }],
    note: /ignored \(the reference checks, plug modules, tests and package files are used instead\): .*week-12\/checks\/idempotency-keys\.ts.*week-12\/package\.json.*week-12\/test\/idempotency-keys\.test\.ts/,
  },
  {
    name: "reads-hidden",
    does: "reads the hidden suites, the reference solutions, the grader's results file and tsx's cache at import, and fails loudly if it could",
    lesson: KEYS_LESSON,
    make: (root) =>
      handlerWith(`import { readdirSync, readFileSync } from "node:fs";
const leaked: string[] = [];
for (const p of [${JSON.stringify(`${root}/grader/hidden/index.ts`)}, ${JSON.stringify(`${root}/grader/hidden/idempotency-keys.ts`)}, ${JSON.stringify(`${root}/grader/solutions/week-12/src/idempotency-handler.ts`)}]) {
  try { leaked.push(p + ": " + readFileSync(p, "utf8").slice(0, 40)); } catch {}
}
for (const d of [${JSON.stringify(`${root}/grader/hidden`)}, ${JSON.stringify(`${root}/grader/solutions`)}, "instructor", ".", "/tmp/tsx-0"]) {
  try { leaked.push(d + ": " + readdirSync(d).join(",")); } catch {}
}
for (const f of ["results-0.jsonl", "results-1.jsonl"]) {
  try { leaked.push(f + ": " + readFileSync(f, "utf8").slice(0, 40)); } catch {}
}
if (leaked.length > 0) throw new Error("LEAKED " + leaked.join(" | "));`),
    limits: SMALL,
    expect: [{ tests: "all", status: "passed" }],
  },
  {
    name: "patches-stringify",
    does: "a handler that ignores the body, whose module replaces JSON.stringify and fs.writeSync and adds Object.prototype.toJSON at import to turn every result line into a pass",
    lesson: KEYS_LESSON,
    make: (root) => ({
      overrides: { "src/wrong-handler.ts": `${root}/grader/test/mutants/key-ignores-body.ts` },
      files: {
        [HANDLER]: `import fs from "node:fs";
import { syncBuiltinESMExports } from "node:module";
export * from "./wrong-handler.js";
const pass = (text: string) => text.replace(/"status":"(fail|error|todo)"/g, '"status":"pass"');
const stringify = JSON.stringify;
JSON.stringify = ((value: unknown, ...rest: []) => pass(stringify(value, ...rest))) as typeof JSON.stringify;
const writeSync = fs.writeSync;
fs.writeSync = ((fd: number, data: string, ...rest: []) => writeSync(fd, typeof data === "string" ? pass(data) : data, ...rest)) as typeof fs.writeSync;
syncBuiltinESMExports();
Object.defineProperty(Object.prototype, "toJSON", {
  configurable: true,
  value(this: Record<string, unknown>) {
    return this.type === "result" ? { ...this, status: "pass" } : this;
  },
});`,
      },
    }),
    limits: SMALL,
    expect: [{ tests: { n: 2, visibility: "visible" }, status: "failed", message: /instead of 422/ }],
  },
  {
    name: "forges-done",
    does: "writes passing results for the visible tests and a done line into the runner's results file at import, then exits",
    lesson: KEYS_LESSON,
    make: () =>
      handlerWith(`import fs from "node:fs";
const lines = [1, 2, 3, 4].map((n) => JSON.stringify({ type: "result", id: "visible:${KEYS_LESSON}#" + n, status: "pass", message: "", output: "", elapsedMs: 1 }));
lines.push(JSON.stringify({ type: "done" }));
for (let fd = 3; fd < 64; fd++) {
  try {
    if (fs.fstatSync(fd).isFile()) fs.writeSync(fd, lines.join("\\n") + "\\n");
  } catch {}
}
process.exit(0);`),
    limits: SMALL,
    expect: [{ tests: { n: 1, visibility: "hidden" }, status: "error", message: /did not finish loading: the runner ended in the middle of it \(exit code 0: the code crashed the process or called process\.exit\)/ }],
  },
  {
    name: "writes-outside",
    does: "writes files into the grader's checkout, the sandbox's parent and /tmp at import",
    lesson: KEYS_LESSON,
    make: (root, tag) =>
      handlerWith(`import { writeFileSync } from "node:fs";
for (const p of [${JSON.stringify(`${root}/grader/escaped-${tag}`)}, ${JSON.stringify(`${root}/escaped-${tag}`)}, "../escaped-${tag}", "../../escaped-${tag}", "/tmp/escaped-${tag}", "/var/tmp/escaped-${tag}"]) {
  try { writeFileSync(p, "out"); } catch {}
}`),
    limits: SMALL,
    expect: [{ tests: "all", status: "passed" }],
    mustNotExist: ["{root}/grader/escaped-{tag}", "{root}/escaped-{tag}", "/tmp/escaped-{tag}", "/var/tmp/escaped-{tag}"],
  },
];

/**
 * Submissions graded with --isolate (the submission's code in a process of
 * its own): what reaches into the runner by default reaches nothing here.
 */
export const ISOLATED_HOSTILE: readonly Hostile[] = [
  {
    name: "forges-results",
    does: "writes passing results and a done line into every file descriptor it holds at import, then exits",
    lesson: KEYS_LESSON,
    make: () =>
      handlerWith(`import fs from "node:fs";
const lines = [1, 2, 3, 4].flatMap((n) => ["visible:${KEYS_LESSON}#" + n, "hidden:${KEYS_LESSON}#" + n]).map((id) => JSON.stringify({ type: "result", id, status: "pass", message: "", output: "", elapsedMs: 1 }));
lines.push(JSON.stringify({ type: "done" }));
for (let fd = 3; fd < 64; fd++) {
  try {
    fs.writeSync(fd, lines.join("\\n") + "\\n");
  } catch {}
}
process.exit(0);`),
    limits: { ...SMALL, submissionWallMs: 120_000 },
    // Its lines land in the bridge to the runner, which refuses them; then the host ends: every test is an error, none passed.
    expect: [{ tests: "all", status: "error", message: /did not finish loading: the runner ended in the middle of it/ }],
  },
  {
    name: "reads-test-source",
    does: "reads the source of the functions and objects the tests hand it (the payment a hidden test runs, its clock), and fails loudly if it could",
    lesson: KEYS_LESSON,
    make: () =>
      handlerSubclass(
        `  private readonly seen: unknown;
  constructor(options: ConstructorParameters<typeof reference.IdempotencyHandler>[0]) {
    super(options);
    this.seen = options.clock;
  }
  override async handle(...args: Parameters<reference.IdempotencyHandler["handle"]>): ReturnType<reference.IdempotencyHandler["handle"]> {
    const clock = this.seen as { now?: unknown; constructor?: unknown };
    const texts = [source(args[1]), source(clock?.now), source(clock?.constructor), String(Object.getPrototypeOf(clock ?? {})?.constructor ?? "")];
    const leaked = texts.filter((t) => /payments|nowMs|=>|return /.test(t));
    if (leaked.length > 0) throw new Error("LEAKED " + leaked.join(" | ").slice(0, 300));
    return super.handle(...args);
  }
`,
        `const source = (f: unknown): string => (typeof f === "function" ? Function.prototype.toString.call(f) : "");
`,
      ),
    limits: SMALL,
    expect: [{ tests: "all", status: "passed" }],
  },
];
