/**
 * With the reference core, the network delivers each packet's own body, not
 * a copy (a copy per delivery is a measurable share of a run). That is sound
 * only if the core never writes to a message it received or sent (nor to
 * anything a sent message refers to, such as a value in its state machine
 * that a reply carries): here every message reaches it deep-frozen, and
 * every message it sends is deep-frozen as it leaves, so such a write would
 * throw (modules are strict code) and stop the run, under every workload
 * and every fault.
 */
import { describe, expect, test } from "vitest";
import { createKvNodeCore, type Effects, type KvNodeCore, type NodeConfig, type PersistentState } from "@dslab/cluster";
import type { Message } from "@dslab/protocol";
import { runInProcess } from "../../src/run/in-process.js";
import { DEFAULT_CONFIG } from "../../src/run/config.js";
import { FAULT_KINDS } from "../../src/nemesis/schedule.js";

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === "object" && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

let received = 0;
let sent = 0;

function freezeSent(effects: Effects): Effects {
  for (const m of effects.send) deepFreeze(m);
  sent += effects.send.length;
  return effects;
}

function frozenMessages(config: NodeConfig, restored: PersistentState): KvNodeCore {
  const core = createKvNodeCore(config, restored);
  return {
    id: core.id,
    tick: (nowMs) => freezeSent(core.tick(nowMs)),
    receive: (m: Message, nowMs) => {
      received++;
      return freezeSent(core.receive(deepFreeze(m), nowMs));
    },
    status: () => core.status(),
  };
}

describe("the reference core never writes to a message it received or sent", () => {
  test.each(["exactly-once", "lin-kv", "sessions"] as const)("%s, 5 nodes, every fault: every message arrives and leaves deep-frozen, and the run is valid", async (workload) => {
    received = 0;
    sent = 0;
    const a = await runInProcess(
      { ...DEFAULT_CONFIG, seed: "31", workload, nodes: 5, timeLimitS: 8, concurrency: 12, nemesis: [...FAULT_KINDS] },
      { createCore: frozenMessages },
    );
    expect(received).toBeGreaterThan(5_000);
    expect(sent).toBeGreaterThan(5_000);
    expect(a.results!.anomalies).toEqual([]);
    expect(a.results!.verdict).toBe("valid");
  });
});
