/**
 * One node as a child process (Maelstrom-style): JSON lines in on stdin,
 * out on stdout, logs on stderr. The harness survives whatever the program
 * does: a crash (reported with its exit code or signal), a hang (no replies;
 * the liveness check sees it), a flood of stdout (lines are read and
 * counted; an oversized line is skipped without buffering it), a node that
 * stops reading its stdin (what waits for it is bounded), non-protocol or
 * misaddressed lines (each reported with the node and the line number, and
 * dropped), children it starts (the node runs in a process group of its own:
 * a kill, a pause and the node's own exit reach every process in it).
 * SIGKILL, restart with the same data directory, SIGSTOP/SIGCONT for pause.
 */
import { execa, parseCommandString, type ResultPromise } from "execa";
import { LineSplitter, type Body, type Message } from "@dslab/protocol";
import { killGroup, signalGroup, trackGroup } from "./process-group.js";

export interface NodeProblem {
  node: string;
  kind: "non-protocol-line" | "oversized-line" | "misaddressed" | "crashed" | "init-timeout" | "spawn-failed" | "stdin-full";
  message: string;
  /** 1-based stdout line number, for line problems. */
  line?: number;
  atMs: number;
}

export interface NodeProcessOptions {
  id: string;
  command: string;
  /** Extra arguments (e.g. --data-dir DIR). */
  args: string[];
  onMessage: (m: Message) => void;
  /** Whether a message may go to `dest` (a node, a client of the run); others are reported and dropped. */
  knownDest?: (dest: string) => boolean;
  onProblem: (p: NodeProblem) => void;
  now: () => number;
  /** Bound on one stdout line; longer lines are skipped and reported. */
  maxLineBytes?: number;
  /** Keep at most this many stderr lines (default 5,000)... */
  maxLogLines?: number;
  /** ...and at most this many characters of them (default 1 MiB): the tail of the node's stderr. */
  maxLogChars?: number;
  /** Bound on what waits unread in the node's stdin (default 8 MiB); past it, messages to the node are dropped. */
  maxStdinBytes?: number;
  /** Every stderr line, as it arrives. */
  onLog?: (line: string) => void;
}

export class NodeProcess {
  private child: ResultPromise | null = null;
  private expectingExit = false;
  private paused = false;
  private stdinFullReported = false;
  readonly logs: string[] = [];
  private logChars = 0;
  linesOut = 0;
  /** The number of the last stdout line ended, in this run of the node. */
  private lastLineNumber = 0;
  badLines = 0;
  /** Line problems beyond this many per node are counted, not reported one by one. */
  private static readonly MAX_REPORTED_LINES = 20;
  starts = 0;

  constructor(private readonly opts: NodeProcessOptions) {}

