/**
 * The submission's host: the one process of `grader test` that imports the
 * student's modules. The runner (runner.ts) starts it after giving up root
 * and reaches the student's functions through the bridge (bridge.ts) on
 * descriptors 3 and 5 (the runner's calls, without and with blocking) and
 * 4 (the answers): the checks, the
 * hidden suites and the results file stay in the runner's process, where
 * nothing the submission runs can read or write them.
 *
 * Services it offers the runner:
 * - `import(path)`: imports one module and answers with its exports;
 * - `output(reset)`: what the student's code printed since the last reset
 *   (the end of it, and how much in all).
 *
 * It ends when the runner closes its end of the bridge.
 */
import { pathToFileURL } from "node:url";
import { Bridge } from "./bridge.js";

/** The end of what the code printed, kept for the test's report. */
const CAPTURE_MAX = 16_000;
let captured = "";
let printed = 0;
for (const stream of [process.stdout, process.stderr]) {
  const original = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    const text = typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8");
    printed += text.length;
    captured = (captured + text).slice(-CAPTURE_MAX);
    return original(chunk, ...rest);
  }) as typeof stream.write;
}

// What the code leaves failing in the background must not end the host: it is printed with the test it happened in.
process.on("unhandledRejection", (e) => {
  process.stderr.write(`unhandled rejection: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}\n`);
});
process.on("uncaughtException", (e) => {
  process.stderr.write(`uncaught exception: ${e.name}: ${e.message}\n`);
});

// Whatever the student's code left running (timers, servers) does not keep the host alive once the runner is gone.
new Bridge({
  readFd: 3,
  blockingReadFd: 5,
  writeFd: 4,
  peerTrusted: true,
  keepAlive: true,
  onClosed: () => process.exit(0),
  services: {
    async import(path: unknown): Promise<[string[], unknown[]]> {
      if (typeof path !== "string") throw new TypeError("import: a path");
      const mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
      // The namespace's names and values: functions and classes cross as handles, data as copies.
      const names = Object.keys(mod);
      return [names, names.map((name) => mod[name])];
    },
    output(reset: unknown): { text: string; printed: number } {
      const out = { text: captured, printed };
      if (reset === true) {
        captured = "";
        printed = 0;
      }
      return out;
    },
  },
});
