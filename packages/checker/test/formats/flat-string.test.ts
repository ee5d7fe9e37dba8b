import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { flatString } from "../../src/index.js";

describe("flatString", () => {
  it("gives back the same characters, for a text built of many pieces, of any characters (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: "binary" }), { maxLength: 40 }), (pieces) => {
        let rope = "";
        for (const p of pieces) rope += p;
        expect(flatString(rope)).toBe(pieces.join(""));
      }),
      { numRuns: 500 },
    );
  });

  it("gives back the empty string and one-character strings as they are", () => {
    expect(flatString("")).toBe("");
    expect(flatString("\u0000")).toBe("\u0000");
    expect(flatString("\uffff")).toBe("\uffff");
  });
});
