import { describe, expect, test } from "vitest";
import { SimScheduler } from "../../src/world/scheduler.js";
import { createWorldSeeds } from "../../src/world/seeds.js";

describe("SimScheduler: simulated time, far faster than real time", () => {
  test("runs events in time order, and events at the same time in the order they were scheduled", async () => {
    const s = new SimScheduler();
    const seen: string[] = [];
    s.at(5, () => seen.push("b@5"));
    s.at(1, () => seen.push("a@1"));
    s.at(5, () => seen.push("c@5"));
    s.at(3, () => s.at(5, () => seen.push("d@5 (scheduled at 3)")));
    await s.runUntil(10);
    expect(seen).toEqual(["a@1", "b@5", "c@5", "d@5 (scheduled at 3)"]);
    expect(s.now()).toBe(10);
  });

  test("a cancelled event does not run", async () => {
    const s = new SimScheduler();
    let ran = false;
    s.after(2, () => (ran = true)).cancel();
    await s.runUntil(5);
    expect(ran).toBe(false);
  });

  test("sleep resolves at its simulated instant, and the continuation runs before time moves on", async () => {
    const s = new SimScheduler();
    const log: Array<[string, number]> = [];
    void (async () => {
      await s.sleep(100);
      log.push(["woke", s.now()]);
      await s.sleep(50);
      log.push(["woke again", s.now()]);
    })();
    s.at(120, () => log.push(["event", s.now()]));
    await s.runUntil(1000);
    expect(log).toEqual([
      ["woke", 100],
      ["event", 120],
      ["woke again", 150],
    ]);
  });

  test("an hour of simulated timers takes well under a second of wall time", async () => {
    const s = new SimScheduler();
    let n = 0;
    const tick = (): void => {
      n++;
      s.after(10, tick);
    };
    s.after(10, tick);
    const t0 = performance.now();
    await s.runUntil(3_600_000);
    expect(n).toBe(360_000);
    expect(performance.now() - t0).toBeLessThan(2_000);
  });
});

describe("world seeds: one master seed derives every sub-seed", () => {
  test("the same master seed gives the same streams; labels give independent ones", () => {
    const a = createWorldSeeds(42);
    const b = createWorldSeeds("42");
    const draw = (p: { next(): number }) => [p.next(), p.next(), p.next()];
    expect(draw(a.network)).toEqual(draw(b.network));
    expect(draw(a.node("n1", 0))).toEqual(draw(b.node("n1", 0)));
    expect(draw(a.node("n1", 0))).not.toEqual(draw(a.node("n1", 1)));
    expect(draw(createWorldSeeds(42).workload)).not.toEqual(draw(createWorldSeeds(43).workload));
  });
});
