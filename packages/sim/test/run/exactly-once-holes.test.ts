/**
 * "Definitely failed" must mean that no copy of the operation was or will be
 * applied, even on a network that duplicates requests and delivers old ones
 * late. Two exact schedules, each a real retrying client against real node
 * cores (driven in memory by the cluster's RaftDriver), with the network's
 * misbehaviour placed by hand, the history checked by the exactly-once
 * checker. Then the swarm seeds that first found them, replayed.
 */
import { checkExactlyOnce, writeHistoryJson } from "@dslab/checker";
import { KvClient, TransportError, type OpResult, type Transport } from "@dslab/client";
import { RaftDriver } from "@dslab/cluster/testing";
import { createPrng, ErrorCode, type Body, type Json, type Message } from "@dslab/protocol";
import { describe, expect, test } from "vitest";
import { HistoryRecorder, type OpF } from "../../src/history/recorder.js";
import { runInProcess } from "../../src/run/in-process.js";
import { DEFAULT_CONFIG, type RunConfig } from "../../src/run/config.js";
import { FAULT_KINDS } from "../../src/nemesis/schedule.js";

const MS_PER_TICK = 10;

/**
 * The client's side of the wire: every copy it sends is kept (the network
 * can deliver it again later) and delivered at once; `network` decides which
 * reply, if any, reaches the client (by default the copy's own reply).
 */
class Wire implements Transport {
  readonly copies: Message[] = [];
  network: (copy: Message, replies: Body[]) => Body | undefined = (copy, replies) =>
    replies.find((r) => r.in_reply_to === copy.body.msg_id);
  private msgId = 0;

  constructor(
    private readonly d: RaftDriver,
    private readonly name: string,
  ) {}

  async send(node: string, body: Body, timeoutMs: number): Promise<Body> {
    const copy: Message = { src: this.name, dest: node, body: { ...body, msg_id: ++this.msgId } };
    this.copies.push(copy);
    const handed = this.network(copy, this.deliver(copy));
    if (handed) return handed;
    this.d.nowMs += timeoutMs;
    throw new TransportError("timeout", node, `no reply within ${timeoutMs} ms`);
  }

  /** Delivers a copy (a first send, a duplicate, or a late replay) and everything it causes; returns the replies to this client. */
  deliver(copy: Message): Body[] {
    this.d.request(copy.src, copy.dest, copy.body);
    this.d.stabilize();
    return this.d.takeReplies(this.name).map((m) => m.body);
  }
}

function cluster(): RaftDriver {
  return new RaftDriver({ nodeIds: ["n1", "n2", "n3"], seed: "exactly-once-holes", msPerTick: MS_PER_TICK, config: { sessionTimeoutMs: 1_000 } });
}

function elect(d: RaftDriver): string {
  for (let i = 0; i < 500 && d.leader() === null; i++) d.run(1);
  const leader = d.leader();
  if (leader === null) throw new Error("no leader after 500 rounds");
  return leader;
}

function client(d: RaftDriver, wire: Wire, clientId: string, extra: Partial<ConstructorParameters<typeof KvClient>[0]> = {}): KvClient {
  return new KvClient({
    nodes: ["n1", "n2", "n3"],
    transport: wire,
    prng: createPrng(clientId),
    clientId,
    clock: { now: () => d.nowMs },
    // Backoff is simulated time passing on the cluster.
    sleep: async (ms) => d.run(Math.ceil(ms / MS_PER_TICK)),
    attemptTimeoutMs: 100,
    ...extra,
  });
}

/** Records one operation the way the simulator's driver does: fail for "failed", info for "unknown". */
async function recorded(h: HistoryRecorder, process: number, f: OpF, key: string, value: Json, c: KvClient, run: () => Promise<OpResult>): Promise<OpResult> {
  h.invoke(process, f, key, value, { clientId: c.clientId, ...(f === "read" ? {} : { seq: c.nextSeq }) });
  const r = await run();
  if (r.outcome === "ok") h.ok(process, (r.reply.value as Json | undefined) ?? null, { attempts: r.attempts });
  else if (r.outcome === "failed") h.fail(process, { code: r.error.code, name: "" }, { attempts: r.attempts });
  else h.info(process, { code: r.lastError.code, name: "" }, { attempts: r.attempts });
  return r;
}

