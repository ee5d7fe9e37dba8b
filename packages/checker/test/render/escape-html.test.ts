/**
 * escapeHtml, which returns a string with nothing to escape as it is (one
 * test, no replace), against a plain one-regex escaping: the same
 * text for any string, escapes or none.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { escapeHtml } from "../../src/index.js";

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const oracle = (s: string): string => s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

const UNITS = ["&", "<", ">", '"', "'", "a", " ", "→", "…", "\n", "\ud800", "&amp;", ";"];

describe("escapeHtml", () => {
  it("escapes any string as the one-regex escaping did, with or without a character to escape (property)", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: "binary" }), fc.string({ unit: fc.constantFrom(...UNITS) })), (s) => {
        expect(escapeHtml(s)).toBe(oracle(s));
      }),
      { numRuns: 2000 },
    );
  });

  it("escapes each of & < > \" ' and leaves the rest", () => {
    expect(escapeHtml(`a&b<c>d"e'f`)).toBe("a&amp;b&lt;c&gt;d&quot;e&#39;f");
    expect(escapeHtml("plain → text…")).toBe("plain → text…");
    expect(escapeHtml("")).toBe("");
  });
});
