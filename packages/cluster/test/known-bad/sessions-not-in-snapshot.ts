/**
 * Known-bad: snapshots carry the map but not the sessions. A replica that
 * restores one (after a restart, or from the leader's InstallSnapshot) has
 * forgotten every client, and applies a retry again or refuses a next seq
 * the other replicas apply.
 */
import { createKvNodeCore as reference, SessionTable, type KvNodeCore, type NodeConfig, type PersistentState, type Session, type Tombstone } from "../../src/index.js";

export class ForgetfulTable extends SessionTable {
  override entries(): { sessions: Array<[string, Session]>; tombstones: Array<[string, Tombstone]> } {
    return { sessions: [], tombstones: [] };
  }
}

export function createKvNodeCore(config: NodeConfig, restored: PersistentState | null): KvNodeCore {
  return reference({ ...config, sessionStore: (o) => new ForgetfulTable(o) }, restored);
}
