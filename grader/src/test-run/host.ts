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
 * - `output()`: what the student's code printed since the last call (the
 *   end of it).
 *
 * It ends when the runner closes its end of the bridge.
 */
import { pathToFileURL } from "node:url";
import { Bridge } from "./bridge.js";
import { captureOutput, printBackgroundErrors } from "./capture.js";

// What the code prints, kept for the test's report; what it leaves failing in the background, printed.
const printed = captureOutput();
printBackgroundErrors();

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
    output(): { text: string } {
      return { text: printed.take() };
    },
  },
});
