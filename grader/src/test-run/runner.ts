/**
 * The runner: the process of `grader test` that holds the checks and the
 * hidden suites. The grader starts it inside the sandbox (runSandboxed) as
 * root; it then
 *
 *   1. opens its results file (a root-owned 0600 file outside the
 *      submission's directory) and keeps the descriptor; with --isolate,
 *      also the pipes to the submission's host;
 *   2. imports the trusted modules: the workbook's checks, the plug modules
 *      and the hidden suites (grader/hidden/), and writes the plan;
 *   3. gives up root for good (supplementary groups, gid, uid: the sandbox
 *      user), so from here on nothing it runs can open the hidden suites'
 *      files or the reference solutions (0700, root's), the grader's
 *      checkout files it could not read before, or the results file by path;
 *   4. imports each of the submission's modules on its own (the load phase),
 *      then runs the tests one at a time, each under a watchdog thread that
 *      kills the whole run when a test overruns its wall time (a synchronous
 *      infinite loop never yields to a timer).
 *
 * By default the submission's modules are imported in this process. What
 * that does not protect: code already in memory. The hidden tests'
 * functions, their settings and anything they closed over are in the
 * process the student's code runs in, and that code can also write to the
 * results descriptor. The grader treats a result line as the runner's word
 * on one test, never as trusted beyond that.
 *
 * With --isolate they are imported by the submission's host (host.ts), a
 * process of their own started after step 3, and the checks reach them
 * through the bridge (bridge.ts): the student's code never runs in this
 * process, so the hidden tests' code and the results descriptor are out of
 * its reach (having given up root, this process cannot be traced or read
 * through /proc by the host, which runs as the same user). A call across
 * costs tens of microseconds, so checks that call the student's functions
 * on every simulated event run several times slower. When the host ends in
 * the middle of a call (it crashed, the code called process.exit, a limit
 * killed it), the runner ends the same way, and the grader reports the test
 * as the code ending its process.
 */
import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { dirname, join, sep } from "node:path";
import { Worker } from "node:worker_threads";
import { CAPTURE_MAX, captureOutput, printBackgroundErrors } from "./capture.js";
import { endAsHostEnded, openHostPipes, startSubmissionHost } from "./submission-host.js";
import { notImplementedMessage, pieceLessons, todoFile } from "./pieces.js";
import { decodeArgs, type PlannedTest, type RunnerLine } from "./protocol.js";
import type { CheckContext, CriterionCheck } from "../../../week-12/checks/index.js";
import type * as Hidden from "../../hidden/index.js";

type ChecksModule = typeof import("../../../week-12/checks/index.js");

const args = decodeArgs(process.argv.slice(2));
const fd = openSync(args.results, "a", 0o600);
// Taken now, before the submission's code can replace them: a JSON.stringify or fs.writeSync patched at import
// (syncBuiltinESMExports carries the latter into this module's binding) would otherwise rewrite every result line.
// The line is copied to an object without a prototype, so that an Object.prototype.toJSON it added is not called.
const stringify = JSON.stringify;
const writeLine = writeSync;
const write = (line: RunnerLine): void => {
  writeLine(fd, `${stringify({ __proto__: null, ...line })}\n`);
};

// With --isolate, the pipes to the submission's host, made and opened while this process is root, in the results
// file's root-owned directory, and unlinked at once: the host gets its ends as descriptors, and no path leads to them.
const pipes = args.isolate ? openHostPipes(dirname(args.results)) : undefined;

const root = new URL("../../../", import.meta.url);
const checks = (await import(new URL("week-12/checks/index.ts", root).href)) as ChecksModule;
const hidden = (await import(new URL("grader/hidden/index.ts", root).href)) as typeof Hidden;
// The plug modules some checks import on demand, imported now with the rest (the checkout stays world-readable: this is for speed, not access).
await import(new URL("week-12/plug/core-factory.ts", root).href);
hidden.setSeedScale(args.seedScale);

interface Entry {
  planned: PlannedTest;
  check: CriterionCheck;
}
const lessonOf = (criterion: string) => criterion.slice(0, criterion.lastIndexOf("#"));
const wanted = (criterion: string) => args.lessons.length === 0 || args.lessons.includes(lessonOf(criterion));
const entries: Entry[] = [
  ...checks.CHECKS.filter((c) => wanted(c.criterion)).map((check) => ({
    check,
    planned: { id: `visible:${check.criterion}`, criterion: check.criterion, title: check.title, weight: 1, visibility: "visible" as const, files: [...check.files] },
  })),
  ...hidden.HIDDEN_TESTS.filter((t) => wanted(t.criterion)).map((t) => ({
    check: t,
    planned: { id: t.id, criterion: t.criterion, title: t.title, weight: t.weight, visibility: "hidden" as const, files: [...t.files] },
  })),
];

// Give up root before any of the submission's code is imported.
let isolated = false;
let note: string | undefined;
if (process.getuid?.() === 0) {
  process.setgroups?.([]);
  process.setgid?.(args.gid);
  process.setuid?.(args.uid);
  isolated = process.getuid?.() === args.uid && process.geteuid?.() === args.uid;
} else {
  note = "the grader does not run as root: the submission's code ran as the grader's own user and could read what the grader reads";
}
write({ type: "plan", tests: entries.map((e) => e.planned), isolated, uid: process.getuid?.() ?? -1, ...(note ? { note } : {}) });

