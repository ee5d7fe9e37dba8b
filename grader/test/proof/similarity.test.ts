import { describe, expect, test } from "vitest";
import { estimateJaccard, findSimilar, jaccard, shingles, wordHashes } from "../../src/proof/similarity.js";

function log(client: number, lines: number, salt = ""): string {
  const out: string[] = [];
  for (let i = 1; i <= lines; i++) out.push(`t=${i * 13 + client} [apply] client ${client} seq ${i} append key-${(i * 7) % 11} value ${salt}${i}`);
  return out.join("\n");
}

describe("near-duplicate detection across students", () => {
  test("identical text up to case and whitespace is flagged as identical", () => {
    const a = log(1, 40);
    const pairs = findSimilar([{ id: "alice", text: a }, { id: "bob", text: `  ${a.toUpperCase().replace(/ /g, "   ")}\n` }, { id: "carol", text: log(2, 40, "z") }]);
    expect(pairs).toEqual([{ a: "alice", b: "bob", similarity: 1, identical: true }]);
  });

  test("a copy with a few lines edited is near-identical", () => {
    const a = log(1, 100);
    const edited = a.split("\n").map((l, i) => (i % 25 === 0 ? `${l} edited` : l)).join("\n");
    const [pair] = findSimilar([{ id: "x", text: a }, { id: "y", text: edited }]);
    expect(pair).toMatchObject({ a: "x", b: "y", identical: false });
    expect(pair!.similarity).toBeGreaterThan(0.8);
  });

  test("independent runs of the same program are not flagged", () => {
    const docs = Array.from({ length: 30 }, (_, i) => ({ id: `s${i}`, text: log(i + 1, 60, `r${i}-`) }));
    expect(findSimilar(docs)).toEqual([]);
  });

  test("the bottom-k estimate is close to the exact Jaccard similarity", () => {
    const a = shingles(wordHashes(log(1, 300)));
    const b = shingles(wordHashes(log(1, 300).split("\n").map((l, i) => (i % 5 === 0 ? `${l} x` : l)).join("\n")));
    expect(Math.abs(estimateJaccard(a, b) - jaccard(a, b))).toBeLessThan(0.15);
    expect(estimateJaccard(a, a)).toBe(1);
  });

  test("the MinHash candidates agree with a brute-force Jaccard oracle", () => {
    const base = log(3, 80);
    const docs = Array.from({ length: 12 }, (_, i) => ({
      id: `s${String(i).padStart(2, "0")}`,
      text: i % 3 === 0 ? base.split("\n").slice(0, 80 - i).join("\n") : log(i + 10, 50, `u${i}`),
    }));
    const sets = docs.map((d) => shingles(wordHashes(d.text)));
    const oracle: string[] = [];
    for (let i = 0; i < docs.length; i++) for (let j = i + 1; j < docs.length; j++) if (jaccard(sets[i]!, sets[j]!) >= 0.8) oracle.push(`${docs[i]!.id}-${docs[j]!.id}`);
    expect(findSimilar(docs).map((p) => `${p.a}-${p.b}`)).toEqual(oracle);
    expect(oracle.length).toBeGreaterThan(0);
  });
});
