import type { CriterionCheck } from "./types.js";

export const RETRY_CLIENT_CHECKS: CriterionCheck[] = [];
