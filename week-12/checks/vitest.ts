/**
 * The visible tests' bridge: each test runs one check against the workbook
 * `DSLAB_WORKBOOK` names and fails with the same one-line message
 * `npm run check` prints.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCheck } from "./run.js";
import type { CheckContext, CriterionCheck } from "./types.js";
import { workbookFromEnv } from "./workbook.js";

export function testContext(): CheckContext {
  return {
    workbook: workbookFromEnv(),
    seeds: undefined,
    outDir: mkdtempSync(join(tmpdir(), "dslab-check-")),
    progress: () => {},
  };
}

/** Runs `check` and throws its rendered failure, if any. */
export async function expectCheckPasses(check: CriterionCheck, ctx: CheckContext = testContext()): Promise<void> {
  const r = await runCheck(check, ctx);
  if (r.status === "pass") return;
  const lines = [r.message];
  if (r.expected !== undefined) lines.push(`expected: ${r.expected}`);
  if (r.received !== undefined) lines.push(`received: ${r.received}`);
  if (r.where !== undefined) lines.push(`at ${r.where}`);
  if (r.replay !== undefined) lines.push(`replay: ${r.replay.command}`);
  if (r.stack !== undefined) lines.push(r.stack);
  throw new Error(lines.join("\n"));
}
