/**
 * What the student's code prints during a test, kept for that test's
 * report, and what it leaves failing in the background: both for the
 * process the code runs in (the runner, or with --isolate the host).
 */

/** The end of what was printed that a test's report keeps. */
export const CAPTURE_MAX = 16_000;

/**
 * Keeps the end of what this process writes to stdout and stderr (it is
 * still written). `take()` gives it and starts again.
 */
export function captureOutput(): { take(): string } {
  let captured = "";
  for (const stream of [process.stdout, process.stderr]) {
    const original = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      captured = (captured + (typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8"))).slice(-CAPTURE_MAX);
      return original(chunk, ...rest);
    }) as typeof stream.write;
  }
  return {
    take() {
      const text = captured;
      captured = "";
      return text;
    },
  };
}

/**
 * What the code leaves failing in the background (a promise nobody awaits,
 * an error thrown from a timer) must not end the run: it is printed with
 * the test it happened in, and the test goes on.
 */
export function printBackgroundErrors(): void {
  process.on("unhandledRejection", (e) => {
    process.stderr.write(`unhandled rejection: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}\n`);
  });
  process.on("uncaughtException", (e) => {
    process.stderr.write(`uncaught exception: ${e.name}: ${e.message}\n`);
  });
}
