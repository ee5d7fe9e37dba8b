/**
 * The check thread's side of isolate.ts: imports the workbook's checks
 * itself, then runs one check per `run` message against the workbook the
 * message names, posting its progress and its result. The parent stops the
 * whole thread when a check overruns, so nothing here keeps time.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { Workbook } from "../../../week-12/checks/index.js";
import type { FromWorker, ToWorker, WorkerData } from "./isolate.js";
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

port.on("message", (m: ToWorker) => {
  void (async () => {
    const check = checks.CHECKS[m.index];
    if (check === undefined || check.criterion !== m.criterion) throw new Error(`check ${m.index} is not ${m.criterion} in this thread's registry`);
    const ctx = { workbook: workbook(m.workbook), seeds: m.seeds, outDir: m.outDir, progress: (done: number, total: number) => post({ type: "progress", done, total }) };
    // The parent's limit stops the thread; the runner's own timer must not fire first.
    const result = await checks.runCheck(check, ctx, { timeoutMs: 2 ** 31 - 1 });
    post({ type: "result", result });
  })();
});
post({ type: "ready" });
