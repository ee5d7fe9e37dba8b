/**
 * The hidden suites, by lesson: at least one per pass criterion of every
 * lesson the workbook serves. They never leave the instructor's repository;
 * `grader test` imports them in the runner before it gives up root.
 */
import { DEDUP_STORE_HIDDEN } from "./dedup-store.js";
import { SEARCH_HIDDEN } from "./search.js";
import { IDEMPOTENCY_KEYS_HIDDEN } from "./idempotency-keys.js";
import { IDEMPOTENT_WRITES_HIDDEN } from "./idempotent-writes.js";
import { RETRY_CLIENT_HIDDEN } from "./retry-client.js";
import type { HiddenTest } from "./types.js";
import { VOTE_RULES_HIDDEN } from "./vote-rules.js";

export const HIDDEN_TESTS: readonly HiddenTest[] = [...IDEMPOTENT_WRITES_HIDDEN, ...DEDUP_STORE_HIDDEN, ...VOTE_RULES_HIDDEN, ...RETRY_CLIENT_HIDDEN, ...IDEMPOTENCY_KEYS_HIDDEN, ...SEARCH_HIDDEN];

export { setSeedScale, seeds, type HiddenTest } from "./types.js";
