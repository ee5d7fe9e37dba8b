/**
 * `gradeSubmission`: one submission, graded. The submission is staged
 * (submission.ts), copied into a sandbox layout owned by the sandbox user,
 * type-checked (tsc --noEmit, its own sandboxed step: type errors are
 * reported, they cost no points), and run by the runner (runner.ts) under
 * `runSandboxed`. When a run ends early (a test at the wall limit, the
 * memory, output or process limit, a crash), the test it was in is an
 * error naming the limit, and a fresh runner goes on with the tests left,
 * until they are done or the submission's own budget is spent.
 */
import { chmodSync, existsSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path, { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { buildSubmissionResult, type SubmissionResult, type TestInput } from "../report/index.js";
import { createSandboxLayout, DEFAULT_SANDBOX_GID, DEFAULT_SANDBOX_UID, readableBy, runSandboxed, type SandboxLimit, type SandboxResult } from "../sandbox/index.js";
import { encodeArgs, parseLines, type PlannedTest, type RunnerLine } from "./protocol.js";
import { locateWorkbook, stageSubmission } from "./submission.js";
import { parseTscOutput, workbookTsconfig } from "../check/types.js";

export const REPOSITORY_ROOT = fileURLToPath(new URL("../../../", import.meta.url)).replace(/\/$/, "");
export const REFERENCE_WORKBOOK = join(REPOSITORY_ROOT, "week-12");
const RUNNER = fileURLToPath(new URL("./runner.ts", import.meta.url));

export interface GradeLimits {
  /** The whole submission: every runner together. */
  submissionWallMs: number;
  submissionCpuMs: number;
  /** One test (the runner's watchdog), and one module's import. */
  testWallMs: number;
  memoryBytes: number;
  outputBytes: number;
  processes: number;
}

export const DEFAULT_LIMITS: GradeLimits = {
  submissionWallMs: 300_000,
  submissionCpuMs: 400_000,
  testWallMs: 60_000,
  memoryBytes: 1536 * 2 ** 20,
  outputBytes: 4 * 2 ** 20,
  processes: 128,
};

/**
 * The limits with --isolate: every call from a check to the submission's
 * code crosses between two processes, so the checks that call it on every
 * simulated event (fault runs, searches) take several times longer.
 */
export const ISOLATED_LIMITS: GradeLimits = {
  ...DEFAULT_LIMITS,
  submissionWallMs: 4 * DEFAULT_LIMITS.submissionWallMs,
  submissionCpuMs: 4 * DEFAULT_LIMITS.submissionCpuMs,
  testWallMs: 4 * DEFAULT_LIMITS.testWallMs,
};

export interface LessonInfo {
  id: string;
  title: string;
  xp: number;
}

export interface GradeOptions {
  /** The submission as handed in (a week-12 directory or a repository containing one). */
  submission: string;
  /** Name in the report (default: the directory's name). */
  name?: string;
  /** The lessons graded, in order (titles and XP from the course). */
  lessons: readonly LessonInfo[];
  /** Only these lessons' tests (ids); all of `lessons` when empty. */
  only?: readonly string[];
  limits?: Partial<GradeLimits>;
  /** Fault-run seeds scale (1: the suites' own). */
  seedScale?: number;
  /** Type-check the submission (default true). */
  typecheck?: boolean;
  /** uid/gid the submission runs as (parallel grading gives each job its own). */
  uid?: number;
  gid?: number;
  /** Visibility of hidden tests in the report (default after_due_date: shown to the student once the due date passed). */
  hiddenVisibility?: "hidden" | "after_due_date" | "after_published";
  /**
   * Import the submission's code in a process of its own, out of reach of
   * the hidden tests' code and the results file (slower: the time limits not
   * given are `ISOLATED_LIMITS`).
   */
  isolate?: boolean;
}

export interface Graded {
  result: SubmissionResult;
  /** What the grader itself did, for the instructor (each runner's end, the limits hit). */
  log: string[];
}

const require = createRequire(import.meta.url);
const TSX = pathToFileURL(require.resolve("tsx/esm")).href;
const TSC = require.resolve("typescript/bin/tsc");

export async function gradeSubmission(o: GradeOptions): Promise<Graded> {
  const started = new Date();
  const t0 = Date.now();
  const limits: GradeLimits = { ...(o.isolate ? ISOLATED_LIMITS : DEFAULT_LIMITS), ...o.limits };
  const workbookDir = locateWorkbook(o.submission);
  const name = o.name ?? o.submission.replace(/\/+$/, "").split("/").pop()!;
  const staged = await stageSubmission(workbookDir, REFERENCE_WORKBOOK);
  const root = process.getuid?.() === 0;
  const uid = o.uid ?? DEFAULT_SANDBOX_UID;
  const gid = o.gid ?? DEFAULT_SANDBOX_GID;
  const log: string[] = [...protectInstructorFiles()];
  const notes = [...staged.notes];
  try {
    const layout = await createSandboxLayout({ submissionDir: staged.dir, ...(root ? { owner: { uid, gid } } : {}) });
    try {
      symlinkSync(join(REPOSITORY_ROOT, "node_modules"), join(layout.workDir, "node_modules"));
      // The modules are ECMAScript modules, whatever package.json the submission had (it is not used).
      writeFileSync(join(layout.workDir, "package.json"), '{ "type": "module" }\n');
      const tests = new Map<string, TestInput>();
      const typeErrors = o.typecheck === false ? [] : await typecheck(layout.workDir, limits, uid, gid, root, log);

      let plan: PlannedTest[] | undefined;
      const skipLoad: string[] = [];
      const loadFailures = new Map<string, string>();
      const limitOf = (r: SandboxResult): SandboxLimit | undefined => r.limit;
      let cpuSpentMs = 0;
      for (let attempt = 0; ; attempt++) {
        const remaining = plan ? plan.filter((t) => !tests.has(t.id)) : undefined;
        if (remaining && remaining.length === 0) break;
        const spentMs = Date.now() - t0;
        if (remaining && (spentMs >= limits.submissionWallMs || cpuSpentMs >= limits.submissionCpuMs || attempt > plan!.length + 8)) {
          const cpu = cpuSpentMs >= limits.submissionCpuMs;
          const budget = cpu ? `CPU budget (${Math.round(limits.submissionCpuMs / 1000)} s)` : `time budget (${Math.round(limits.submissionWallMs / 1000)} s)`;
          for (const t of remaining) tests.set(t.id, errorTest(t, `not run: the submission's ${budget} was used up by earlier tests`, cpu ? "cpu" : "wall", o));
          break;
        }
        const results = join(layout.root, `results-${attempt}.jsonl`);
        const out = join(layout.tmpDir, "out");
        const args = encodeArgs({
          results,
          workbook: layout.workDir,
          only: remaining?.map((t) => t.id) ?? [],
          lessons: [...(o.only ?? o.lessons.map((l) => l.id))],
          skipLoad,
          perTestMs: limits.testWallMs,
          seedScale: o.seedScale ?? 1,
          uid,
          gid,
          outDir: out,
          isolate: o.isolate === true,
        });
        const run = await runSandboxed({
          command: process.execPath,
          args: ["--import", TSX, RUNNER, ...args],
          // The layout's root (root's, 0711): where the sandbox puts private mounts over /tmp it binds this back, the
          // submission's copy and the results file with it; the sandbox user can pass into work/ but not read the rest.
          cwd: layout.root,
          // The runner, the checks and the packages are loaded from the grader's checkout, wherever it lies (even under /tmp).
          keepVisible: REPOSITORY_ROOT,
          env: { ...layout.env, TSX_DISABLE_CACHE: "1", NODE_OPTIONS: "", ...(staged.node === "python" ? { DSLAB_NODE: "python" } : {}) },
          limits: {
            wallMs: Math.max(1_000, limits.submissionWallMs - spentMs),
            cpuMs: Math.max(1_000, limits.submissionCpuMs - cpuSpentMs),
            memoryBytes: limits.memoryBytes,
            outputBytes: limits.outputBytes,
            processes: limits.processes,
          },
          // The runner starts as root to import the checks and the hidden suites, then gives up root itself (runner.ts).
          use: { setpriv: false },
        });
        cpuSpentMs += run.cpuMs;
        const lines = existsSync(results) ? parseLines(readFileSync(results, "utf8")) : [];
        log.push(`runner ${attempt + 1}: ${run.status}${run.limit ? ` (${run.limit} limit)` : ""}${run.exitCode !== null ? `, exit ${run.exitCode}` : ""}${run.signal ? `, ${run.signal}` : ""}, ${run.wallMs} ms, ${lines.filter((l) => l.type === "result").length} results`);
        const planLine = lines.find((l): l is Extract<RunnerLine, { type: "plan" }> => l.type === "plan");
        if (!plan) {
          if (!planLine) {
            const why = run.stderr.trim().split("\n").slice(-25).join("\n");
            throw new GraderError(`the runner did not start (${run.status}${run.limit ? `, ${run.limit} limit` : ""}): ${why || "no output"}`);
          }
          plan = planLine.tests;
          if (!planLine.isolated) notes.push(planLine.note ?? "the runner could not give up root: the submission's code was not isolated from the grader's files");
        }
        for (const l of lines) {
          if (l.type === "load-done" && l.error !== undefined) loadFailures.set(l.file, l.error);
          if (l.type !== "result") continue;
          const t = plan.find((p) => p.id === l.id);
          if (t) tests.set(t.id, resultTest(t, l, o));
        }
        // Done is the runner's word only once every test has its result: the submission's code holds the results file's
        // descriptor, and a done it wrote there, with results of its own, must not end the grading of the tests left.
        if (lines.some((l) => l.type === "done") && plan.every((t) => tests.has(t.id))) continue;
        // The run ended early: find what it was doing.
        const limitLine = lines.find((l): l is Extract<RunnerLine, { type: "limit" }> => l.type === "limit");
        const limit = limitLine ? "wall" : limitOf(run);
        const why = limitLine
          ? `stopped at the wall limit: it ran longer than ${Math.round(limitLine.ms / 1000)} s (an infinite loop, or an operation that never finishes)`
          : limit
            ? `stopped at the ${limit} limit (${describeLimit(limit, limits)})`
            : `the runner ended in the middle of it (${run.signal ? `signal ${run.signal}` : `exit code ${run.exitCode}`}: the code crashed the process or called process.exit)${tail(run.stderr) ? `: ${tail(run.stderr)}` : ""}`;
        const lastLoad = [...lines].reverse().find((l) => l.type === "load-start" || l.type === "load-done");
        const lastStart = [...lines].reverse().find((l) => l.type === "start");
        if (lastLoad?.type === "load-start" && !lastStart) {
          skipLoad.push(lastLoad.file);
          const msg = `week-12/${lastLoad.file} did not finish loading: ${why}`;
          for (const t of plan) if (!tests.has(t.id) && t.files.includes(lastLoad.file)) tests.set(t.id, errorTest(t, msg, limit, o, run));
          continue;
        }
        if (lastStart?.type === "start" && !tests.has(lastStart.id)) {
          const t = plan.find((p) => p.id === lastStart.id)!;
          tests.set(t.id, errorTest(t, why, limit, o, run));
          continue;
        }
        if (limit === "wall" || limit === "cpu") {
          // Out of the submission's own budget between tests.
          for (const t of plan) if (!tests.has(t.id)) tests.set(t.id, errorTest(t, `not run: ${why}`, limit, o, run));
          break;
        }
        if (lines.length <= 1) {
          for (const t of plan) if (!tests.has(t.id)) tests.set(t.id, errorTest(t, `not run: the runner ended before its first test: ${why}`, limit, o, run));
          break;
        }
      }
      for (const [file, error] of loadFailures) notes.push(`week-12/${file} throws when it is imported: ${error}`);
      const inputs = [...(plan ?? []).map((t) => tests.get(t.id)!).filter((t) => t !== undefined), ...typeTests(typeErrors, plan ?? [])];
      const result = buildSubmissionResult({
        submission: name,
        startedAt: started,
        elapsedMs: Date.now() - t0,
        tests: inputs,
        lessons: o.lessons.filter((l) => (o.only ?? o.lessons.map((x) => x.id)).includes(l.id)),
        ...(notes.length > 0 ? { notes } : {}),
      });
      return { result, log };
    } finally {
      await layout.cleanup();
    }
  } finally {
    await staged.cleanup();
  }
}

/** The instructor's directories the submission's code must not read. */
export const INSTRUCTOR_DIRS = ["grader/hidden", "grader/solutions"];

/** As root: makes the instructor's directories root's 0700 when the sandbox user could read them; says what it did. */
export function protectInstructorFiles(root: string = REPOSITORY_ROOT): string[] {
  if (process.getuid?.() !== 0) return ["not running as root: the submission's code will run as this user and can read what it reads (grader/hidden, grader/solutions)"];
  const said: string[] = [];
  for (const rel of INSTRUCTOR_DIRS) {
    const dir = path.join(root, rel);
    if (!existsSync(dir)) continue;
    if (readableBy(dir, { uid: DEFAULT_SANDBOX_UID, gids: [DEFAULT_SANDBOX_GID] })) {
      chmodSync(dir, 0o700);
      said.push(`made ${rel}/ 0700 so that the sandbox user cannot read it`);
    }
  }
  return said;
}

export class GraderError extends Error {
  override readonly name = "GraderError";
}

/** The last lines of stderr that say something (not Node's version line, not a lone brace). */
function tail(s: string): string {
  const lines = s
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !/^Node\.js v\d/.test(l) && !/^[{}]$/.test(l) && !/^at /.test(l));
  return lines.slice(-3).join(" / ").slice(0, 500);
}

function describeLimit(limit: SandboxLimit, l: GradeLimits): string {
  switch (limit) {
    case "wall":
      return `${Math.round(l.submissionWallMs / 1000)} s of wall time for the whole submission`;
    case "cpu":
      return `${Math.round(l.submissionCpuMs / 1000)} s of CPU time`;
    case "memory":
      return `${Math.round(l.memoryBytes / 2 ** 20)} MiB of memory`;
    case "output":
      return `${Math.round(l.outputBytes / 2 ** 10)} KiB of output`;
    case "processes":
      return `${l.processes} processes and threads`;
  }
}

function base(t: PlannedTest, o: GradeOptions) {
  return {
    name: t.title,
    criterion: t.criterion,
    weight: t.weight,
    maxScore: t.weight,
    visibility: t.visibility === "hidden" ? (o.hiddenVisibility ?? "after_due_date") : ("visible" as const),
  };
}

function errorTest(t: PlannedTest, message: string, limit: SandboxLimit | undefined, o: GradeOptions, run?: SandboxResult): TestInput {
  return { ...base(t, o), score: 0, status: "error", message, output: run ? run.stderr.slice(-4000) : "", ...(limit ? { limit } : {}) };
}

function resultTest(t: PlannedTest, r: Extract<RunnerLine, { type: "result" }>, o: GradeOptions): TestInput {
  const parts = [r.message];
  if (r.where) parts.push(`at ${r.where}`);
  if (r.expected !== undefined) parts.push(`expected: ${r.expected}`);
  if (r.received !== undefined) parts.push(`received: ${r.received}`);
  if (r.replay) parts.push(`replay (seed ${r.seed}), from the repository root: ${r.replay}`);
  const status = r.status === "pass" ? "passed" : r.status === "error" ? "error" : "failed";
  return {
    ...base(t, o),
    score: status === "passed" ? t.weight : 0,
    status,
    message: status === "passed" ? "" : parts.join("\n"),
    output: status === "passed" ? "" : r.output,
    durationMs: r.elapsedMs,
    testCode: t.visibility === "visible" ? `npm run check -- ${t.criterion.split("#")[0]}` : "a hidden test",
  };
}

interface TypeError {
  file: string;
  text: string;
}

/** `tsc --noEmit` over the submission's src/ and node/, as the sandbox user. */
async function typecheck(workDir: string, limits: GradeLimits, uid: number, gid: number, root: boolean, log: string[]): Promise<TypeError[]> {
  writeFileSync(join(workDir, ".tsconfig.grader.json"), JSON.stringify(workbookTsconfig(REPOSITORY_ROOT, workDir)));
  const r = await runSandboxed({
    command: process.execPath,
    args: [TSC, "-p", ".tsconfig.grader.json", "--pretty", "false"],
    cwd: workDir,
    // tsc and the types it reads come from the grader's checkout.
    keepVisible: REPOSITORY_ROOT,
    env: { HOME: join(workDir, ".home"), TMPDIR: join(workDir, ".tmp") },
    limits: { wallMs: 60_000, cpuMs: 60_000, memoryBytes: 1024 * 2 ** 20, outputBytes: 1 << 20, processes: 64 },
    ...(root ? { uid, gid } : {}),
  });
  log.push(`tsc --noEmit: ${r.status}${r.limit ? ` (${r.limit} limit)` : ""}, ${r.wallMs} ms`);
  void limits;
  return parseTscOutput(r.stdout, workDir).errors.map((e) => {
    const file = path.relative(workDir, e.file).split(path.sep).join("/");
    return { file, text: `week-12/${file}:${e.line}:${e.column} ${e.code}: ${e.message}` };
  });
}

/** Type errors as 0-point tests, one per file, under the first test that exercises the file. */
function typeTests(errors: TypeError[], plan: PlannedTest[]): TestInput[] {
  const byFile = new Map<string, string[]>();
  for (const e of errors) byFile.set(e.file, [...(byFile.get(e.file) ?? []), e.text]);
  const out: TestInput[] = [];
  for (const [file, texts] of byFile) {
    const owner = plan.find((t) => t.files.includes(file)) ?? plan[0];
    if (!owner) continue;
    out.push({
      name: `type check: week-12/${file} (tsc --noEmit; no points, shown to fix)`,
      criterion: owner.criterion,
      weight: 0,
      maxScore: 0,
      score: 0,
      status: "failed",
      message: `${texts.length} type error${texts.length === 1 ? "" : "s"} in week-12/${file}:\n${texts.slice(0, 20).join("\n")}`,
      output: "",
      visibility: "visible",
      testCode: `npx tsc -p week-12/tsconfig.json --noEmit`,
    });
  }
  return out;
}
