import type { CriterionCheck } from "./types.js";

export const DEDUP_STORE_CHECKS: CriterionCheck[] = [];
