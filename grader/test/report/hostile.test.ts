// Hostile text from a submission (control characters, `]]>` and markup, huge
// strings, invalid UTF-16) in every field a submission can reach: each
// format still comes out valid, and bounded.
import { describe, expect, it } from "vitest";
import { FORMATS, isWellFormed, parseXml, validateExercismResults, validateGradescopeResults, type SubmissionResult } from "../../src/report/index.js";
import { L1, sample, sampleTests } from "./sample.js";

const CASES: [string, string][] = [
  ["control characters and terminal escapes", "nul\u0000 bell\u0007 bs\b ff\f vt\u000b esc\u001b[31mred\u001b[0m title\u001b]0;pwned\u0007 del\u007f cr\r end\ufffe\uffff"],
  ["]]> and markup that would close the report's own elements", "]]></system-out></testcase><testcase name=\"fake\"><![CDATA[ x ]]> <!-- --> &amp; &#0; &bogus; <script>alert(1)</script> | pipes | `tick` ``` fence ~~~ [link](javascript:x) *em* _u_"],
  ["a huge string", `${"huge ".repeat(400_000)}tail`],
  ["invalid UTF-16: lone and reversed surrogates", "lone high \ud800 lone low \udfff reversed \udc00\ud800 pair ok 😀 last high \udbff"],
];

function hostileResult(text: string): SubmissionResult {
  const tests = sampleTests().map((t) => ({ ...t, name: `${t.name} ${text}`, message: text, output: text }));
  return { ...sample(tests), submission: sample(tests).submission };
}

function hostileWithError(text: string): SubmissionResult {
  return sample([{ name: text, criterion: `${L1}#1`, weight: 1, maxScore: 1, score: 0, status: "error", message: text, output: text }], { error: text });
}

/** Written text survives a UTF-8 round trip unchanged: no lone surrogate reached it. */
function utf8Clean(s: string): boolean {
  return isWellFormed(s) && Buffer.from(s, "utf8").toString("utf8") === s;
}

describe.each(CASES)("hostile text: %s", (_, text) => {
  for (const build of [hostileResult, hostileWithError]) {
    const r = build(text);
    const label = build === hostileResult ? "in names, messages and outputs" : "in a submission where nothing ran";

    it(`gradescope stays valid ${label}`, () => {
      const out = FORMATS.find((f) => f.name === "gradescope")!.write(r);
      expect(utf8Clean(out)).toBe(true);
      expect(validateGradescopeResults(JSON.parse(out))).toEqual([]);
      expect(out.length).toBeLessThan(400_000);
    });

    it(`exercism stays valid ${label}`, () => {
      const out = FORMATS.find((f) => f.name === "exercism")!.write(r);
      expect(utf8Clean(out)).toBe(true);
      expect(validateExercismResults(JSON.parse(out))).toEqual([]);
      expect(out.length).toBeLessThan(400_000);
    });

    it(`JUnit XML stays well-formed ${label}, and the message reads back as the model holds it`, () => {
      const out = FORMATS.find((f) => f.name === "junit")!.write(r);
      expect(utf8Clean(out)).toBe(true);
      const root = parseXml(out);
      const texts: string[] = [];
      const walk = (e: typeof root): void => {
        if (e.name === "failure" || e.name === "error") texts.push(e.text);
        e.children.forEach(walk);
      };
      walk(root);
      expect(texts.length).toBeGreaterThan(0);
      expect(texts).toContain(r.tests.find((t) => t.status !== "passed")!.message);
      // No fake test case was injected.
      expect(out).not.toContain('<testcase name="fake"');
      expect(out.length).toBeLessThan(1_000_000);
    });

    it(`json stays valid ${label}`, () => {
      const out = FORMATS.find((f) => f.name === "json")!.write(r);
      expect(utf8Clean(out)).toBe(true);
      expect(JSON.parse(out)).toEqual(r);
    });

    it(`Markdown keeps its tables and fences ${label}`, () => {
      const out = FORMATS.find((f) => f.name === "md")!.write(r);
      expect(utf8Clean(out)).toBe(true);
      expect(out).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/);
      let fence: string | undefined;
      for (const line of out.split("\n")) {
        const m = /^(`{3,})/.exec(line);
        if (m) {
          if (fence === undefined) fence = m[1];
          else if (line === fence) fence = undefined;
          continue;
        }
        // Outside a fence no raw HTML, and each table row has exactly six unescaped pipes (five cells).
        if (fence === undefined) expect(line).not.toMatch(/<script|<\/?testcase/i);
        if (fence === undefined && line.startsWith("| ")) expect(line.match(/(?<!\\)\|/g)!.length, line.slice(0, 120)).toBe(6);
      }
      expect(fence).toBeUndefined();
      expect(out.length).toBeLessThan(400_000);
    });
  }
});
