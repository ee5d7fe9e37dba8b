// `grader check` (`npm run check`): runs the workbook's checks, lesson by
// lesson in prerequisite order, and says what passes, what to fix and what
// to work on next. This module is the command's shell: it reads the
// terminal (the progress line) and the signals (`--watch` stops on Ctrl-C).
import { existsSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { InputError, intOption, prepareOutDir, UsageError } from "@dslab/protocol/cli";
import type { OpenOptions, Workbook } from "../../../../week-12/checks/index.js";
import { DEFAULT_CHECK_LIMIT_MS, IsolatedRunner } from "../../check/isolate.js";
import { loadChecks, REPOSITORY_ROOT, type ChecksModule } from "../../check/load.js";
import { planWorkbook, selectLessons, type PlannedLesson } from "../../check/plan.js";
import { ProgressLine } from "../../check/progress.js";
import { checkDocument, criterionLines, lessonHeader, summarize, summaryText, typeErrorLines, wroteFiles, type TypeReport } from "../../check/report.js";
import { isCheckBug, runCriterion, type CriterionOutcome, type LessonOutcome, type RunSettings } from "../../check/run.js";
import { typecheckWorkbook, type TypeCheckResult } from "../../check/types.js";
import { watchWorkbook } from "../../check/watch.js";
import { loadCourse } from "../../lesson/load.js";
import { formatDiagnostic } from "../../lesson/model.js";
import { EXIT, json, UNREADABLE_HELP, type Command, type Io } from "../args.js";

const INTERNAL = 70;

/** Where fault runs write without --out. */
export function defaultOutDir(): string {
  return path.join(tmpdir(), "dslab-check");
}

export const check: Command = {
  name: "check",
  help: `Usage: grader check [--lesson ID]... [options]      (npm run check -- [options])

Runs the workbook's checks: for each lesson the workbook serves (and each
lesson they need first), in the order of the lessons' prerequisites, the
check of each pass criterion, against your pieces in week-12/src and
week-12/node. A criterion checked by running npm run check itself (the
introduction's) passes by this run. Each criterion prints one line,
✓ #n or ✗ #n and the criterion's text; a failure says why in a line or two:
the mistake, expected and received, "at week-12/src/FILE:LINE:COL" when your
code threw, "your file does not parse: FILE:LINE:COL: ..." (or "cannot find
package P imported by FILE") when a piece cannot be imported, and for a fault
run its seed, the command that replays it and the paths of its HTML timeline
and message diagram. A function still to write shows "not implemented yet:
<function> (<lesson>, criterion <n>)". What your code prints (console.log)
shows under the criterion whose check ran it: its first 20 lines.

While the checks run, tsc --noEmit type-checks src/ and node/ with the
course's compiler options, as grader test does (the checks run your code
without checking its types). Type errors cost no XP, but they are listed
before the summary, as FILE:LINE:COL TSnnnn: message, and the run does not
pass while the files of the lessons checked have any.

The summary gives each lesson's criteria passed, the XP earned (a lesson's XP
counts once every one of its criteria passes), the total, the type check, and
the next lesson to work on with the command that checks it alone: the first
that does not pass, or, when the lessons chosen with --lesson all pass, the
one after them.

Options:
  --lesson ID     check only this lesson: its id, or a piece of its title or of
                  its id (past the week's shared w12-leader-election-... part)
                  that names it alone (w11, intro, vote, retry, dedup, keys);
                  repeat the option or give a comma list for several; a bare
                  argument (npm run check -- retry) works too
  -v, --verbose   also show each check's time and name (the visible test's
                  title: criterion id and check title), passing ones too
  --json          print one JSON document: the lessons, each criterion's result
                  (status pass|fail|todo|error, message, expected, received,
                  where, replay, elapsedMs, output: what your code printed) with its text, the summary, and
                  types (errors: file, line, column, code, message; elsewhere;
                  elapsedMs; failure when tsc could not run)
  --solution      check the reference solutions instead of week-12 (the
                  instructor's repository only)
  --workbook DIR  check the pieces in DIR (laid out like week-12: src/, node/),
                  a directory inside this repository (the pieces import the
                  course's packages from its node_modules)
  --seeds N       seeds per fault run (default: each check's own, a few seconds)
  --timeout S     stop a check that runs longer than S seconds (for a fault run:
                  S seconds per seed) and fail its criterion, then go on with
                  the next check (default ${DEFAULT_CHECK_LIMIT_MS / 1000}): an infinite loop in your code ends
                  as "did not finish within S s and was stopped"
  --out DIR       where fault runs write timelines and diagrams (default:
                  ${path.join("$TMPDIR", "dslab-check")}); printed when a run wrote any
  --watch         after the run, watch src/ and node/ and re-run the criteria
                  whose checks read a changed source file (not an editor's
                  temporary file); Ctrl-C stops (exit 0)
  --lessons DIR   the course directory (default: lessons, here or in the nearest parent)
  -h, --help      show this help

While a check runs longer than a second, a line on stderr shows which one and
its seeds done (only when stderr is a terminal).

Exit codes: 0 every criterion checked passes and the type check finds no
error in their files, 1 a criterion fails or is not written yet, or a type
error, 2 usage error (an unknown, ambiguous or empty --lesson,
--solution where there are no solutions), 4 the lessons directory cannot be
read (a lesson file that cannot be read, or is over 4 MiB, is a warning), 70 a
check itself failed (its stack is printed; the other criteria are still run).

${UNREADABLE_HELP}
`,
  options: {
    lesson: { type: "string", multiple: true },
    verbose: { type: "boolean", short: "v", default: false },
    solution: { type: "boolean", default: false },
    workbook: { type: "string" },
    seeds: { type: "string" },
    timeout: { type: "string" },
    out: { type: "string" },
    watch: { type: "boolean", default: false },
  },
  async run(values, positionals, io) {
    const options = readOptions(values, positionals);
    // tsc starts first, in a child process: it takes about as long as the
    // checks of the untouched stubs, and runs beside them. Whatever it is
    // doing when the command ends is stopped.
    const typesStop = new AbortController();
    const types = startTypes(options, typesStop.signal);
    // The checks' modules compile on tsx's loader thread, and the check thread starts, while the lessons are parsed here.
    const checksLoading = loadChecks();
    checksLoading.catch(() => {});
    // With --json, stdout is the document alone: a console.log in a piece goes to stderr.
    const runner = new IsolatedRunner({ root: REPOSITORY_ROOT, limitMs: options.limitMs, checks: checksLoading, stdoutToStderr: options.json });
    runner.start();
    try {
      return await checkWorkbook(io, options, checksLoading, runner, { first: types, signal: typesStop.signal });
    } finally {
      typesStop.abort();
      await runner.close();
    }
  },
};

/** The type check's first run, and what stops every run when the command ends. */
interface TypeChecks {
  first: { dir: string; result: Promise<TypeCheckResult> } | undefined;
  signal: AbortSignal;
}

/**
 * The type check of the directory the options name (as the checks' own
 * `openWorkbook` resolves it), started before anything else is loaded;
 * undefined when it has no src/ (opening the workbook then says why).
 */
function startTypes(options: CheckOptions, signal: AbortSignal): TypeChecks["first"] {
  const dir = options.solution
    ? path.join(REPOSITORY_ROOT, "grader", "solutions", "week-12")
    : options.workbook !== undefined
      ? path.resolve(options.workbook)
      : path.join(REPOSITORY_ROOT, "week-12");
  if (!existsSync(path.join(dir, "src"))) return undefined;
  return { dir, result: typecheckWorkbook(dir, { root: REPOSITORY_ROOT, signal }) };
}

async function checkWorkbook(io: Io, options: CheckOptions, checksLoading: Promise<ChecksModule>, runner: IsolatedRunner, types: TypeChecks): Promise<number> {
  const course = await loadCourse(options.lessonsDir);
  for (const d of course.diagnostics) if (d.severity === "error") io.stderr(`grader check: warning: ${formatDiagnostic(d)}\n`);
  const checks = await checksLoading;
  const workbook = openWorkbook(checks, options);
  const plan = planWorkbook(course.lessons, checks.CHECKS, Object.values(checks.LESSON));
  if (plan.lessons.length === 0) {
    throw new InputError(`no lesson in ${options.lessonsDir} is one the workbook's checks serve (${plan.missingLessons.join(", ") || "the registry names none"}); give the course directory with --lessons DIR`);
  }
  for (const id of plan.missingLessons) io.stderr(`grader check: warning: lesson ${id} is not in ${options.lessonsDir}; its checks are not run\n`);
  for (const c of plan.orphans) io.stderr(`grader check: warning: the check for ${c.criterion} (${c.title}) decides no criterion of the lessons; it is not run\n`);
  const lessons = options.queries.length > 0 ? selectLessons(options.queries, plan.lessons) : plan.lessons;
  if (options.out !== undefined) prepareOutDir(options.out, []);

  const last = plan.lessons.indexOf(lessons.at(-1)!);
  const after = plan.lessons.slice(last + 1).find((l) => !lessons.includes(l));
  const session = new CheckSession(io, checks, runner, workbook, options, lessons, after, types);
  const code = await session.runAll();
  if (!options.watch) return code;
  return session.watch();
}

interface CheckOptions {
  lessonsDir: string;
  queries: string[];
  verbose: boolean;
  json: boolean;
  solution: boolean;
  workbook: string | undefined;
  seeds: number | undefined;
  /** --timeout, in ms. */
  limitMs: number;
  out: string | undefined;
  watch: boolean;
}

function readOptions(values: Record<string, unknown>, positionals: string[]): CheckOptions {
  const lesson = values.lesson as string[] | undefined;
  if (values.solution === true && values.workbook !== undefined) throw new UsageError("give --solution or --workbook DIR, not both");
  const seeds = intOption(values.seeds as string | undefined, "seeds", { min: 1 });
  const timeoutS = intOption(values.timeout as string | undefined, "timeout", { min: 1 });
  if (values.workbook !== undefined) insideRepository(String(values.workbook));
  return {
    lessonsDir: String(values.lessons),
    queries: [...(lesson ?? []), ...positionals],
    verbose: values.verbose === true,
    json: values.json === true,
    solution: values.solution === true,
    workbook: values.workbook as string | undefined,
    seeds,
    limitMs: timeoutS === undefined ? DEFAULT_CHECK_LIMIT_MS : timeoutS * 1000,
    out: values.out === undefined ? undefined : path.resolve(String(values.out)),
    watch: values.watch === true,
  };
}

/**
 * A --workbook outside the repository is refused: its pieces' imports of the
 * course's packages (`@dslab/protocol`) resolve only from a directory that
 * has the repository's node_modules above it, so its checks and its type
 * check would fail on the imports alone. A directory that does not exist is
 * left to opening the workbook, which says so.
 */
function insideRepository(dir: string): void {
  let real: string;
  try {
    real = realpathSync(path.resolve(dir));
  } catch {
    return;
  }
  const rel = path.relative(realpathSync(REPOSITORY_ROOT), real);
  if (rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel))) return;
  throw new UsageError(
    `--workbook ${dir}: outside the repository (${REPOSITORY_ROOT}), where its imports of the course's packages (@dslab/protocol) cannot be found; copy it into the repository (e.g. ${path.join(REPOSITORY_ROOT, ".grader-out", path.basename(real))}) and check the copy, or grade it with grader test --submission ${dir}`,
  );
}

