/**
 * Which files a command loads: runs its TypeScript entry in a child process
 * (`node --import tsx`), with module hooks that record every module an
 * import resolves to. A test holds a command's `--help` to the few modules it needs, so
 * that a heavy import (a checker, a Markdown parser, the sockets) creeping
 * into the start-up path fails a test rather than only slowing the command.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const REGISTER = fileURLToPath(new URL("./register-module-log.mjs", import.meta.url));

export interface LoadedModules {
  /** The exit code, or null if the run was killed (it outlived `timeoutMs`). */
  code: number | null;
  stdout: string;
  stderr: string;
  /**
   * What the run imported, in order, each once: absolute paths of files, and
   * built-ins as `node:fs`. (Files that CommonJS code require()s are not
   * seen; the package that holds them is.)
   */
  modules: string[];
}

/** Runs `node --import tsx ENTRY ARGS` and reports the modules it imported. */
export function modulesLoadedBy(entry: string, args: readonly string[], options: { cwd?: string; timeoutMs?: number } = {}): LoadedModules {
  const dir = mkdtempSync(join(tmpdir(), "dslab-module-log-"));
  try {
    const log = join(dir, "modules.txt");
    const r = spawnSync(process.execPath, ["--import", "tsx", "--import", REGISTER, entry, ...args], {
      cwd: options.cwd,
      encoding: "utf8",
      env: { ...process.env, DSLAB_MODULE_LOG: log },
      timeout: options.timeoutMs ?? 30_000,
      killSignal: "SIGKILL",
    });
    let text = "";
    try {
      text = readFileSync(log, "utf8");
    } catch {
      // Nothing was loaded after the hooks (the run failed before its entry).
    }
    const urls = text.split("\n").filter((l) => l !== "");
    const modules = [...new Set(urls.map((url) => (url.startsWith("file:") ? fileURLToPath(url) : url)))];
    return { code: r.status, stdout: r.stdout, stderr: r.stderr, modules };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
