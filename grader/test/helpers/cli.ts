// Runs the real `grader` bin as a child process.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";

export const BIN = fileURLToPath(new URL("../../bin/grader.js", import.meta.url));
export const REPO = fileURLToPath(new URL("../../../", import.meta.url));
export const FIXTURES = fileURLToPath(new URL("../fixtures/", import.meta.url));

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `grader ARGS`. A run that outlives `timeoutMs` (default 60 s) is killed
 * and reported with code -1, so a command that hangs fails its test instead
 * of stalling the suite.
 */
export function grader(args: string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const limits = { cwd: options.cwd ?? REPO, maxBuffer: 64 * 1024 * 1024, timeout: options.timeoutMs ?? 60_000, killSignal: "SIGKILL" as const };
    execFile(process.execPath, [BIN, ...args], limits, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : err.killed ? -1 : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
