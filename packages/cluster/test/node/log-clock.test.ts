import { createPrng } from "@dslab/protocol";
import { describe, expect, it } from "vitest";
import { createKvNodeCore } from "../../src/node/index.js";
import { LogClock } from "../../src/node/log-clock.js";

describe("the log's clock: entry timestamps, the only clock the state machine reads", () => {
  const leaderAt = (lastTs: number, nowMs: number) => {
    const c = new LogClock();
    c.observe(lastTs);
    c.startLeading(nowMs);
    return c;
  };

  it("a new leader whose clock is far ahead continues the log's timeline instead of jumping (which would expire every session at once)", () => {
    const c = leaderAt(1000, 60_000);
    expect(c.stamp(60_000)).toBe(1000);
    expect(c.stamp(60_250)).toBe(1250);
  });

  it("a new leader whose clock is behind stamps the log's last timestamp until its clock catches up (time stands still, never runs back)", () => {
    const c = leaderAt(1000, 400);
    expect(c.stamp(500)).toBe(1000);
    expect(c.stamp(1300)).toBe(1300);
  });

  it("log time never runs backwards, even if the leader's clock does", () => {
    const c = leaderAt(1000, 1000);
    c.observe(c.stamp(5000));
    expect(c.stamp(3000)).toBe(5000);
  });

  it("a node restarted from a log stamps its leader no-op after the log's last timestamp, never before", () => {
    const restored = { hardState: { term: 1, votedFor: null }, snapshot: null, entries: [{ index: 1, term: 1, command: { kind: "noop" as const, ts: 1000 } }] };
    const node = createKvNodeCore({ id: "n1", nodeIds: ["n1"], prng: createPrng(1) }, restored);
    const effects = node.tick(60_000);
    const appended = effects.persist.flatMap((op) => (op.type === "append" ? op.entries : []));
    expect(appended.map((e) => e.command)).toEqual([{ kind: "noop", ts: 1000 }]);
    const write = node.receive({ src: "c1", dest: "n1", body: { type: "write", msg_id: 1, key: "k", value: 1 } }, 60_250);
    const entries = write.persist.flatMap((op) => (op.type === "append" ? op.entries : []));
    expect(entries.map((e) => e.command.ts)).toEqual([1250]);
  });
});
