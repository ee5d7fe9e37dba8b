import { describe, expect, it } from "vitest";
import { nonFiniteNumberPath, roundedInteger } from "../src/finite-json.js";

describe("numbers JSON cannot carry", () => {
  it.each([
    ["12345678901234567890", { literal: "12345678901234567890", path: "" }],
    ['{"value":9007199254740993}', { literal: "9007199254740993", path: ".value" }],
    ['{"a":[1,"x,]",{"b c":[2,-99999999999999999]}]}', { literal: "-99999999999999999", path: '.a[2]["b c"][1]' }],
    ['{"k\\"1":{"x":[[],[3,{"y":9007199254740993}]]}}', { literal: "9007199254740993", path: '["k\\"1"].x[1][1].y' }],
  ])("roundedInteger(%s) finds the integer past 2^53-1 and where it lies", (text, found) => {
    expect(roundedInteger(text)).toEqual(found);
  });

  it.each([["9007199254740991"], ["-9007199254740991"], ['[1e20, 1.5e300, -0.1]'], ['"12345678901234567890"'], ['{"12345678901234567890":1}']])(
    "roundedInteger(%s) is null: every number there is the double it names",
    (text) => {
      expect(roundedInteger(text)).toBeNull();
    },
  );

  it("nonFiniteNumberPath names where 1e400 lies", () => {
    expect(nonFiniteNumberPath(JSON.parse('{"a":[1,1e400]}'))).toBe(".a[1]");
    expect(nonFiniteNumberPath(JSON.parse("[1,2]"))).toBeNull();
  });
});
