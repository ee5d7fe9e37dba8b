/**
 * Known-bad: sessions expire by each replica's own clock (the time its shell
 * hands it) instead of the timestamps in the log, so replicas with skewed
 * clocks disagree about which sessions ended, and answer the same retry
 * differently.
 */
import { createKvNodeCore as reference, SessionTable, type KvNodeCore, type NodeConfig, type PersistentState, type SessionTableOptions } from "../../src/index.js";

export class LocalClockTable extends SessionTable {
  constructor(
    options: SessionTableOptions,
    private readonly localNowMs: () => number,
  ) {
    super(options);
  }
  override expire(logClockMs: number): void {
    const localNowMs = this.localNowMs();
    super.expire(localNowMs);
    // The bug is which sessions end. Their tombstones keep the log's time, as
    // the reference's do, so that a snapshot stays one a replica can restore
    // (only this call stamps with the local clock, so only a local clock
    // ahead of the log's can leave a later stamp).
    if (localNowMs <= logClockMs) return;
    const { sessions, tombstones } = this.entries();
    if (tombstones.some(([, t]) => t.lastSeenMs > logClockMs)) {
      this.load(sessions, tombstones.map(([id, t]) => [id, { ...t, lastSeenMs: Math.min(t.lastSeenMs, logClockMs) }]));
    }
  }
}

export function createKvNodeCore(config: NodeConfig, restored: PersistentState | null): KvNodeCore {
  let localNowMs = 0;
  const core = reference({ ...config, sessionStore: (o) => new LocalClockTable(o, () => localNowMs) }, restored);
  return {
    id: core.id,
    tick(nowMs) {
      localNowMs = nowMs;
      return core.tick(nowMs);
    },
    receive(m, nowMs) {
      localNowMs = nowMs;
      return core.receive(m, nowMs);
    },
    status: () => core.status(),
  };
}
