/**
 * The report formats by name, each a function from the result to the text of
 * one file, and the file name it is usually written under.
 */
import { toExercism } from "./exercism.js";
import { toGradescope, type GradescopeOptions } from "./gradescope.js";
import { toJUnitXml } from "./junit.js";
import { toMarkdown } from "./markdown.js";
import type { SubmissionResult } from "./model.js";

export type ReportFormat = "gradescope" | "exercism" | "junit" | "json" | "md";

export interface FormatEntry {
  name: ReportFormat;
  fileName: string;
  summary: string;
  write: (r: SubmissionResult, o?: GradescopeOptions) => string;
}

export const FORMATS: readonly FormatEntry[] = [
  { name: "gradescope", fileName: "results.json", summary: "Gradescope autograder results.json", write: (r, o) => `${JSON.stringify(toGradescope(r, o), null, 2)}\n` },
  { name: "exercism", fileName: "results.json", summary: "Exercism test-runner results.json, version 2", write: (r) => `${JSON.stringify(toExercism(r), null, 2)}\n` },
  { name: "junit", fileName: "junit.xml", summary: "JUnit XML for CI test reporters", write: (r) => toJUnitXml(r) },
  { name: "json", fileName: "result.json", summary: "the result model itself", write: (r) => `${JSON.stringify(r, null, 2)}\n` },
  { name: "md", fileName: "report.md", summary: "a Markdown report, a table per lesson", write: (r) => toMarkdown(r) },
];

export function formatByName(name: string): FormatEntry | undefined {
  return FORMATS.find((f) => f.name === name);
}
