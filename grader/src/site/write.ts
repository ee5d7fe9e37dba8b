// Writes a built site into a directory (created if needed).
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { SiteFile } from "./build.js";

/** A file of the site (`file`, relative to the site's directory) that could not be written; `cause` is the system's error. */
export class SiteWriteError extends Error {
  constructor(
    readonly file: string,
    cause: unknown,
  ) {
    super(`cannot write ${file}`, { cause });
  }
}

export async function writeSite(dir: string, files: readonly SiteFile[]): Promise<void> {
  for (const f of files) {
    const target = path.join(dir, ...f.path.split("/"));
    try {
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, f.data);
    } catch (err) {
      throw new SiteWriteError(f.path, err);
    }
  }
}
