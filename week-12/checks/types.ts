/**
 * What a visible check is. One `CriterionCheck` decides one pass criterion
 * of one lesson (`<lesson id>#<n>`); `npm run check` runs them in lesson
 * order, the visible tests in `week-12/test/` run the same checks under
 * vitest, and the grader's hidden suites reuse the machinery with harder
 * settings.
 *
 * A check loads the student's pieces through a `Workbook`, so the same check
 * runs against the stubs, the reference solutions or a mutant. It passes by
 * returning; it fails by throwing a `CheckFailure` (expected, received, and
 * for a fault run the seed and the command that replays it). A stub's
 * `NotImplementedError` and any error the student's code throws propagate
 * as they are; the runner renders them.
 */

/** The files of the workbook a check can load, relative to the workbook's directory. */
export const WORKBOOK_FILES = [
  "src/vote-rules.ts",
  "src/client-tracker.ts",
  "src/dedup-kv-store.ts",
  "src/retry-client.ts",
  "src/idempotency-handler.ts",
  "node/main.ts",
  "node/main.py",
] as const;
export type WorkbookFile = (typeof WORKBOOK_FILES)[number];

/**
 * What each TypeScript piece exports for the checks and the plug modules to
 * use, as its stub does. A check that reads one of these names from a module
 * that does not export it (an `export` removed, a name changed) fails its
 * criterion saying so, rather than failing itself on `undefined`.
 */
export const WORKBOOK_EXPORTS: Partial<Record<WorkbookFile, readonly string[]>> = {
  "src/vote-rules.ts": ["observeTerm", "decide", "electionTimeoutTicks", "voteRules"],
  "src/client-tracker.ts": ["ClientTracker"],
  "src/dedup-kv-store.ts": ["DedupKVStore", "applyOperation", "staleReply", "errorReply"],
  "src/retry-client.ts": ["newClient", "newOperation", "classify", "backoffMs", "onResult", "settle", "transportError", "afterOperation"],
  "src/idempotency-handler.ts": ["DEFAULT_TTL_MS", "MAX_KEY_LENGTH", "IdempotencyHandler", "parseIdempotencyKey", "requestFingerprint"],
};

export interface Workbook {
  /** What is being checked, for messages: "workbook", "solution", or a mutant's name. */
  readonly label: string;
  /** The directory whose `src/` and `node/` hold the pieces (week-12/, or the reference solutions). */
  readonly dir: string;
  /** Absolute path of a workbook file (an override, if one replaces it). */
  path(file: WorkbookFile): string;
  /** Imports a TypeScript workbook module. */
  import<T = Record<string, unknown>>(file: WorkbookFile): Promise<T>;
  /**
   * The environment prefix a printed replay command needs to load this
   * workbook ("" for the student's own week-12/).
   */
  readonly replayEnv: string;
}

export interface CheckContext {
  workbook: Workbook;
  /** Seeds per fault run (`--seeds N`); undefined means the check's default. */
  seeds: number | undefined;
  /** Directory where fault runs write their HTML timeline and message diagram. */
  outDir: string;
  /** Progress of a long check (fault runs): `done` of `total` seeds. */
  progress(done: number, total: number): void;
}

export type CriterionId = `${string}#${number}`;

export interface CriterionCheck {
  /** `<lesson id>#<n>`: the lesson's pass-criterion row this check decides. */
  criterion: CriterionId;
  /** Short title; the visible test is titled `<criterion> <title>`. */
  title: string;
  /** The workbook files it exercises (`--watch` re-runs it when one changes). */
  files: WorkbookFile[];
  /** Seeded fault runs under the simulator (slow: a progress display, `--seeds`). */
  faultRun?: boolean;
  run(ctx: CheckContext): Promise<void>;
}

/** Where a failed fault run can be seen and replayed. */
export interface Replay {
  seed: number;
  /** One shell command, run from the repository root, that replays the run. */
  command: string;
  timeline?: string;
  diagram?: string;
}

/** A check's verdict that the student's code is wrong, in one or two lines. */
export class CheckFailure extends Error {
  override readonly name = "CheckFailure";
  readonly expected: string | undefined;
  readonly received: string | undefined;
  readonly replay: Replay | undefined;
  constructor(message: string, details: { expected?: string; received?: string; replay?: Replay } = {}) {
    super(message);
    this.expected = details.expected;
    this.received = details.received;
    this.replay = details.replay;
  }
}

export function isCheckFailure(e: unknown): e is CheckFailure {
  return e instanceof Error && e.name === "CheckFailure";
}