  get running(): boolean {
    return this.child !== null;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  start(): void {
    const [file, ...baseArgs] = parseCommandString(this.opts.command);
    if (!file) throw new Error("--bin: empty command");
    this.starts++;
    this.expectingExit = false;
    this.paused = false;
    this.stdinFullReported = false;
    this.lastLineNumber = 0;
    const child = execa(file, [...baseArgs, ...this.opts.args], {
      stdin: "pipe",
      stdout: "pipe",
      stderr: "pipe",
      buffer: false,
      reject: false,
      encoding: "utf8",
      // Its own process group, killed as a whole (process-group.ts also kills it if the harness stops).
      detached: true,
      cleanup: false,
    });
    this.child = child;
    trackGroup(child.pid);
    // When the node exits, whatever it started goes too: a child left holding its stdout and stderr
    // would keep them open, and its exit would go unnoticed until that child ended.
    child.on("exit", () => killGroup(child.pid));
    const maxLineBytes = this.opts.maxLineBytes ?? 1024 * 1024;
    const splitter = new LineSplitter(maxLineBytes);
    // The unfinished line's length so far: one that passes the bound is reported then, not when (if ever) it ends.
    let pending = 0;
    let reportedEarly = 0;
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (chunk: string) => {
      let lastLine = 0;
      for (const l of splitter.push(chunk)) {
        lastLine = l.lineNumber;
        if (!(l.oversized && l.lineNumber === reportedEarly)) this.onLine(l.line, l.lineNumber, l.oversized);
      }
      const nl = chunk.lastIndexOf("\n");
      pending = nl === -1 ? pending + chunk.length : chunk.length - nl - 1;
      const unfinished = (lastLine || this.lastLineNumber) + 1;
      if (lastLine) this.lastLineNumber = lastLine;
      if (pending > maxLineBytes && reportedEarly !== unfinished) {
        reportedEarly = unfinished;
        this.onLine("", unfinished, true);
      }
    });
    child.stdout!.on("end", () => {
      for (const l of splitter.end()) if (!(l.oversized && l.lineNumber === reportedEarly)) this.onLine(l.line, l.lineNumber, l.oversized);
    });
    const errSplitter = new LineSplitter(64 * 1024);
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (chunk: string) => {
      for (const l of errSplitter.push(chunk)) this.log(l.line);
    });
    child.stdin!.on("error", () => {
      // The child died with writes pending (EPIPE): its exit is reported below.
    });
    void child.then((r) => {
      if (this.child !== child) return;
      this.child = null;
      if (!this.expectingExit) {
        const how = r.signal ? `signal ${r.signal}` : `exit code ${r.exitCode}`;
        const failed = (r as { failed?: boolean; originalMessage?: string }).originalMessage;
        this.opts.onProblem({
          node: this.opts.id,
          kind: r.exitCode === undefined && !r.signal ? "spawn-failed" : "crashed",
          message: `node ${this.opts.id} exited on its own (${how})${failed ? `: ${failed}` : ""}; last stderr: ${this.logs.slice(-3).map(shortLine).join(" / ") || "(none)"}`,
          atMs: this.opts.now(),
        });
      }
    });
  }

  private log(line: string): void {
    this.opts.onLog?.(line);
    const maxLines = this.opts.maxLogLines ?? 5000;
    const maxChars = this.opts.maxLogChars ?? 1 << 20;
    this.logs.push(line);
    this.logChars += line.length;
    let drop = 0;
    while (drop < this.logs.length && (this.logs.length - drop > maxLines || this.logChars > maxChars)) this.logChars -= this.logs[drop++]!.length;
    if (drop > 0) this.logs.splice(0, drop);
  }

  private reportLine(p: NodeProblem): void {
    this.badLines++;
    if (this.badLines <= NodeProcess.MAX_REPORTED_LINES) this.opts.onProblem(p);
  }

  /** Bad stdout lines not reported one by one (beyond the first 20). */
  get unreportedBadLines(): number {
    return Math.max(0, this.badLines - NodeProcess.MAX_REPORTED_LINES);
  }

  private onLine(line: string, lineNumber: number, oversized: boolean): void {
    this.linesOut++;
    if (oversized) {
      this.reportLine({
        node: this.opts.id,
        kind: "oversized-line",
        line: lineNumber,
        message: `${this.opts.id} stdout:${lineNumber}: line longer than the bound, skipped`,
        atMs: this.opts.now(),
      });
      return;
    }
    if (line.trim() === "") return;
    const m = parseMessage(line);
    if (!m) {
      const preview = line.length > 120 ? `${line.slice(0, 120)}...` : line;
      this.reportLine({
        node: this.opts.id,
        kind: "non-protocol-line",
        line: lineNumber,
        message: `${this.opts.id} stdout:${lineNumber}: not a protocol message (want {"src","dest","body":{"type",...}}): ${JSON.stringify(preview)}`,
        atMs: this.opts.now(),
      });
      return;
    }
    const wrong =
      m.src !== this.opts.id
        ? `"src" is ${JSON.stringify(m.src)}, not ${this.opts.id}`
        : this.opts.knownDest && !this.opts.knownDest(m.dest)
          ? `"dest" is ${JSON.stringify(m.dest)}, neither a node nor a client of this run`
          : null;
    if (wrong !== null) {
      this.reportLine({ node: this.opts.id, kind: "misaddressed", line: lineNumber, message: `${this.opts.id} stdout:${lineNumber}: ${wrong}; the message is dropped`, atMs: this.opts.now() });
      return;
    }
    LINE_CHARS.set(m.body, line.length);
    this.opts.onMessage(m);
  }

  /**
   * Writes a message to the node's stdin; false when it is dropped instead:
   * the node is gone, or has left `maxStdinBytes` unread (a node that stopped
   * reading while others flood it would otherwise grow the harness's memory
   * without bound). A paused node's backlog is the pause's doing; any other
   * node's is reported, once per start.
   */
  send(m: Message): boolean {
    const stdin = this.child?.stdin;
    if (!stdin || stdin.destroyed) return false;
    const maxBytes = this.opts.maxStdinBytes ?? 8 << 20;
    if (stdin.writableLength >= maxBytes) {
      if (!this.paused && !this.stdinFullReported) {
        this.stdinFullReported = true;
        this.opts.onProblem({
          node: this.opts.id,
          kind: "stdin-full",
          message: `${this.opts.id} is not reading its stdin: ${formatBytes(maxBytes)} wait unread there; messages to it are dropped until it reads`,
          atMs: this.opts.now(),
        });
      }
      return false;
    }
    stdin.write(JSON.stringify(m) + "\n");
    return true;
  }

  kill(): void {
    if (!this.child) return;
    this.expectingExit = true;
    killGroup(this.child.pid);
    this.child = null;
    this.paused = false;
  }

  pause(): void {
    if (!this.child || this.paused) return;
    signalGroup(this.child.pid, "SIGSTOP");
    this.paused = true;
  }

  resume(): void {
    if (!this.child || !this.paused) return;
    signalGroup(this.child.pid, "SIGCONT");
    this.paused = false;
  }
}

/** A stderr line as a report quotes it: a long one (up to 64 KiB) as its start and its length. */
function shortLine(line: string): string {
  return line.length <= 300 ? line : `${line.slice(0, 300)}... (${line.length} characters)`;
}

function formatBytes(n: number): string {
  return n % (1 << 20) === 0 ? `${n / (1 << 20)} MiB` : `${n} bytes`;
}

/** A message body from a node -> the length of the stdout line it arrived in (which holds its JSON). */
const LINE_CHARS = new WeakMap<Body, number>();

/**
 * The length of the stdout line a node's message body arrived in, or
 * undefined for a body that did not come from a node's stdout: the trace
 * bounds a body by it instead of serialising the body again.
 */
export function stdoutLineChars(body: Body): number | undefined {
  return LINE_CHARS.get(body);
}

/** Shape check only: routing needs src, dest and a body with a type; the receiver validates the rest. */
export function parseMessage(line: string): Message | null {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) return null;
  const o = v as Record<string, unknown>;
  const body = o.body as Record<string, unknown> | undefined;
  if (typeof o.src !== "string" || typeof o.dest !== "string" || typeof body !== "object" || body === null || typeof body.type !== "string") return null;
  return o as unknown as Message;
}
