/**
 * Where a check thread is running when the limit stops it: the command's
 * thread attaches the inspector to the check thread (the NodeWorker domain of an
 * in-process inspector connection, no port opened), pauses it, and reads the
 * stack of the paused code (an Error's stack, so tsx's source maps give the
 * lines of the TypeScript the student wrote). A synchronous loop is paused
 * where it is, as a debugger would; a thread waiting on something that never
 * comes runs no code to pause, and after a second (or `boundMs` in all) the
 * answer is undefined.
 * Any failure of the inspector is an undefined answer too: the caller's
 * message stands without the place.
 */
import type { Worker } from "node:worker_threads";
import { stackFrames, type StackFrame } from "@dslab/protocol/stack-frames";

export interface RunningFrame extends StackFrame {
  /** The function's name as the stack gives it ("" for an anonymous function or a module's top level). */
  function: string;
}

/** The stack of the code `worker` is running, frames into files only, the innermost first; undefined if it could not be had within `boundMs`. */
export async function runningStack(worker: Worker, boundMs: number): Promise<RunningFrame[] | undefined> {
  let inspector: typeof import("node:inspector");
  try {
    inspector = await import("node:inspector");
  } catch {
    return undefined;
  }
  const link = new inspector.Session();
  let timer: NodeJS.Timeout | undefined;
  try {
    link.connect();
    const bound = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), boundMs)));
    return await Promise.race([bound, pausedStack(link, worker)]);
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
    // Ends the attachment: the thread resumes (the caller terminates it).
    try {
      link.disconnect();
    } catch {
      // already gone
    }
  }
}

/** How long a thread that answered the inspector has to pause. */
const PAUSE_MS = 1_000;

async function pausedStack(link: InstanceType<typeof import("node:inspector").Session>, worker: Worker): Promise<RunningFrame[]> {
  const attached = new Promise<string>((resolve) => {
    // The inspector numbers the threads its own way; their titles end with the thread's id.
    link.on("NodeWorker.attachedToWorker", (m: { params: { sessionId: string; workerInfo: { title: string } } }) => {
      if (m.params.workerInfo.title.endsWith(`[worker ${worker.threadId}]`)) resolve(m.params.sessionId);
    });
  });
  const replies = new Map<number, (m: { result?: unknown; error?: { message: string } }) => void>();
  let onPaused: (callFrameId: string) => void = () => {};
  const paused = new Promise<string>((resolve) => (onPaused = resolve));
  link.on("NodeWorker.receivedMessageFromWorker", (m: { params: { message: string } }) => {
    const message = JSON.parse(m.params.message) as { id?: number; method?: string; params?: { callFrames?: Array<{ callFrameId: string }> }; result?: unknown; error?: { message: string } };
    if (message.id !== undefined) replies.get(message.id)?.(message);
    else if (message.method === "Debugger.paused" && message.params?.callFrames?.[0] !== undefined) onPaused(message.params.callFrames[0].callFrameId);
  });
  link.post("NodeWorker.enable", { waitForDebuggerOnStart: false });
  const thread = await attached;
  let next = 0;
  const send = (method: string, params: object = {}) =>
    new Promise<unknown>((resolve, reject) => {
      const id = ++next;
      replies.set(id, (m) => (m.error !== undefined ? reject(new Error(m.error.message)) : resolve(m.result)));
      link.post("NodeWorker.sendMessageToWorker", { sessionId: thread, message: JSON.stringify({ id, method, params }) });
    });
  await send("Debugger.enable");
  void send("Debugger.pause").catch(() => {});
  // The thread answered: running code pauses at once; a thread that waits runs none, and has no place to tell.
  let waited: NodeJS.Timeout | undefined;
  const idle = new Promise<never>((_, reject) => (waited = setTimeout(() => reject(new Error("the thread runs no code")), PAUSE_MS)));
  const callFrameId = await Promise.race([paused, idle]).finally(() => clearTimeout(waited));
  // An Error made in the paused frame: its stack runs through the source maps, and past the default 10 frames.
  const expression = "(() => { const limit = Error.stackTraceLimit; Error.stackTraceLimit = 100; try { return new Error().stack; } finally { Error.stackTraceLimit = limit; } })()";
  const evaluated = (await send("Debugger.evaluateOnCallFrame", { callFrameId, expression, silent: true })) as { result?: { value?: unknown } };
  void send("Debugger.resume").catch(() => {});
  const stack = evaluated.result?.value;
  return typeof stack === "string" ? framesOf(stack) : [];
}

/** A stack's frames into files, with their functions' names; the evaluated expression's own frames (eval, <anonymous>) are not files. */
export function framesOf(stack: string): RunningFrame[] {
  const frames: RunningFrame[] = [];
  for (const line of stack.split("\n").slice(1)) {
    if (/\beval at\b/.test(line)) continue;
    const [frame] = stackFrames(`\n${line}`);
    if (frame === undefined) continue;
    const named = /^\s*at (?:async )?(.+?) \(/.exec(line);
    // A module's function called on the module (a namespace, or the Proxy the checks put around it) is named alone.
    frames.push({ ...frame, function: (named?.[1] ?? "").replace(/^(?:Proxy|Object|Module)\./, "") });
  }
  return frames;
}