/** How the check thread opens the same workbook. */
function workbookSource(options: CheckOptions, generation: number): OpenOptions {
  const source = options.solution ? "solution" : options.workbook !== undefined ? path.resolve(options.workbook) : "workbook";
  return { source, ...(generation !== 0 ? { generation } : {}) };
}

function openWorkbook(checks: ChecksModule, options: CheckOptions, generation = 0): Workbook {
  try {
    return checks.openWorkbook(workbookSource(options, generation));
  } catch (e) {
    if (options.solution) throw new UsageError(`--solution: ${(e as Error).message}`);
    if (options.workbook !== undefined) throw new InputError(`--workbook ${options.workbook}: ${(e as Error).message}`);
    throw e;
  }
}

/** One `grader check`: the first run over the chosen lessons, then (with --watch) the re-runs. */
class CheckSession {
  private readonly outcomes: LessonOutcome[];
  private readonly progress: ProgressLine;
  private readonly outDir: string;
  private generation = 0;
  /** The type check of the run in progress (tsc runs while the checks do). */
  private types: Promise<TypeCheckResult> | undefined;

  constructor(
    private readonly io: Io,
    private readonly checks: ChecksModule,
    private readonly runner: IsolatedRunner,
    private workbook: Workbook,
    private readonly options: CheckOptions,
    lessons: PlannedLesson[],
    /** The lesson after the ones chosen, when --lesson chose some: "next" once they pass. */
    private readonly after: PlannedLesson | undefined,
    private readonly typeChecks: TypeChecks,
  ) {
    this.outcomes = lessons.map((planned) => ({ planned, criteria: [] }));
    this.progress = new ProgressLine({
      write: (s) => io.stderr(s),
      isTTY: process.stderr.isTTY === true && !options.json,
      columns: process.stderr.columns,
    });
    this.outDir = options.out ?? defaultOutDir();
  }

