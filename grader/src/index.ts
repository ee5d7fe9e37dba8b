// @dslab/grader: the lesson model and parser, the linter, proof checks, the
// gradebook and review schedules. The `grader` bin is src/cli/main.ts.
export * from "./lesson/model.js";
export { parseLesson } from "./lesson/parse.js";
export { loadCourse, findLesson, findCriterion, CourseDirError, type Course } from "./lesson/load.js";
export { repairMojibake, normalizeNewlines } from "./lesson/text.js";
export { lintCourse, findCycles, type LintReport } from "./lint/lint.js";
export { compilePattern, type CompiledPattern } from "./proof/regex.js";
export { proofChecker, LessonProofConfigError, type ProofChecker, type ProofResult, type ProofOutcome, type Highlight } from "./proof/check.js";
export { parseEvidence, checkEvents, type Evidence, type EvidenceEvent, type EvidenceViolation } from "./proof/evidence.js";
export { decodePaste, DEFAULT_MAX_PASTE_BYTES } from "./proof/input.js";
export { findSimilar, type SimilarPair } from "./proof/similarity.js";
export { gradeClass, type ClassGrading, type Paste } from "./gradebook/batch.js";
export * from "./gradebook/model.js";
export { gradebookCsv, parseCsv } from "./gradebook/csv.js";
export { renderReviewPage } from "./gradebook/html.js";
export { parseCompletions, type Completion } from "./schedule/completions.js";
export { fixedPlan, fsrsPlan, type PlannedReview } from "./schedule/plan.js";
export { buildSchedule } from "./schedule/build.js";
export { renderCalendar, type IcsEvent } from "./schedule/ics.js";
