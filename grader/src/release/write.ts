/** Writes a built release into a directory that is absent or empty. */
import { chmodSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { InputError, prepareOutDir } from "@dslab/protocol/cli";
import type { ReleaseFile } from "./build.js";

export function writeRelease(files: readonly ReleaseFile[], outDir: string): void {
  prepareOutDir(outDir, []);
  const present = readdirSync(outDir);
  if (present.length > 0) throw new InputError(`--out ${outDir}: the directory is not empty (${present.slice(0, 3).join(", ")}${present.length > 3 ? ", ..." : ""}); give a new or empty directory`);
  for (const f of files) {
    const target = join(outDir, f.path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, f.data, { mode: f.mode });
    chmodSync(target, f.mode);
  }
}
