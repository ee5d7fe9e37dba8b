/**
 * Known-bad: the cluster ignores the request's identity. Every copy of a
 * request (a retry, a network duplicate, a late replay) is applied again.
 * As a whole core (identity stripped before the reference sees it), and as a
 * session table that never finds a duplicate.
 */
import { createKvNodeCore as reference, SessionTable, type KvNodeCore, type NodeConfig, type PersistentState, type SessionVerdict } from "../../src/index.js";
import type { Message } from "@dslab/protocol";

export class NoDedupTable extends SessionTable {
  override check(): SessionVerdict {
    return { kind: "new" };
  }
}

export function createKvNodeCore(config: NodeConfig, restored: PersistentState | null): KvNodeCore {
  const core = reference(config, restored);
  return {
    id: core.id,
    tick: (nowMs) => core.tick(nowMs),
    receive: (m, nowMs) => core.receive(withoutIdentity(m), nowMs),
    status: () => core.status(),
  };
}

function withoutIdentity(m: Message): Message {
  const { client_id: _c, seq: _s, idempotency_key: _k, fingerprint: _f, ...body } = m.body;
  if (m.body.client_id === undefined && m.body.idempotency_key === undefined) return m;
  return { ...m, body: body as Message["body"] };
}
