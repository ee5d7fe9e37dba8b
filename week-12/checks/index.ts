/**
 * Every visible check, by lesson. `npm run check` orders them by the
 * lessons' prerequisites; `grader lint` holds each lesson's "How to check"
 * column to this list.
 */
import { DEDUP_STORE_CHECKS } from "./dedup-store.js";
import { IDEMPOTENCY_KEY_CHECKS } from "./idempotency-keys.js";
import { RETRY_CLIENT_CHECKS } from "./retry-client.js";
import { withSearchChecks } from "./search.js";
import type { CriterionCheck } from "./types.js";
import { VOTE_RULES_CHECKS } from "./vote-rules.js";

export const CHECKS: readonly CriterionCheck[] = [...withSearchChecks(DEDUP_STORE_CHECKS), ...withSearchChecks(VOTE_RULES_CHECKS), ...RETRY_CLIENT_CHECKS, ...IDEMPOTENCY_KEY_CHECKS];

export { LESSON, criterion } from "./lessons.js";
export { runCheck, describeError, type CriterionResult, type CriterionStatus } from "./run.js";
export { openWorkbook, workbookFromEnv, WORKBOOK_DIR, SOLUTION_DIR, REPOSITORY_ROOT, type OpenOptions } from "./workbook.js";
export { CheckFailure, isCheckFailure, WORKBOOK_FILES, type CheckContext, type CriterionCheck, type Replay, type Workbook, type WorkbookFile } from "./types.js";
