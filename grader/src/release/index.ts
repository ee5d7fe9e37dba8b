/** The student release and the files it is built from. */
export { collectRelease, releaseManifest, ReleaseError, KEPT_DEV_DEPENDENCIES, KEPT_SCRIPTS, RELEASE_TEST_SCRIPT, WORKBOOK_TEST_SCRIPT, type ReleaseFile, type CollectOptions } from "./build.js";
export { classroomWorkflow, resultsVariable, stepId, STEP_TIMEOUT_MINUTES, type ReleaseLesson } from "./classroom.js";
export { describeLeak, findLeaks, findLeaksInDir, fingerprint, listFiles, normalizeWhitespace, protectedFingerprints, MIN_FINGERPRINT_CHARS, type Fingerprint, type Leak } from "./leaks.js";
export { releaseLessons, DEFAULT_MAX_SCORE } from "./lessons.js";
export { pruneLockfile, LockfileError, type Lockfile, type RootManifest } from "./lockfile.js";
export { instructorOnlyReason, instructorOnlyPassages, matchesPattern, shippingRule, shipRulesFor, stripInstructorOnly, InstructorMarkerError, SHIP_RULES, GENERATED_FILES, type Profile, type ShipRule } from "./rules.js";
export { writeRelease } from "./write.js";
