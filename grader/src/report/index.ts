/** The result of grading a submission, and its report formats. */
export { buildSubmissionResult, studentView, ResultModelError, VISIBILITIES, type SubmissionResult, type TestResult, type LessonResult, type TestStatus, type Visibility, type BuildInput, type TestInput } from "./model.js";
export { toGradescope, validateGradescopeResults, type GradescopeResults, type GradescopeOptions } from "./gradescope.js";
export { toExercism, validateExercismResults, type ExercismResults } from "./exercism.js";
export { toJUnitXml } from "./junit.js";
export { toMarkdown } from "./markdown.js";
export { FORMATS, formatByName, type ReportFormat, type FormatEntry } from "./formats.js";
export { parseXml, escapeText, escapeAttribute, XmlError, type XmlElement } from "./xml.js";
export { cleanText, trimText, safeText, isWellFormed } from "./text.js";
