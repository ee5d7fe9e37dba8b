import { describe, expect, test } from "vitest";
import { createPrng, type Message } from "@dslab/protocol";
import { SimScheduler } from "../../src/world/scheduler.js";
import { PacketSimulator } from "../../src/network/packet-simulator.js";
import { MessageTrace } from "../../src/network/trace.js";
import { isolate, oneWayPartition, randomSplit, splitPartition } from "../../src/network/partition.js";

function setup(seed = "net") {
  const scheduler = new SimScheduler();
  const delivered: Array<Message & { at: number }> = [];
  const trace = new MessageTrace({ keepPeerMessages: true, maxEntries: 10_000 });
  const net = new PacketSimulator({
    timeline: scheduler,
    prng: createPrng(seed),
    nodeIds: ["n1", "n2", "n3"],
    latency: { minMs: 1, meanExtraMs: 5, maxMs: 50 },
    trace,
    deliver: (m) => void delivered.push({ ...m, at: scheduler.now() }),
  });
  return { scheduler, delivered, trace, net };
}

const msg = (src: string, dest: string, type: string, extra: Record<string, unknown> = {}): Message => ({ src, dest, body: { type, msg_id: 1, ...extra } });

describe("packet simulator: latency, partitions, lost replies, duplicates and late replays, all from the seed", () => {
  test("latency is drawn from the distribution, so messages are reordered but every one arrives", async () => {
    const { scheduler, delivered, net } = setup();
    for (let i = 0; i < 200; i++) net.send({ src: "n1", dest: "n2", body: { type: "raft_x", msg_id: i } });
    await scheduler.runUntil(1_000);
    expect(delivered).toHaveLength(200);
    const order = delivered.map((m) => m.body.msg_id as number);
    expect(order).not.toEqual([...order].sort((a, b) => a - b));
    for (const m of delivered) expect(m.at).toBeGreaterThanOrEqual(1);
  });

  test("a partition drops node-to-node messages across it, both ways; clients still reach every node", async () => {
    const { scheduler, delivered, net, trace } = setup();
    net.faults.partition = isolate("n1", ["n1", "n2", "n3"]);
    net.send(msg("n1", "n2", "raft_a"));
    net.send(msg("n3", "n1", "raft_b"));
    net.send(msg("n2", "n3", "raft_c"));
    net.send(msg("c1", "n1", "read", { key: "x" }));
    await scheduler.runUntil(100);
    expect(delivered.map((m) => m.body.type).sort()).toEqual(["raft_c", "read"]);
    expect(trace.entries.filter((e) => e.kind === "message" && e.fate === "dropped-partition")).toHaveLength(2);
  });

  test("a one-way partition drops one direction only", async () => {
    const { scheduler, delivered, net } = setup();
    net.faults.partition = oneWayPartition(["n1"], ["n2"]);
    net.send(msg("n1", "n2", "raft_a"));
    net.send(msg("n2", "n1", "raft_b"));
    await scheduler.runUntil(100);
    expect(delivered.map((m) => m.body.type)).toEqual(["raft_b"]);
  });

  test("a random split leaves a strict majority on one side", () => {
    const ids = ["n1", "n2", "n3", "n4", "n5"];
    const prng = createPrng("split");
    for (let i = 0; i < 50; i++) {
      const p = randomSplit(ids, prng);
      const [a, b] = p.label.split(" | ").map((s) => s.replace(/[{}]/g, "").split(" "));
      expect(Math.max(a!.length, b!.length)).toBeGreaterThanOrEqual(3);
    }
    expect(splitPartition(["n1"], ["n2"]).blocked.has("n2>n1")).toBe(true);
  });

  test("lose-reply drops an *_ok reply to a client (the request was applied), never a request or a read", async () => {
    const { scheduler, delivered, net, trace } = setup();
    net.faults.loseReplyProbability = 1;
    net.send(msg("n1", "c1", "append_ok", { in_reply_to: 1, value: [1] }));
    net.send(msg("n1", "c1", "read_ok", { in_reply_to: 2, value: 1 }));
    net.send(msg("c1", "n1", "append", { key: "k", value: 1 }));
    await scheduler.runUntil(100);
    expect(delivered.map((m) => m.body.type).sort()).toEqual(["append", "read_ok"]);
    expect(trace.entries.some((e) => e.kind === "message" && e.fate === "dropped-lost-reply")).toBe(true);
  });

  test("duplication delivers a second copy; a late replay re-sends an old client request", async () => {
    const { scheduler, delivered, net } = setup();
    net.faults.duplicateProbability = 1;
    net.send(msg("c1", "n1", "append", { key: "k", value: 1, client_id: "7", seq: 1 }));
    await scheduler.runUntil(100);
    expect(delivered).toHaveLength(2);
    net.faults.duplicateProbability = 0;
    expect(net.replayOldRequest(50, 1_000)).not.toBeNull();
    await scheduler.runUntil(200);
    expect(delivered).toHaveLength(3);
    expect(delivered[2]!.body).toMatchObject({ type: "append", client_id: "7", seq: 1 });
  });

  test("each delivery is a copy of its own: a node that changes what it received changes neither a duplicate, nor a late replay, nor the trace", async () => {
    const scheduler = new SimScheduler();
    const trace = new MessageTrace({ keepPeerMessages: true, maxEntries: 10_000 });
    const seen: unknown[] = [];
    const net = new PacketSimulator({
      timeline: scheduler,
      prng: createPrng("copies"),
      nodeIds: ["n1"],
      latency: { minMs: 1, meanExtraMs: 5, maxMs: 50 },
      trace,
      deliver: (m) => {
        seen.push(structuredClone(m.body.value));
        // A careless node: it edits the message it was handed.
        (m.body.value as number[]).push(99);
        m.body.key = "changed";
      },
    });
    net.faults.duplicateProbability = 1;
    net.send({ src: "c1", dest: "n1", body: { type: "append", msg_id: 1, key: "k", value: [1], client_id: "c1", seq: 1 } });
    await scheduler.runUntil(500);
    expect(net.replayOldRequest(0, 10_000)).not.toBeNull();
    await scheduler.runUntil(1_000);
    expect(seen).toEqual([[1], [1], [1]]);
    const traced = trace.entries.filter((e) => (e as { kind: string }).kind === "message") as unknown as Array<{ body: { key: unknown; value: unknown } }>;
    expect(traced.length).toBe(3);
    for (const t of traced) expect(t.body).toMatchObject({ key: "k", value: [1] });
  });
});
