/**
 * Known-bad: the session table compares seqs with `<` where `<=` is needed,
 * so a retry of the client's last seq counts as new and is applied again.
 */
import { createKvNodeCore as reference, SessionTable, type KvNodeCore, type NodeConfig, type PersistentState, type SessionVerdict } from "../../src/index.js";

export class SeqLessThanTable extends SessionTable {
  override check(clientId: string, seq: number, fingerprint: string, nowMs: number): SessionVerdict {
    const verdict = super.check(clientId, seq, fingerprint, nowMs);
    return verdict.kind === "duplicate" || verdict.kind === "reused" ? { kind: "new" } : verdict;
  }
}

export function createKvNodeCore(config: NodeConfig, restored: PersistentState | null): KvNodeCore {
  return reference({ ...config, sessionStore: (o) => new SeqLessThanTable(o) }, restored);
}
