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

/**
 * With reference cores alone, a core takes a raft_* body from a peer as
 * another reference core's output and skips its schema check
 * (`peerBodiesTrusted`). Sound only if every raft_* body that reaches a node
 * from a node's id is one a core sent, unchanged: no fault rewrites a
 * packet, and nothing but a core sends from a node's id.
 */
describe("every raft_* body a node receives from a peer is one a core sent, unchanged", () => {
  test.each(["exactly-once", "lin-kv"] as const)("%s, 5 nodes, every fault", async (workload) => {
    const sentTexts = new Set<string>();
    const nodeIds = new Set<string>();
    let peerBodies = 0;
    const unsent: string[] = [];
    const recordSent = (effects: Effects): Effects => {
      for (const m of effects.send) if (m.body.type.startsWith("raft_")) sentTexts.add(JSON.stringify(m.body));
      return effects;
    };
    const createCore = (config: NodeConfig, restored: PersistentState): KvNodeCore => {
      for (const id of config.nodeIds) nodeIds.add(id);
      const core = createKvNodeCore(config, restored);
      return {
        id: core.id,
        tick: (nowMs) => recordSent(core.tick(nowMs)),
        receive: (m: Message, nowMs) => {
          if (m.body.type.startsWith("raft_") && nodeIds.has(m.src)) {
            peerBodies++;
            if (!sentTexts.has(JSON.stringify(m.body))) unsent.push(JSON.stringify(m));
          }
          return recordSent(core.receive(m, nowMs));
        },
        status: () => core.status(),
      };
    };
    const a = await runInProcess(
      { ...DEFAULT_CONFIG, seed: "32", workload, nodes: 5, timeLimitS: 8, concurrency: 12, nemesis: [...FAULT_KINDS] },
      { createCore },
    );
    expect(a.results!.verdict).toBe("valid");
    expect(peerBodies).toBeGreaterThan(2_000);
    expect(unsent).toEqual([]);
  });
});
