/**
 * The reduced search (no drop events, client symmetry, persistent sets:
 * dedup-single.ts's header) against the full one: on the reference store
 * and on wrong stores, the same verdict, the same invariant, and a trace
 * no longer than the full search's; and the reduced space is smaller.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { loadStore, scenarioModel, searchScenario, type DedupStoreClass } from "../../src/search/index.js";
import { STORE_SOLUTION, withTracker } from "./tracker-store.js";

const root = fileURLToPath(new URL("../../../../", import.meta.url));
const mutant = (name: string) => join(root, "grader/test/mutants", `${name}.ts`);

const STORES: Array<[string, () => Promise<DedupStoreClass>]> = [
  ["the reference store", () => loadStore(STORE_SOLUTION)],
  ["no-dedup", () => loadStore(mutant("no-dedup"))],
  ["stale-rewinds-last-seq", () => loadStore(mutant("stale-rewinds-last-seq"))],
  ["seq-less-than", () => withTracker(mutant("seq-less-than"))],
  ["far-below-seq-restarts-session", () => withTracker(mutant("far-below-seq-restarts-session"))],
  ["gap-not-recorded", () => withTracker(mutant("gap-not-recorded"))],
];

const SHAPES = [
  { clients: 1, appends: 2 },
  { clients: 2, appends: 1 },
  { clients: 1, appends: 4 },
  { clients: 2, appends: 2 },
];

describe("dedup-single: the reductions keep every verdict", () => {
  test.each(STORES)("%s: the reduced search and the full search agree on every shape", async (_name, load) => {
    const store = await load();
    for (const shape of SHAPES) {
      const full = searchScenario({ scenario: "dedup-single", store, ...shape, reduce: false, hash: "text" });
      const reduced = searchScenario({ scenario: "dedup-single", store, ...shape, reduce: true, hash: "text" });
      const what = `${shape.clients} x ${shape.appends}`;
      expect(full.end, what).not.toBe("time-limit");
      expect(reduced.end, what).toBe(full.end);
      expect(reduced.violation?.invariant, what).toBe(full.violation?.invariant);
      if (full.trace) expect(reduced.trace!.length, what).toBeLessThanOrEqual(full.trace.length + 2);
      expect(reduced.unique, what).toBeLessThanOrEqual(full.unique);
    }
  }, 120_000);

  test("the reduction shrinks 2 clients x 2 appends with a lost message and a duplicate by more than 5 times", async () => {
    const store = await loadStore(STORE_SOLUTION);
    const full = searchScenario({ scenario: "dedup-single", store, clients: 2, appends: 2, reduce: false });
    const reduced = searchScenario({ scenario: "dedup-single", store, clients: 2, appends: 2, reduce: true });
    expect(full.end).toBe("space-exhausted");
    expect(reduced.end).toBe("space-exhausted");
    expect(reduced.unique * 5).toBeLessThan(full.unique);
  }, 60_000);

  test("client symmetry: a state and its image under c1 <-> c2 have one canonical text; without the reduction they have two", async () => {
    const store = await loadStore(STORE_SOLUTION);
    const model = scenarioModel("dedup-single", store, { clients: 2, appends: 1 }, { reduce: true });
    const s0 = model.initial();
    const events = model.events(s0) as Array<{ kind: string; client?: string }>;
    const t1 = events.find((e) => e.kind === "timer" && e.client === "c1")!;
    const t2 = events.find((e) => e.kind === "timer" && e.client === "c2")!;
    expect(model.canonical(model.step(s0, t1))).toBe(model.canonical(model.step(s0, t2)));
    const plain = scenarioModel("dedup-single", store, { clients: 2, appends: 1 });
    const p0 = plain.initial();
    const all = plain.events(p0) as Array<{ kind: string; client?: string }>;
    expect(plain.canonical(plain.step(p0, all.find((e) => e.kind === "timer" && e.client === "c1")!))).not.toBe(
      plain.canonical(plain.step(p0, all.find((e) => e.kind === "timer" && e.client === "c2")!)),
    );
    expect(all.some((e) => e.kind === "drop")).toBe(true);
    expect((model.events(s0) as Array<{ kind: string }>).some((e) => e.kind === "drop")).toBe(false);
  });
});
