/**
 * What the runner (runner.ts, the sandboxed child that imports the checks and
 * the student's code) tells the grader, one JSON object per line of its
 * results file, and what the grader tells it, as command-line arguments.
 */

/** One test the runner can run: a visible check or a hidden test. */
export interface PlannedTest {
  id: string;
  criterion: string;
  title: string;
  weight: number;
  visibility: "visible" | "hidden";
  files: string[];
}

export type RunnerLine =
  /** First: every test of the chosen lessons, and whether the runner could give up root before importing student code. */
  | { type: "plan"; tests: PlannedTest[]; isolated: boolean; uid: number; note?: string }
  /** A module of the submission is being imported on its own (the load phase). */
  | { type: "load-start"; file: string }
  | { type: "load-done"; file: string; error?: string }
  | { type: "start"; id: string }
  | {
      type: "result";
      id: string;
      status: "pass" | "fail" | "todo" | "error";
      message: string;
      expected?: string;
      received?: string;
      replay?: string;
      seed?: number;
      where?: string;
      output: string;
      elapsedMs: number;
    }
  /** The runner's own watchdog stopped a test that overran its wall time (it then kills the runner). */
  | { type: "limit"; id: string; limit: "wall"; ms: number }
  | { type: "done" };

export interface RunnerArgs {
  /** The results file, opened before the runner gives up root. */
  results: string;
  /** The submission's workbook directory (src/, node/) inside the sandbox. */
  workbook: string;
  /** Test ids to run (all tests of `lessons` when empty). */
  only: string[];
  /** Lessons to plan (all when empty). */
  lessons: string[];
  /** Modules not to import on their own (they hung or crashed the runner at import before). */
  skipLoad: string[];
  /** Wall time one test may take before the runner's watchdog kills the run. */
  perTestMs: number;
  /** Scales every fault run's seeds (1 = the suites' own; tests use less). */
  seedScale: number;
  /** uid/gid the runner becomes after importing the trusted modules (when it starts as root). */
  uid: number;
  gid: number;
  /** Where fault runs write their timelines (inside the sandbox). */
  outDir: string;
  /** Import the submission's modules in a process of their own (host.ts), not in the runner. */
  isolate: boolean;
}

export function encodeArgs(a: RunnerArgs): string[] {
  return [
    `--results=${a.results}`,
    `--workbook=${a.workbook}`,
    `--only=${a.only.join(",")}`,
    `--lessons=${a.lessons.join(",")}`,
    `--skip-load=${a.skipLoad.join(",")}`,
    `--per-test-ms=${a.perTestMs}`,
    `--seed-scale=${a.seedScale}`,
    `--uid=${a.uid}`,
    `--gid=${a.gid}`,
    `--out-dir=${a.outDir}`,
    `--isolate=${a.isolate ? 1 : 0}`,
  ];
}

export function decodeArgs(argv: readonly string[]): RunnerArgs {
  const get = (name: string): string => {
    const hit = argv.find((a) => a.startsWith(`--${name}=`));
    if (hit === undefined) throw new Error(`runner: missing --${name}`);
    return hit.slice(name.length + 3);
  };
  const list = (name: string) => get(name).split(",").filter((s) => s !== "");
  return {
    results: get("results"),
    workbook: get("workbook"),
    only: list("only"),
    lessons: list("lessons"),
    skipLoad: list("skip-load"),
    perTestMs: Number(get("per-test-ms")),
    seedScale: Number(get("seed-scale")),
    uid: Number(get("uid")),
    gid: Number(get("gid")),
    outDir: get("out-dir"),
    isolate: get("isolate") === "1",
  };
}

/** Parses the results file; a torn last line (the runner killed mid-write) is dropped. */
export function parseLines(text: string): RunnerLine[] {
  const out: RunnerLine[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    try {
      out.push(JSON.parse(line) as RunnerLine);
    } catch {
      // A line cut by a kill.
    }
  }
  return out;
}
