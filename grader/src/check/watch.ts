/**
 * `grader check --watch`: watches the workbook's `src/` and `node/`
 * directories and reports which workbook files changed, once the edits
 * settle (an editor's save is often several events: write, rename, chmod).
 * Changes that arrive while a re-run is going are kept for the next one, so
 * no save is lost and two runs never overlap. Only source files count, and
 * only those still there when the edits settle: an editor's or `sed -i`'s
 * temporary file (`sed175Dvs`, `x.ts.swp`, `x.ts~`) is not a change.
 */
import { existsSync, watch, type FSWatcher } from "node:fs";
import { join } from "node:path";

export const WATCHED_DIRS = ["src", "node"] as const;
/** The files a piece is written in. */
const SOURCE = /\.(?:[cm]?ts|[cm]?js|py|json)$/;
const SETTLE_MS = 300;

export interface Watching {
  /** The directories watched, relative to the workbook. */
  dirs: string[];
  close(): void;
}

/** Calls `onChange` with the changed files (`src/x.ts`), never while a previous call is still running. */
export function watchWorkbook(workbookDir: string, onChange: (files: string[]) => Promise<void>): Watching {
  const pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  const flush = () => {
    timer = undefined;
    if (running !== undefined || pending.size === 0) return;
    const files = [...pending].sort().filter((f) => existsSync(join(workbookDir, f)));
    pending.clear();
    if (files.length === 0) return;
    running = onChange(files).finally(() => {
      running = undefined;
      if (pending.size > 0) timer = setTimeout(flush, SETTLE_MS);
    });
  };
  const watchers: FSWatcher[] = [];
  const dirs = WATCHED_DIRS.filter((d) => existsSync(join(workbookDir, d)));
  for (const dir of dirs) {
    watchers.push(
      watch(join(workbookDir, dir), (_event, name) => {
        if (name === null || name.startsWith(".") || !SOURCE.test(name.toString())) return;
        pending.add(`${dir}/${name.toString()}`);
        clearTimeout(timer);
        timer = setTimeout(flush, SETTLE_MS);
      }),
    );
  }
  return {
    dirs: [...dirs],
    close() {
      clearTimeout(timer);
      for (const w of watchers) w.close();
    },
  };
}
