/**
 * A worker thread of `history-check --jobs N` (see threads.ts): takes the
 * next file from the shared counter, checks it as the main thread would,
 * and sends the report back, until no file is left. A bug while checking
 * a file is sent back with its stack, and the thread stops.
 */
import { checkFile, fileCheck } from "./check-files.js";
import type { CheckThreadData, ThreadMessage } from "./threads.js";

/** Serves checks until no file is left; `now` is the clock of the time limit and of `ms`. */
export async function serveChecks(data: CheckThreadData, now: () => number = () => performance.now()): Promise<void> {
  const { args } = data.check;
  const render = args.html === undefined ? undefined : (await import("../render/timeline.js")).renderTimelineHtml;
  const check = fileCheck(args, now, render);
  const { order, next, checking, slot, port } = data;
  for (let pos = Atomics.add(next, 0, 1); pos < order.length; pos = Atomics.add(next, 0, 1)) {
    const index = order[pos]!;
    Atomics.store(checking, slot, index);
    let message: ThreadMessage;
    try {
      message = { index, report: checkFile(check, args.files[index]!, data.targets[index]) };
    } catch (e) {
      message = { index, bug: e instanceof Error ? (e.stack ?? e.message) : String(e) };
    }
    port.postMessage(message);
    if ("bug" in message) return;
    Atomics.store(checking, slot, -1);
  }
}