describe("definitely failed means no copy was or will be applied", () => {
  test("a network duplicate of an applied increment that arrives after its session expired is answered 'applied, reply gone' (1005), and the client reports unknown, not failed", async () => {
    const d = cluster();
    const leader = elect(d);
    const h = new HistoryRecorder(() => d.nowMs);
    const wire = new Wire(d, "c129");
    const c129 = client(d, wire, "c129", { nodes: [leader] });
    expect((await recorded(h, 0, "incr", "m0", 1, c129, () => c129.incr("m0"))).outcome).toBe("ok");

    // Seq 2 is applied; its reply is delayed in the network, and the network
    // also made a duplicate of the request, which it delivers only after the
    // session has expired (another client's write advances the log's clock).
    // The duplicate's reply is the one that reaches the client first.
    const delayed: Body[] = [];
    let duplicateReply: Body | undefined;
    wire.network = (copy, replies) => {
      wire.network = () => undefined;
      delayed.push(...replies);
      d.run(150);
      const c7 = new Wire(d, "c7");
      expect(c7.deliver({ src: "c7", dest: leader, body: { type: "write", key: "x", value: 1, client_id: "c7", seq: 1, msg_id: 1 } })).toEqual([
        expect.objectContaining({ type: "write_ok" }),
      ]);
      duplicateReply = wire.deliver(copy)[0];
      return duplicateReply;
    };
    const second = await recorded(h, 0, "incr", "m0", 1, c129, () => c129.incr("m0"));

    expect(delayed).toEqual([expect.objectContaining({ type: "incr_ok", value: 2 })]);
    expect(duplicateReply).toMatchObject({ code: ErrorCode.ReplyUnavailable, text: expect.stringContaining("c129 seq 2 was applied once") });
    expect(second).toMatchObject({ outcome: "unknown", because: "an-attempt-may-have-applied", lastError: { code: ErrorCode.ReplyUnavailable } });

    const reader = client(d, new Wire(d, "r1"), "r1", { nodes: [leader] });
    const read = await recorded(h, 1, "read", "m0", null, reader, () => reader.get("m0"));
    expect(read).toMatchObject({ outcome: "ok", reply: { value: 2 } });
    const verdict = checkExactlyOnce(h.history());
    expect(verdict.anomalies).toEqual([]);
    expect(verdict.valid).toBe(true);
  });

  test("an append refused by every node while no leader is known, then replayed late into a leader and applied, was reported unknown (a copy may still arrive), not failed", async () => {
    const d = cluster();
    // No leader can be elected while every node is cut off from the others;
    // each answers 11 "no leader known".
    d.partition([["n1"], ["n2"], ["n3"]]);
    const h = new HistoryRecorder(() => d.nowMs);
    const wire = new Wire(d, "c99");
    const c99 = client(d, wire, "c99", { maxRetries: 3 });
    const gaveUp = await recorded(h, 0, "append", "log", "c99:1", c99, () => c99.append("log", "c99:1"));
    expect(wire.copies.length).toBe(4);
    expect(gaveUp.log.map((l) => l.rule)).toEqual(["no-leader", "no-leader", "no-leader", "no-leader"]);
    expect(gaveUp).toMatchObject({ outcome: "unknown", because: "a-copy-may-still-arrive", gaveUp: "max-retries", lastError: { code: 11 } });

    // The partition heals, a leader is elected, and the network replays the first copy to it.
    d.heal();
    const leader = elect(d);
    expect(wire.deliver({ ...wire.copies[0]!, dest: leader })).toEqual([expect.objectContaining({ type: "append_ok", value: ["c99:1"] })]);

    const reader = client(d, new Wire(d, "r1"), "r1", { nodes: [leader] });
    expect(await recorded(h, 1, "read", "log", null, reader, () => reader.get("log"))).toMatchObject({ reply: { value: ["c99:1"] } });
    const verdict = checkExactlyOnce(h.history());
    expect(verdict.anomalies).toEqual([]);
    expect(verdict.valid).toBe(true);
  });

  test("once a later seq of the same client is applied, the old seq's late copy is refused as stale and never applied", async () => {
    const d = cluster();
    const leader = elect(d);
    const wire = new Wire(d, "c5");
    const c5 = client(d, wire, "c5", { maxRetries: 1 });
    expect((await c5.append("log", "first")).outcome).toBe("ok");
    d.partition([["n1"], ["n2"], ["n3"]]);
    d.run(100);
    const sent = wire.copies.length;
    expect(await c5.append("log", "lost")).toMatchObject({ outcome: "unknown", seq: 2 });
    d.heal();
    const newLeader = elect(d);
    expect(await c5.append("log", "third", { node: newLeader })).toMatchObject({ outcome: "ok", seq: 3 });
    expect(wire.deliver({ ...wire.copies[sent]!, dest: newLeader }).map((b) => b.code)).toEqual([ErrorCode.StaleRequest]);
    const reader = client(d, new Wire(d, "r1"), "r1", { nodes: [newLeader] });
    expect(await reader.get("log")).toMatchObject({ reply: { value: ["first", "third"] } });
    expect(leader).toMatch(/^n\d$/);
  });
});

describe("the 5-node sessions seeds that found these holes", () => {
  const nemesis = ["partition", "kill", "pause", "duplicate", "lose-reply", "replay", "loss", "delay", "clock"] as const;
  const config = (seed: string): RunConfig => ({
    ...DEFAULT_CONFIG,
    seed,
    nodes: 5,
    timeLimitS: 10,
    rate: 100,
    concurrency: 12,
    workload: "sessions",
    nemesis: [...nemesis],
  });

  test("every fault kind is in that nemesis list", () => {
    expect([...nemesis].sort()).toEqual([...FAULT_KINDS].sort());
  });

  test.each(["900686", "920564", "921969"])("seed %s replays valid, with a byte-identical history on a second run", async (seed) => {
    const a = await runInProcess(config(seed));
    expect(a.results!.anomalies).toEqual([]);
    expect(a.results!.verdict).toBe("valid");
    const b = await runInProcess(config(seed));
    expect(writeHistoryJson(b.history)).toBe(writeHistoryJson(a.history));
  }, 60_000);
});
