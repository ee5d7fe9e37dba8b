/**
 * Known-bad durability: a node that tells its Raft core "your write is
 * durable" the moment it makes the write, not when the fsync returns. Its
 * leader then counts its own copy of an entry toward a majority while that
 * copy is still in flight: with one follower's acknowledgement it commits
 * and answers the client, and a crash before the fsync loses the entry
 * from a majority of disks. A new leader without it is elected, and an
 * acknowledged write is gone.
 *
 * Only a core built with `asyncPersist` asks to hear of durable writes; the
 * runtime builds it so, and so does RaftDriver when its config says so.
 */
import type { DurableMark, Effects, KvNodeCore, NodeConfig, PersistentState } from "../../src/index.js";
import { createKvNodeCore as reference } from "../../src/index.js";

export function createKvNodeCore(config: NodeConfig, restored: PersistentState | null): KvNodeCore {
  const core = reference(config, restored);
  /** Answers the core's question at once, folding what that causes into the same effects. */
  const tooSoon = (effects: Effects, nowMs: number): Effects => {
    const durable = effects.durable;
    if (!durable || !core.persisted) return effects;
    delete effects.durable;
    const more = core.persisted(durable, nowMs);
    return {
      persist: [...effects.persist, ...more.persist],
      send: [...effects.send, ...more.send],
      logs: [...effects.logs, ...more.logs],
      events: [...(effects.events ?? []), ...(more.events ?? [])],
      ...(effects.sendBeforePersist && more.sendBeforePersist ? { sendBeforePersist: true } : {}),
      ...(more.durable ? { durable: more.durable } : {}),
    };
  };
  return {
    id: core.id,
    tick: (nowMs) => tooSoon(core.tick(nowMs), nowMs),
    receive: (message, nowMs) => tooSoon(core.receive(message, nowMs), nowMs),
    persisted: (durable: DurableMark, nowMs: number) => tooSoon(core.persisted!(durable, nowMs), nowMs),
    status: () => core.status(),
  };
}
