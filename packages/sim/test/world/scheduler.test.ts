import { describe, expect, test } from "vitest";
import { SimScheduler, SimTaskStuckError, type SimTask } from "../../src/world/scheduler.js";
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

  test("an hour of simulated timers runs every one of its 360,000 events", async () => {
    const s = new SimScheduler();
    let n = 0;
    const tick = (): void => {
      n++;
      s.after(10, tick);
    };
    s.after(10, tick);
    await s.runUntil(3_600_000);
    expect(n).toBe(360_000);
    expect(s.eventsRun).toBe(360_000);
    expect(s.wakesRun).toBe(0);
  });
});

/** `depth` extra microtask turns. */
async function turns(depth: number): Promise<void> {
  for (let i = 0; i < depth; i++) await Promise.resolve();
}

/**
 * Two tasks and a periodic event, each task taking `depth(task, step)`
 * extra turns before and after each of its blocks; returns the order in
 * which everything happened, with simulated times.
 */
async function interleaving(depth: (task: string, step: number) => number): Promise<string[]> {
  const s = new SimScheduler();
  const seen: string[] = [];
  const tick = (): void => {
    seen.push(`tick@${s.now()}`);
    if (s.now() < 100) s.after(10, tick);
  };
  s.after(0, tick);
  const worker = async (task: SimTask, name: string, gapMs: number): Promise<void> => {
    for (let step = 0; step < 8; step++) {
      await turns(depth(name, step));
      const reply = s.wait<number>(task);
      s.after(gapMs, () => reply.resolve(step));
      const got = await reply.promise;
      await turns(depth(name, step + 100));
      seen.push(`${name} got ${got}@${s.now()}`);
      await s.sleep(gapMs / 2, task);
      // Work at the woken instant that schedules more events: its place in the order must not move.
      s.after(0, () => seen.push(`${name} after ${step}@${s.now()}`));
    }
  };
  const a = s.spawn("a", (task) => worker(task, "a", 10));
  const b = s.spawn("b", (task) => worker(task, "b", 10));
  await s.runUntil(1_000);
  await Promise.all([a, b]);
  return seen;
}

describe("SimScheduler: simulated code may take any number of microtask turns", () => {
  test("a woken task runs to its next block before the next event, whether its path takes 0, 1, 20 or 500 extra awaits", async () => {
    const plain = await interleaving(() => 0);
    expect(plain).toContain("a got 0@10");
    expect(plain.indexOf("a got 0@10")).toBeLessThan(plain.indexOf("b got 0@10"));
    for (const d of [1, 20, 500]) expect(await interleaving(() => d)).toEqual(plain);
    // Depths that differ per task and per step, so the two tasks' paths are never the same length.
    expect(await interleaving((task, step) => (task === "a" ? (step * 7) % 13 : (step * 11) % 17))).toEqual(plain);
  });

  test("tasks spawned at one instant start one at a time, in spawn order, whatever their first steps await", async () => {
    for (const [da, db] of [[0, 0], [30, 0], [0, 30]] as const) {
      const s = new SimScheduler();
      const order: string[] = [];
      for (const [name, d] of [["a", da], ["b", db]] as const) {
        void s.spawn(name, async (task) => {
          await turns(d);
          order.push(`${name} starts`);
          s.after(0, () => order.push(`${name}'s event`));
          await s.sleep(1, task);
          order.push(`${name} woke`);
        });
      }
      await s.runUntil(10);
      expect(order).toEqual(["a starts", "b starts", "a's event", "b's event", "a woke", "b woke"]);
    }
  });

  test("a task blocked on a race of a reply and a sleep resumes at the winner's instant", async () => {
    const s = new SimScheduler();
    const seen: string[] = [];
    void s.spawn("racer", async (task) => {
      const reply = s.wait<string>(task);
      s.after(30, () => reply.resolve("reply"));
      const winner = await Promise.race([reply.promise, s.sleep(20, task).then(() => "timeout")]);
      seen.push(`${winner}@${s.now()}`);
    });
    s.after(20, () => s.after(0, () => seen.push(`event@${s.now()}`)));
    await s.runUntil(100);
    expect(seen).toEqual(["timeout@20", "event@20"]);
  });

  test("a task waiting on something the simulation never resolves stops the run with an error naming the task", async () => {
    const s = new SimScheduler();
    void s.spawn("worker 3 (client c7)", async (task) => {
      await s.sleep(40, task);
      await new Promise(() => {});
    }).catch(() => {});
    s.after(10, () => {});
    const err = await s.runUntil(1_000).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SimTaskStuckError);
    expect((err as SimTaskStuckError).task).toBe("worker 3 (client c7)");
    expect((err as Error).message).toMatch(/^worker 3 \(client c7\) is waiting on something the simulation does not resolve: it resumed at 40 ms/);
    expect(s.now()).toBe(40);
  });

  test("a task that waits on a real timer stops the run too: real time must not decide the history", async () => {
    const s = new SimScheduler();
    void s.spawn("the final reads", async (task) => {
      await s.sleep(5, task);
      await new Promise((resolve) => setTimeout(resolve, 1));
      await s.sleep(5, task);
    }).catch(() => {});
    await expect(s.runUntil(100)).rejects.toThrow(/^the final reads is waiting on something the simulation does not resolve/);
  });

  test("a task that finishes, or fails, is not waiting on anything", async () => {
    const s = new SimScheduler();
    const done = s.spawn("finishes", async (task) => {
      await s.sleep(5, task);
      return "done";
    });
    const failed = s.spawn("fails", async (task) => {
      await s.sleep(5, task);
      throw new Error("client bug");
    });
    await s.runUntil(100);
    await expect(done).resolves.toBe("done");
    await expect(failed).rejects.toThrow("client bug");
    expect(s.now()).toBe(100);
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
