/**
 * The frames of a V8 stack trace that point into files, for the commands
 * that tell a user where their own code threw: `at fn (/path/f.ts:3:9)`,
 * `at /path/f.ts:3:9` or `at fn (file:///path/f.ts:3:9)`. Node's own frames
 * (`node:internal/...`) and frames without a file (`<anonymous>`) are left
 * out; a `file://` URL is given as its path, without a loader's `?query`.
 * Its own entry point (`@dslab/protocol/stack-frames`), so that the commands
 * that never blame a module do not load it.
 */
import { isAbsolute } from "node:path";

export interface StackFrame {
  /** An absolute path. */
  file: string;
  line: number;
  column: number;
}

const FRAME = /\(?((?:file:\/\/)?[^()\s]+?):(\d+):(\d+)\)?$/;

export function stackFrames(stack: string | undefined): StackFrame[] {
  const frames: StackFrame[] = [];
  // The first line is the error's message, not a frame.
  for (const text of (stack ?? "").split("\n").slice(1)) {
    const m = FRAME.exec(text.trim());
    if (!m) continue;
    const location = m[1]!.replace(/\?[^/]*$/, "");
    let file: string;
    try {
      // A file URL's path, decoded (no node:url: a command imports this while it starts).
      file = location.startsWith("file://") ? decodeURIComponent(location.slice("file://".length)) : location;
    } catch {
      continue;
    }
    if (isAbsolute(file)) frames.push({ file, line: Number(m[2]), column: Number(m[3]) });
  }
  return frames;
}