  private out(s: string): void {
    this.progress.clear();
    if (!this.options.json) this.io.stdout(s);
  }

  private settings(): RunSettings {
    const open = workbookSource(this.options, this.generation);
    return {
      run: (check, ctx) => this.runner.run(check, ctx, open),
      workbook: this.workbook,
      seeds: this.options.seeds,
      outDir: this.outDir,
      onStart: (lesson, planned) => this.progress.start({ name: `${lesson.short} #${planned.criterion.number}`, title: planned.criterion.text }),
    };
  }

  async runAll(): Promise<number> {
    const dir = path.relative(process.cwd(), this.workbook.dir) || ".";
    if (this.workbook.label === "solution") this.out(`Checking the reference solutions (${dir})\n`);
    else if (this.workbook.label !== "workbook") this.out(`Checking the workbook in ${dir}\n`);
    const first = this.typeChecks.first;
    this.types = first !== undefined && path.resolve(first.dir) === path.resolve(this.workbook.dir) ? first.result : this.startTypes();
    for (const lesson of this.outcomes) {
      this.out(lessonHeader(lesson.planned));
      lesson.criteria = [];
      for (const planned of lesson.planned.criteria) lesson.criteria.push(await this.runOne(lesson.planned, planned));
    }
    return this.finish();
  }

