import { createPrng, type Message } from "@dslab/protocol";
import { describe, expect, it } from "vitest";
import type { PersistOp, PersistentState, Storage } from "../../src/contract.js";
import { createKvNodeCore } from "../../src/node/core.js";
import { KvNodeRuntime } from "../../src/runtime/node-runtime.js";
import { MemoryStorage } from "../../src/storage/index.js";

/** A real MemoryStorage whose fsyncs complete only when the test opens the gate. */
class GatedStorage implements Storage {
  readonly inner = new MemoryStorage();
  readonly calls: PersistOp[][] = [];
  private gates: Array<() => void> = [];
  constructor(private readonly events: string[]) {}
  load(): Promise<PersistentState> {
    return this.inner.load();
  }
  persist(ops: PersistOp[]): Promise<void> {
    const n = this.calls.push(ops);
    this.events.push(`persist ${n} start`);
    return new Promise((resolve) =>
      this.gates.push(() => {
        this.inner.persistSync(ops);
        this.events.push(`persist ${n} done`);
        resolve();
      }),
    );
  }
  get waiting(): number {
    return this.gates.length;
  }
  open(): void {
    for (const g of this.gates.splice(0)) g();
  }
  async close(): Promise<void> {}
}

const settle = () => new Promise((r) => setImmediate(r));

async function singleNode() {
  const events: string[] = [];
  const storage = new GatedStorage(events);
  const sent: Message[] = [];
  const core = createKvNodeCore({ id: "n1", nodeIds: ["n1"], prng: createPrng("runtime-test") }, await storage.load());
  const runtime = new KvNodeRuntime({
    core,
    storage,
    send: (m) => {
      events.push(`send ${m.body.type}`);
      sent.push(m);
    },
    log: () => {},
    now: () => 1_000,
  });
  /** Opens fsync gates until nothing is waiting. */
  const drain = async () => {
    for (let i = 0; i < 20; i++) {
      await settle();
      if (storage.waiting === 0) return;
      storage.open();
    }
  };
  return { events, storage, sent, runtime, drain };
}

const write = (seq: number): Message => ({
  src: "c1",
  dest: "n1",
  body: { type: "write", msg_id: seq, key: "x", value: seq, client_id: "c1", seq },
});

describe("KvNodeRuntime: effects in order (contract: persist before send)", () => {
  it("sends no reply before the persist that precedes it has completed", async () => {
    const { events, storage, sent, runtime, drain } = await singleNode();
    runtime.deliver(write(1));
    await settle();
    expect(sent).toEqual([]); // the entry is not durable yet
    expect(storage.waiting).toBe(1);
    await drain();
    expect(sent.map((m) => m.body.type)).toEqual(["write_ok"]);
    // Every send comes after the completion of every persist started before it.
    for (const [i, e] of events.entries()) {
      if (!e.startsWith("send")) continue;
      const started = events.slice(0, i).filter((x) => x.endsWith("start")).length;
      const done = events.slice(0, i).filter((x) => x.endsWith("done")).length;
      expect(done, `before "${e}" at event ${i}: ${events.join(", ")}`).toBe(started);
    }
    await runtime.close();
  });

  it("collects the effects of every input that arrives during one fsync into the next single persist (group commit)", async () => {
    const { storage, sent, runtime, drain } = await singleNode();
    runtime.deliver(write(1));
    await drain(); // leader, first write done
    const before = storage.calls.length;
    runtime.deliver({ src: "c2", dest: "n1", body: { type: "write", msg_id: 1, key: "y", value: 0, client_id: "c2", seq: 1 } });
    await settle();
    expect(storage.waiting).toBe(1); // fsync in flight
    for (let seq = 2; seq <= 11; seq++) runtime.deliver(write(seq));
    await settle();
    expect(storage.calls.length).toBe(before + 1); // the 10 wait for the fsync in flight
    await drain();
    const appendsPerCall = storage.calls.slice(before).map((ops) => ops.filter((o) => o.type === "append").length);
    expect(appendsPerCall[1]).toBeGreaterThanOrEqual(10); // one persist for all ten writes
    expect(sent.filter((m) => m.body.type === "write_ok")).toHaveLength(12);
    await runtime.close();
  });

  it("submit() resolves with the reply body, and with an indefinite timeout error when no reply comes", async () => {
    const { runtime, drain } = await singleNode();
    const pending = runtime.submit({ type: "write", key: "k", value: 7, client_id: "h1", seq: 1 });
    await drain();
    expect(await pending).toEqual({ type: "write_ok" });
    const read = runtime.submit({ type: "read", key: "k" });
    await drain();
    expect(await read).toEqual({ type: "read_ok", value: 7 });
    // The fsync never completes: the caller learns the outcome is unknown (error 0), not "failed".
    const stuck = runtime.submit({ type: "write", key: "k", value: 8, client_id: "h1", seq: 2 }, { timeoutMs: 50 });
    expect(await stuck).toMatchObject({ type: "error", code: 0 });
  });
});
