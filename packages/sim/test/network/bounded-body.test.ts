/**
 * What a process-mode trace keeps of a message body: whole when it is small,
 * its first fields' starts when it is big. A body that arrived as a line of
 * a node's stdout is measured by that line, not serialised again.
 */
import type { Body } from "@dslab/protocol";
import { describe, expect, test } from "vitest";
import { boundedBody } from "../../src/network/trace.js";

/** A body that counts how often it is serialised (JSON.stringify calls toJSON on the field). */
function countingBody(extra: Record<string, unknown> = {}): { body: Body; serialised: () => number } {
  let calls = 0;
  const body = { type: "append_entries", term: 3, counted: { toJSON: () => (calls++, "x") }, ...extra } as unknown as Body;
  return { body, serialised: () => calls };
}

describe("boundedBody: what the trace keeps of a body", () => {
  test("a body whose stdout line is at most the bound is kept whole, as the same object, without serialising it again", () => {
    const { body, serialised } = countingBody({ entries: ["e".repeat(100)] });
    const line = JSON.stringify({ src: "n1", dest: "n2", body });
    const before = serialised();
    expect(boundedBody(body, { lineChars: line.length })).toBe(body);
    expect(serialised()).toBe(before);
  });

  test("a body from a line longer than the bound is still measured by its own JSON: a small one (a line padded with spaces) is kept whole", () => {
    const { body, serialised } = countingBody();
    expect(boundedBody(body, { lineChars: 10_000 })).toBe(body);
    expect(serialised()).toBe(1);
  });

  test("a big body is kept as its first 20 fields, each long one as its start and its length, measured by its line or not", () => {
    const fields: Record<string, unknown> = { type: "append_entries", entries: Array.from({ length: 600 }, () => "e".repeat(100)) };
    for (let i = 0; i < 30; i++) fields[`f${i}`] = i;
    const body = fields as Body;
    const line = JSON.stringify({ src: "n1", dest: "n2", body });
    const bounded = boundedBody(body, { lineChars: line.length });
    expect(bounded).toEqual(boundedBody(body));
    expect(JSON.stringify(bounded).length).toBeLessThan(4096);
    expect(bounded).toMatchObject({ type: "append_entries", entries: expect.stringMatching(/^\["e{100}","e+\.\.\. \(61801 characters\)$/), f17: 17, "...": "12 more fields" });
    expect(bounded).not.toHaveProperty("f18");
  });

  test("a big body of 21 fields says its one field left out in the singular", () => {
    const fields: Record<string, unknown> = { type: "append_entries", entries: Array.from({ length: 600 }, () => "e".repeat(100)) };
    for (let i = 0; i < 19; i++) fields[`f${i}`] = i;
    const bounded = boundedBody(fields as Body);
    expect(bounded).toMatchObject({ f17: 17, "...": "1 more field" });
    expect(bounded).not.toHaveProperty("f18");
  });

  test("without a line (a client's request, made in the harness) the body's JSON is measured", () => {
    const { body, serialised } = countingBody();
    expect(boundedBody(body)).toBe(body);
    expect(serialised()).toBe(1);
  });
});