  private async runOne(lesson: PlannedLesson, planned: PlannedLesson["criteria"][number]): Promise<CriterionOutcome> {
    const r = await runCriterion(lesson, planned, this.settings());
    this.progress.stop();
    this.out(criterionLines(r, { verbose: this.options.verbose, cwd: process.cwd(), root: REPOSITORY_ROOT }));
    return r;
  }

  private async finish(): Promise<number> {
    const all = this.outcomes.flatMap((l) => l.criteria);
    const wrote = wroteFiles(this.outcomes);
    const types = await this.typeReport();
    if (this.options.json) {
      const doc = checkDocument(this.outcomes, { label: this.workbook.label, dir: this.workbook.dir }, wrote ? this.outDir : undefined, this.after, { report: types, root: REPOSITORY_ROOT });
      this.io.stdout(json(doc));
    } else {
      this.out(typeErrorLines(types, REPOSITORY_ROOT));
      this.out(summaryText(summarize(this.outcomes, this.after), types));
      if (wrote) this.out(`Fault-run timelines and message diagrams are under ${this.outDir}\n`);
    }
    if (types.failure !== undefined) this.io.stderr(`grader check: warning: the type check could not run (${types.failure}); the criteria are checked without it\n`);
    if (all.some(isCheckBug)) {
      this.io.stderr(`grader check: ${all.filter(isCheckBug).length} check(s) failed themselves (a bug in the check; the stack is shown above)\n`);
      return INTERNAL;
    }
    return all.every((r) => r.status === "pass") && types.errors.length === 0 ? EXIT.ok : EXIT.fail;
  }

