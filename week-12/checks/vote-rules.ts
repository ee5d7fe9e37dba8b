import type { CriterionCheck } from "./types.js";

export const VOTE_RULES_CHECKS: CriterionCheck[] = [];
