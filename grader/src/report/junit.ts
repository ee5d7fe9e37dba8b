/**
 * JUnit XML as CI parsers read it (Jenkins, GitLab, GitHub test reporters):
 *
 *     <testsuites name tests failures errors skipped time timestamp>
 *       <testsuite name=LESSON id tests failures errors skipped time timestamp>
 *         <properties><property name="lesson.title" value/>...</properties>
 *         <testcase name classname=LESSON time>
 *           <properties><property name="criterion" value="LESSON#n"/>...</properties>
 *           <failure message type>text</failure> | <error message type>text</error>
 *           <system-out>output</system-out>
 *         </testcase>
 *
 * One suite per lesson. Texts are cleaned (text.ts) and escaped (xml.ts), never
 * wrapped in CDATA, so nothing a submission prints can close a section early.
 */
import type { SubmissionResult, TestResult } from "./model.js";
import { trimText } from "./text.js";
import { escapeAttribute as a, escapeText as t } from "./xml.js";

/** Attribute values are kept short: parsers show them on one line. */
const MESSAGE_ATTRIBUTE_CHARS = 1_000;

export function toJUnitXml(r: SubmissionResult): string {
  const seconds = (ms: number | undefined) => ((ms ?? 0) / 1000).toFixed(3);
  const count = (tests: TestResult[]) => ({
    tests: tests.length,
    failures: tests.filter((x) => x.status === "failed").length,
    errors: tests.filter((x) => x.status === "error").length,
  });
  const all = count(r.tests);
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(`<testsuites name="${a(`dslab grader: ${r.submission}`)}" tests="${all.tests}" failures="${all.failures}" errors="${all.errors}" skipped="0" time="${seconds(r.elapsedMs)}" timestamp="${a(r.startedAt)}">`);
  if (r.error !== undefined) {
    // No test could run: one suite with one errored case, so CI shows the reason instead of an empty green run.
    out.push(`  <testsuite name="submission" tests="1" failures="0" errors="1" skipped="0" time="0.000" timestamp="${a(r.startedAt)}">`);
    out.push(`    <testcase name="build and start" classname="submission" time="0.000">`);
    out.push(`      <error message="${a(trimText(r.error, MESSAGE_ATTRIBUTE_CHARS))}" type="error">${t(r.error)}</error>`);
    out.push("    </testcase>", "  </testsuite>");
  }
  for (const lesson of r.lessons) {
    const tests = r.tests.filter((x) => x.lesson === lesson.id);
    const c = count(tests);
    const time = tests.reduce((s, x) => s + (x.durationMs ?? 0), 0);
    out.push(`  <testsuite name="${a(lesson.id)}" id="${a(lesson.id)}" tests="${c.tests}" failures="${c.failures}" errors="${c.errors}" skipped="0" time="${seconds(time)}" timestamp="${a(r.startedAt)}">`);
    out.push("    <properties>");
    out.push(`      <property name="lesson.title" value="${a(lesson.title)}"/>`);
    out.push(`      <property name="lesson.score" value="${lesson.score}"/>`);
    out.push(`      <property name="lesson.max_score" value="${lesson.maxScore}"/>`);
    out.push(`      <property name="lesson.xp" value="${lesson.xp}"/>`);
    out.push("    </properties>");
    for (const x of tests) {
      out.push(`    <testcase name="${a(`${x.criterion} ${x.name}`)}" classname="${a(x.lesson)}" time="${seconds(x.durationMs)}">`);
      out.push("      <properties>");
      out.push(`        <property name="criterion" value="${a(x.criterion)}"/>`);
      out.push(`        <property name="score" value="${x.score}"/>`);
      out.push(`        <property name="max_score" value="${x.maxScore}"/>`);
      out.push(`        <property name="weight" value="${x.weight}"/>`);
      out.push(`        <property name="visibility" value="${x.visibility}"/>`);
      if (x.limit) out.push(`        <property name="limit" value="${x.limit}"/>`);
      out.push("      </properties>");
      if (x.status !== "passed") {
        const tag = x.status === "failed" ? "failure" : "error";
        const type = x.limit ? `limit:${x.limit}` : x.status;
        const message = x.message || (x.limit ? `stopped at the ${x.limit} limit` : x.status);
        out.push(`      <${tag} message="${a(trimText(message, MESSAGE_ATTRIBUTE_CHARS))}" type="${a(type)}">${t(message)}</${tag}>`);
      }
      if (x.output) out.push(`      <system-out>${t(x.output)}</system-out>`);
      out.push("    </testcase>");
    }
    out.push("  </testsuite>");
  }
  out.push("</testsuites>", "");
  return out.join("\n");
}