  private startTypes(): Promise<TypeCheckResult> {
    return typecheckWorkbook(this.workbook.dir, { root: REPOSITORY_ROOT, signal: this.typeChecks.signal });
  }

  /**
   * The type check's errors in the files the lessons checked read (every
   * workbook file when no --lesson chose), and how many are elsewhere.
   */
  private async typeReport(): Promise<TypeReport> {
    const pending = this.types ?? this.startTypes();
    let settled = false;
    void pending.then(() => (settled = true));
    await Promise.resolve();
    if (!settled) this.progress.start({ name: "types", title: "tsc --noEmit over src/ and node/" });
    const r = await pending;
    this.progress.stop();
    const failure = r.failure !== undefined ? { failure: r.failure } : {};
    if (this.options.queries.length === 0) return { errors: r.errors, elsewhere: 0, elapsedMs: r.elapsedMs, ...failure };
    const read = new Set(this.outcomes.flatMap((l) => l.planned.criteria.flatMap((c) => (c.check?.files ?? []).map((f) => path.join(this.workbook.dir, f)))));
    const errors = r.errors.filter((e) => read.has(e.file));
    return { errors, elsewhere: r.errors.length - errors.length, elapsedMs: r.elapsedMs, ...failure };
  }

  /** Watches the workbook and re-runs what a change touches, until Ctrl-C (exit 0). */
  watch(): Promise<number> {
    return new Promise((resolve) => {
      let running = false;
      const watching = watchWorkbook(this.workbook.dir, async (files) => {
        running = true;
        try {
          await this.rerun(files);
        } finally {
          running = false;
        }
      });
      this.out(`\nWatching ${watching.dirs.map((d) => `${d}/`).join(" and ")} of ${path.relative(process.cwd(), this.workbook.dir) || "."} for changes (Ctrl-C to stop)\n`);
      process.once("SIGINT", () => {
        watching.close();
        this.progress.stop();
        // A check in the middle of a run would keep the process alive until it ends.
        if (running) process.exit(EXIT.ok);
        resolve(EXIT.ok);
      });
    });
  }

  private async rerun(files: string[]): Promise<void> {
    this.generation++;
    this.workbook = openWorkbook(this.checks, this.options, this.generation);
    this.types = undefined;
    const touched = this.outcomes.map((lesson) => ({
      lesson,
      indexes: lesson.planned.criteria.flatMap((c, i) => (c.check?.files.some((f) => files.includes(f)) ? [i] : [])),
    }));
    const count = touched.reduce((s, t) => s + t.indexes.length, 0);
    if (count === 0) {
      this.out(`\nChanged ${files.join(", ")}: no check of these lessons reads it; nothing to re-run\n`);
      return;
    }
    this.out(`\nChanged ${files.join(", ")}: re-running ${count} criteri${count === 1 ? "on" : "a"}\n`);
    this.types = this.startTypes();
    for (const { lesson, indexes } of touched) {
      if (indexes.length === 0) continue;
      this.out(lessonHeader(lesson.planned));
      for (const i of indexes) lesson.criteria[i] = await this.runOne(lesson.planned, lesson.planned.criteria[i]!);
    }
    await this.finish();
  }
}
