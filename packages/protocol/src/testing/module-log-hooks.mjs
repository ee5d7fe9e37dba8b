// Module hooks that append every module Node resolves for an import (file
// URLs and node: built-ins) to the file named by DSLAB_MODULE_LOG, one per
// line. Registered by register-module-log.mjs; see loaded-modules.ts.
import { appendFileSync } from "node:fs";

const log = process.env.DSLAB_MODULE_LOG;

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  if (log !== undefined) appendFileSync(log, `${resolved.url}\n`);
  return resolved;
}
