/**
 * The check thread's side of isolate.ts: imports the workbook's checks
 * itself, then runs one check per `run` message against the workbook the
 * message names, posting its progress and its result. The parent stops the
 * whole thread when a check overruns, so nothing here keeps time.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { Workbook } from "../../../week-12/checks/index.js";
import { OUTPUT_KEPT, PRINTED_BYTES, PRINTED_LINES, PRINTED_OPEN, type FromWorker, type ToWorker, type WorkerData } from "./isolate.js";
import { loadChecks } from "./load.js";

const port = parentPort!;
const post = (m: FromWorker) => port.postMessage(m);
const checks = await loadChecks((workerData as WorkerData).root);
const workbooks = new Map<string, Workbook>();

function workbook(open: ToWorker["workbook"]): Workbook {
  const key = JSON.stringify(open);
  let w = workbooks.get(key);
  if (w === undefined) {
    workbooks.clear();
    w = checks.openWorkbook(open);
    workbooks.set(key, w);
  }
  return w;
}

/**
 * What the code a check runs prints (a console.log or console.error in a
 * piece) is the check's: it goes to the command as `output` messages, the
 * first OUTPUT_KEPT characters of it, sent as it is written, so an infinite
 * loop that prints still shows its first lines. All of it is counted in the
 * shared counters (PRINTED_*), which the command reads when the check ends,
 * also when it stopped the thread mid-check.
 */
const counters = new Float64Array((workerData as WorkerData).printed);
let capturing = false;
let kept = 0;
for (const stream of [process.stdout, process.stderr]) {
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    if (!capturing) return write(chunk, ...rest);
    const text = typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8");
    counters[PRINTED_BYTES] = counters[PRINTED_BYTES]! + Buffer.byteLength(text);
    let lines = 0;
    for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) lines++;
    counters[PRINTED_LINES] = counters[PRINTED_LINES]! + lines;
    if (text !== "") counters[PRINTED_OPEN] = text.endsWith("\n") ? 0 : 1;
    if (kept < OUTPUT_KEPT && text !== "") {
      const part = text.slice(0, OUTPUT_KEPT - kept);
      kept += part.length;
      post({ type: "output", text: part });
    }
    const done = rest.find((r) => typeof r === "function") as (() => void) | undefined;
    done?.();
    return true;
  }) as typeof stream.write;
}

port.on("message", (m: ToWorker) => {
  void (async () => {
    const check = checks.CHECKS[m.index];
    if (check === undefined || check.criterion !== m.criterion) throw new Error(`check ${m.index} is not ${m.criterion} in this thread's registry`);
    const ctx = { workbook: workbook(m.workbook), seeds: m.seeds, outDir: m.outDir, progress: (done: number, total: number) => post({ type: "progress", done, total }) };
    // The parent's limit stops the thread; the runner's own timer must not fire first.
    counters.fill(0);
    kept = 0;
    capturing = true;
    let result: Awaited<ReturnType<typeof checks.runCheck>>;
    try {
      result = await checks.runCheck(check, ctx, { timeoutMs: 2 ** 31 - 1 });
    } finally {
      capturing = false;
    }
    post({ type: "result", result });
  })();
});
post({ type: "ready" });
