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
  override expire(_logClockMs: number): void {
    super.expire(this.localNowMs());
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
