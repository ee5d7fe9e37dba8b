import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { escapeHtml, highlightPaste } from "../../src/gradebook/html.js";
import { findCriterion, loadCourse } from "../../src/lesson/load.js";

describe("review page HTML", () => {
  test("escapes the five HTML-special characters", () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  });

  test("overlapping highlights split into segments that carry every covering kind", () => {
    const text = "ab [dedup] cd";
    const html = highlightPaste(text, [
      { start: 0, end: 10, kind: "duplicate", label: "dup" },
      { start: 3, end: 10, kind: "regex", label: "re <1>" },
    ]);
    expect(html).toBe('<mark class="hl-duplicate" title="dup">ab </mark><mark class="hl-duplicate hl-regex" title="dup\nre &lt;1&gt;">[dedup]</mark> cd');
  });

  test("no highlights: the escaped text", () => {
    expect(highlightPaste("<x>", [])).toBe("&lt;x&gt;");
  });
});

describe("criterion ids for later suites", () => {
  test("a criterion is found by `<lesson>#<n>`", async () => {
    const course = await loadCourse(fileURLToPath(new URL("../fixtures/course", import.meta.url)));
    expect(findCriterion(course, "fx-retry#2")?.criterion).toMatchObject({ text: "No append applied twice", tests: [] });
    expect(findCriterion(course, "fx-retry#9")).toBeUndefined();
    expect(findCriterion(course, "fx-retry")).toBeUndefined();
  });
});
