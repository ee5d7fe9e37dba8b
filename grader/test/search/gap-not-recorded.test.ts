/**
 * Mutant gap-not-recorded (w11-l04#1): the search finds it; 1,000 seeds of
 * fault runs do not (search-versus-seeds.ts).
 */
import { expect, test } from "vitest";
import { faultRunSeeds, searchMutant } from "./search-versus-seeds.js";

test("w11-l04#1 gap-not-recorded: the search of 1 client x 4 appends finds the double append in a shortest trace of 8 events", async () => {
  const r = await searchMutant("gap-not-recorded", { clients: 1, appends: 4 });
  expect(r.violation?.invariant).toBe("appends-at-most-once");
  expect(r.violation?.message).toMatch(/^append "c1:4" was applied twice/);
  expect(r.trace).toHaveLength(8);
});

test("w11-l04#1 gap-not-recorded: 1,000 seeds of the dedup-store fault run never apply an append twice with it", async () => {
  expect(await faultRunSeeds("gap-not-recorded", 1_000)).toEqual([]);
}, 1_800_000);
