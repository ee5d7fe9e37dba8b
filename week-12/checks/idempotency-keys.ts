import type { CriterionCheck } from "./types.js";

export const IDEMPOTENCY_KEY_CHECKS: CriterionCheck[] = [];