// The watchdog: [0] the test's index + 1 (0: none), [1] its deadline (ms since the epoch).
const shared = new SharedArrayBuffer(16);
const slot = new Float64Array(shared);
const ids = entries.map((e) => e.planned.id);
const watchdog = new Worker(
  `const { workerData } = require("node:worker_threads");
   const fs = require("node:fs");
   const slot = new Float64Array(workerData.shared);
   setInterval(() => {
     const i = slot[0];
     if (i > 0 && Date.now() > slot[1]) {
       const id = i >= 1e9 ? "load:" + workerData.files[i - 1e9 - 1] : workerData.ids[i - 1];
       fs.writeSync(workerData.fd, JSON.stringify({ type: "limit", id, limit: "wall", ms: workerData.ms }) + "\\n");
       process.kill(process.pid, "SIGKILL");
     }
   }, 50);`,
  { eval: true, workerData: { shared, ids, fd, ms: args.perTestMs, files: checks.WORKBOOK_FILES } },
);
watchdog.unref();
const arm = (index: number, ms: number) => {
  slot[1] = Date.now() + ms;
  slot[0] = index;
};
const disarm = () => {
  slot[0] = 0;
};

// What the student's code prints during a test, kept (its end) for that test's report; what it leaves failing in the
// background, printed.
const printedHere = captureOutput();
printBackgroundErrors();

// With --isolate, the submission's host: the submission's modules are imported there, never here.
const host = pipes ? startSubmissionHost(pipes, { onEnded: endAsHostEnded }) : undefined;
const hostOutput = (): string => host?.output() ?? "";

const workbook = checks.openWorkbook({ source: args.workbook, label: "submission", ...(host ? { importModule: (path: string) => host.importModule(path) } : {}) });
const pieces = pieceLessons(checks.CHECKS);
const sandboxPrefix = `${args.workbook}${sep}`;
/** Paths and commands as the student sees them: week-12/src/x.ts, not the sandbox's copy. */
const local = (text: string | undefined): string | undefined =>
  text === undefined ? undefined : text.split(`DSLAB_WORKBOOK=${args.workbook} `).join("").split(sandboxPrefix).join(`week-12${sep}`).split(args.outDir).join("<out>");

// The load phase: each TypeScript module of the submission on its own, so one that hangs or crashes at import is named.
const loadErrors = new Map<string, string>();
const tsFiles = checks.WORKBOOK_FILES.filter((f) => f.startsWith("src/"));
for (const file of tsFiles) {
  if (args.skipLoad.includes(file)) continue;
  write({ type: "load-start", file });
  arm(1e9 + 1 + checks.WORKBOOK_FILES.indexOf(file), args.perTestMs);
  let error: string | undefined;
  try {
    await workbook.import(file);
  } catch (e) {
    error = local(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
  }
  disarm();
  if (error !== undefined) loadErrors.set(file, error);
  write({ type: "load-done", file, ...(error !== undefined ? { error } : {}) });
}

for (const [i, entry] of entries.entries()) {
  if (args.only.length > 0 && !args.only.includes(entry.planned.id)) continue;
  write({ type: "start", id: entry.planned.id });
  printedHere.take();
  hostOutput();
  const outDir = join(args.outDir, entry.planned.id.replace(/[^A-Za-z0-9._-]+/g, "_"));
  try {
    mkdirSync(outDir, { recursive: true });
  } catch {
    // Fault runs create it when they write; a directory the submission took away is theirs to miss.
  }
  const ctx: CheckContext = {
    workbook,
    seeds: entry.check.faultRun && entry.planned.visibility === "visible" && args.seedScale < 1 ? 1 : undefined,
    outDir,
    progress: () => {},
  };
  arm(i + 1, args.perTestMs + 2_000);
  // A stub's todo() reached: the file it was called from, for the message.
  let todo: { fn: string; file: string } | undefined;
  const watched: CriterionCheck = {
    ...entry.check,
    run: (c) =>
      entry.check.run(c).catch((e: unknown) => {
        const err = e as { name?: unknown; fn?: unknown; stack?: unknown };
        const file = err?.name === "NotImplementedError" && typeof err.fn === "string" ? todoFile(String(err.stack ?? ""), args.workbook) : undefined;
        if (file !== undefined) todo = { fn: err.fn as string, file };
        throw e;
      }),
  };
  let r = await checks.runCheck(watched, ctx, { timeoutMs: args.perTestMs });
  disarm();
  const captured = (printedHere.take() + hostOutput()).slice(-CAPTURE_MAX);
  if (r.status === "todo" && todo !== undefined) {
    r = { ...r, message: notImplementedMessage({ ...todo, criterion: entry.planned.criterion, pieceOf: pieces.get(todo.file) ?? [] }) };
  }
  // A module of the submission that does not load (a syntax error, a throw at import) is the submission's failure, not the check's.
  const broken = [...loadErrors].find(([file]) => entry.planned.files.includes(file)) ?? [...loadErrors][0];
  if (r.status === "error" && broken) {
    r = { ...r, status: "fail", message: `week-12/${broken[0]} does not load: ${broken[1]}`, stack: undefined };
  }
  const where = r.where ? join(checks.REPOSITORY_ROOT, r.where) : undefined;
  write({
    type: "result",
    id: entry.planned.id,
    status: r.status,
    message: local(r.message) ?? "",
    ...(r.expected !== undefined ? { expected: local(r.expected)! } : {}),
    ...(r.received !== undefined ? { received: local(r.received)! } : {}),
    ...(r.replay ? { replay: local(r.replay.command)!, seed: r.replay.seed } : {}),
    ...(where ? { where: local(where)! } : {}),
    // A bug in a check keeps its stack for the instructor; the student's output otherwise.
    output: (r.stack !== undefined ? local(r.stack) : undefined) ?? captured,
    elapsedMs: Math.round(r.elapsedMs),
  });
}
write({ type: "done" });
closeSync(fd);
host?.close();
// Whatever the student's code left running (timers, servers) does not keep the run open.
process.exit(0);
