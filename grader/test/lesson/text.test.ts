import { describe, expect, test } from "vitest";
import { normalizeNewlines, repairMojibake } from "../../src/lesson/text.js";

/** What a UTF-8 string looks like when its bytes are decoded as Windows-1252 (undefined bytes as C1 controls). */
function asWindows1252(s: string): string {
  const high: Record<number, string> = { 0x80: "€", 0x82: "‚", 0x83: "ƒ", 0x84: "„", 0x85: "…", 0x86: "†", 0x87: "‡", 0x88: "ˆ", 0x89: "‰", 0x8a: "Š", 0x8b: "‹", 0x8c: "Œ", 0x8e: "Ž", 0x91: "‘", 0x92: "’", 0x93: "“", 0x94: "”", 0x95: "•", 0x96: "–", 0x97: "—", 0x98: "˜", 0x99: "™", 0x9a: "š", 0x9b: "›", 0x9c: "œ", 0x9e: "ž", 0x9f: "Ÿ" };
  return [...new TextEncoder().encode(s)].map((b) => high[b] ?? String.fromCharCode(b)).join("");
}

describe("repairMojibake", () => {
  test.each([
    ["em dash", "—", "â€”"],
    ["right single quote", "’", "â€™"],
    ["left double quote", "“", "â€œ"],
    ["right double quote (undefined byte 0x9D)", "”", "â€\u009d"],
    ["en dash", "–", "â€“"],
    ["ellipsis", "…", "â€¦"],
    ["e acute", "é", "Ã©"],
    ["arrow", "→", "â†’"],
    ["emoji (4 bytes)", "😀", "ðŸ˜€"],
  ])("repairs %s", (_name, good, bad) => {
    expect(asWindows1252(good)).toBe(bad);
    expect(repairMojibake(`a ${bad} b`)).toEqual({ text: `a ${good} b`, repairs: [{ line: 1, from: bad, to: good }] });
  });

  test("leaves correct UTF-8 text and plain Latin-1 words alone", () => {
    for (const s of ["déjà vu — “quoted” ’", "Ã alone", "naïve café", "plain ascii", "café””", "é€™"]) expect(repairMojibake(s)).toEqual({ text: s, repairs: [] });
  });

  test("reports the line of each repair", () => {
    expect(repairMojibake("ok\nok\nx â€” y").repairs).toEqual([{ line: 3, from: "â€”", to: "—" }]);
  });
});

describe("normalizeNewlines", () => {
  test("strips a BOM and turns CRLF and CR into LF", () => {
    expect(normalizeNewlines("\ufeffa\r\nb\rc\n")).toBe("a\nb\nc\n");
  });
});
