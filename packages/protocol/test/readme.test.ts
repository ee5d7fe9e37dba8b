/**
 * The README's error table is the registry (one table drives
 * retry decisions, history outcomes and the docs): every row matches.
 */
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { errorRegistry } from "../src/index.js";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
const rows = new Map(
  [...readme.matchAll(/^\| (\d+) \| `([a-z-]+)` \| (definite|indefinite) \| (yes|no) \| (yes|no) \| (.+) \|$/gm)].map((m) => [
    Number(m[1]),
    { name: m[2], definite: m[3] === "definite", durable: m[4] === "yes", retryable: m[5] === "yes", meaning: m[6] },
  ]),
);

describe("protocol README", () => {
  test("its error table has one row per registered code, no more", () => {
    expect([...rows.keys()]).toEqual(errorRegistry.map((e) => e.code));
  });

  test.each(errorRegistry.map((e) => [e.code, e.name, e] as const))("row %i (%s) matches the registry", (code, _name, e) => {
    expect(rows.get(code)).toEqual({ name: e.name, definite: e.definite, durable: e.durable, retryable: e.retryable, meaning: e.meaning });
  });
});
