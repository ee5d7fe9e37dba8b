// Round-trip properties of the text formats the grader writes and repairs (fast-check).
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { csvField, parseCsv } from "../src/gradebook/csv.js";
import { repairMojibake } from "../src/lesson/text.js";
import { checkEvents, type EvidenceEvent } from "../src/proof/evidence.js";
import { escapeText, foldLine } from "../src/schedule/ics.js";
import { unescapeText } from "./helpers/ics.js";

const CP1252: Record<number, string> = { 0x80: "€", 0x82: "‚", 0x83: "ƒ", 0x84: "„", 0x85: "…", 0x86: "†", 0x87: "‡", 0x88: "ˆ", 0x89: "‰", 0x8a: "Š", 0x8b: "‹", 0x8c: "Œ", 0x8e: "Ž", 0x91: "‘", 0x92: "’", 0x93: "“", 0x94: "”", 0x95: "•", 0x96: "–", 0x97: "—", 0x98: "˜", 0x99: "™", 0x9a: "š", 0x9b: "›", 0x9c: "œ", 0x9e: "ž", 0x9f: "Ÿ" };
const asWindows1252 = (s: string) => [...new TextEncoder().encode(s)].map((b) => CP1252[b] ?? String.fromCharCode(b)).join("");

// Course text: ASCII plus the punctuation and letters that get mangled in practice.
const courseText = fc.string({ unit: fc.constantFrom(..."abc XYZ 09-_.,;:!?'\"\n\t—–‘’“”…•€™éàüñ→≤✓😀".split(/(?:)/u)), maxLength: 60 });

describe("round trips", () => {
  test("repairMojibake undoes UTF-8 read as Windows-1252, and leaves good text alone", () => {
    fc.assert(fc.property(courseText, (s) => {
      expect(repairMojibake(asWindows1252(s)).text).toBe(s);
      expect(repairMojibake(s).text).toBe(s);
    }));
  });

  test("CSV fields survive writing and reading", () => {
    fc.assert(fc.property(fc.array(fc.string({ unit: "binary", maxLength: 20 }), { minLength: 1, maxLength: 6 }), (fields) => {
      fc.pre(!(fields.length === 1 && fields[0] === ""));
      const text = fields.map(csvField).join(",") + "\r\n";
      expect(parseCsv(text).map((r) => r.fields)).toEqual([fields]);
    }));
  });

  test("iCalendar text escaping and line folding round-trip, every line at most 75 octets", () => {
    fc.assert(fc.property(fc.string({ unit: "grapheme", maxLength: 200 }), (s) => {
      const line = `DESCRIPTION:${escapeText(s)}`;
      const folded = foldLine(line);
      for (const part of folded.split("\r\n")) expect(new TextEncoder().encode(part).length).toBeLessThanOrEqual(75);
      const unfolded = folded.replace(/\r\n /g, "");
      expect(unfolded).toBe(line);
      expect(unescapeText(unfolded.slice("DESCRIPTION:".length))).toBe(s.replace(/\r\n/g, "\n"));
    }));
  });
});

describe("evidence rules against a dumb oracle", () => {
  const event = fc.record({
    kind: fc.constantFrom("applied" as const, "duplicate" as const, "request" as const, "acknowledged" as const),
    client: fc.constantFrom("1", "2"),
    seq: fc.integer({ min: 1, max: 4 }),
  });

  test("checkEvents flags exactly the events the rules forbid", () => {
    fc.assert(fc.property(fc.array(event, { maxLength: 12 }), (raw) => {
      const events: EvidenceEvent[] = raw.map((e, i) => ({ ...e, line: i + 1, start: 0, end: 0 }));
      const expected: string[] = [];
      events.forEach((e, i) => {
        const earlier = events.slice(0, i).filter((p) => p.client === e.client);
        const applied = earlier.filter((p) => p.kind === "applied");
        // Only the first application of a pair counts towards "highest seq so far".
        const firstApplications = applied.filter((p, k) => applied.findIndex((q) => q.seq === p.seq) === k);
        if (e.kind === "duplicate") {
          if (!earlier.some((p) => p.seq === e.seq)) expected.push(`duplicate-without-original@${e.line}`);
        } else if (e.kind === "applied") {
          if (applied.some((p) => p.seq === e.seq)) expected.push(`applied-twice@${e.line}`);
          else if (firstApplications.some((p) => p.seq >= e.seq)) expected.push(`seq-not-increasing@${e.line}`);
        }
      });
      expect(checkEvents(events).map((v) => `${v.rule}@${v.line}`)).toEqual(expected);
    }));
  });
});
