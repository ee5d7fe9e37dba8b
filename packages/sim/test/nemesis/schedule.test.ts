import { describe, expect, test } from "vitest";
import { createPrng } from "@dslab/protocol";
import { FAULT_KINDS, generateNemesisSchedule, parseFaultList } from "../../src/nemesis/schedule.js";

const opts = { nodeIds: ["n1", "n2", "n3"], faults: new Set(FAULT_KINDS), startMs: 1_000, healAtMs: 20_000 };

describe("nemesis schedule: one seeded fault schedule for both modes", () => {
  test("the same seed gives the same schedule, another seed another one", () => {
    const a = generateNemesisSchedule(createPrng("s/nemesis"), opts);
    expect(generateNemesisSchedule(createPrng("s/nemesis"), opts)).toEqual(a);
    expect(generateNemesisSchedule(createPrng("t/nemesis"), opts)).not.toEqual(a);
  });

  test("faults start after the first election, are sorted by time, and end with a heal", () => {
    const ops = generateNemesisSchedule(createPrng(7), opts);
    expect(ops[0]!.atMs).toBeGreaterThan(1_000);
    for (let i = 1; i < ops.length; i++) expect(ops[i]!.atMs).toBeGreaterThanOrEqual(ops[i - 1]!.atMs);
    expect(ops.at(-1)).toEqual({ atMs: 20_000, op: "heal" });
    const kinds = new Set(ops.map((o) => o.op));
    for (const k of ["partition-start", "kill", "pause", "duplicate", "lose-reply"]) expect(kinds).toContain(k);
  });

  test("every kill has its restart and every pause its resume", () => {
    const ops = generateNemesisSchedule(createPrng(9), opts);
    for (const o of ops) {
      if (o.op === "kill") expect(ops.some((r) => r.op === "restart" && r.slot === o.slot && r.atMs >= o.atMs)).toBe(true);
      if (o.op === "pause") expect(ops.some((r) => r.op === "resume" && r.slot === o.slot && r.atMs >= o.atMs)).toBe(true);
    }
  });

  test("an unknown fault name is refused with the list of known ones", () => {
    expect(() => parseFaultList("partition,bogus")).toThrow(/unknown fault "bogus".*partition, kill/);
    expect([...parseFaultList("all")]).toEqual([...FAULT_KINDS]);
    expect([...parseFaultList("none")]).toEqual([]);
  });
});
