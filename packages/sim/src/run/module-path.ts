/**
 * Where a `--core` or `--client` module path points: an absolute path as it
 * is; a relative one from the current directory, or else from the
 * repository root, which is where replay commands are written from.
 */
import { existsSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const REPOSITORY_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

export function resolveModulePath(modulePath: string): string {
  if (isAbsolute(modulePath)) return modulePath;
  const here = resolve(process.cwd(), modulePath);
  if (existsSync(here)) return here;
  const fromRoot = resolve(REPOSITORY_ROOT, modulePath);
  return existsSync(fromRoot) ? fromRoot : here;
}
