/** Writes a built release into a directory that is absent or empty. */
import { chmodSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { abbreviatePath, InputError, prepareOutDir } from "@dslab/protocol/cli";
import { unreadableReason } from "../fs/reasons.js";
import type { ReleaseFile } from "./build.js";

export function writeRelease(files: readonly ReleaseFile[], outDir: string): void {
  prepareOutDir(outDir, []);
  const present = readdirSync(outDir);
  if (present.length > 0) throw new InputError(`--out ${outDir}: the directory is not empty (${present.slice(0, 3).join(", ")}${present.length > 3 ? ", ..." : ""}); give a new or empty directory`);
  for (const f of files) {
    const target = join(outDir, f.path);
    try {
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, f.data, { mode: f.mode });
      chmodSync(target, f.mode);
    } catch (err) {
      // Files before it are written: the directory holds part of a release, which is no release to hand out.
      const shown = (err as NodeJS.ErrnoException).code === "ENAMETOOLONG" ? abbreviatePath(outDir) : outDir;
      throw new InputError(`--out ${shown}: cannot write ${f.path} there: ${unreadableReason(err, "write")}; the release there is incomplete: remove it and write it again`, { cause: err });
    }
  }
}
