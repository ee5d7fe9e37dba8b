/**
 * Known-bad: dedup from a table the leader keeps in memory, outside the
 * replicated log. It answers a retry it has seen; but the table dies with
 * the leader, and a new leader applies the same retry again.
 */
import type { Body, ClientRequestBody, Message } from "@dslab/protocol";
import { createKvNodeCore as reference, renderEvent, type Effects, type KvNodeCore, type NodeConfig, type NodeEvent, type PersistentState } from "../../src/index.js";

interface Entry {
  lastSeq: number;
  response: Body;
}

export function createKvNodeCore(config: NodeConfig, restored: PersistentState | null): KvNodeCore {
  const core = reference(config, restored);
  /** The naive table: per client, the last seq this leader saw applied and its reply. Any seq may begin a session. */
  let table = new Map<string, Entry>();
  /** Requests passed on, by (client src, msg_id), to record their replies. */
  const inFlight = new Map<string, { clientId: string; seq: number }>();

  const observe = (effects: Effects): Effects => {
    if (core.status().role !== "leader") {
      table = new Map();
      inFlight.clear();
    }
    for (const m of effects.send) {
      const key = `${m.dest}/${String(m.body.in_reply_to)}`;
      const req = inFlight.get(key);
      if (req === undefined) continue;
      inFlight.delete(key);
      if (m.body.type !== "error" || m.body.code !== 11) table.set(req.clientId, { lastSeq: req.seq, response: m.body });
    }
    return effects;
  };

  return {
    id: core.id,
    tick: (nowMs) => observe(core.tick(nowMs)),
    receive(m: Message, nowMs: number): Effects {
      const body = m.body as ClientRequestBody;
      if (body.type === "read" || typeof body.client_id !== "string" || typeof body.seq !== "number") return observe(core.receive(m, nowMs));
      const seen = core.status().role === "leader" ? table.get(body.client_id) : undefined;
      if (seen !== undefined && seen.lastSeq === body.seq) {
        const reply: Body = { ...seen.response, in_reply_to: body.msg_id };
        delete reply.msg_id;
        const event: NodeEvent = { type: "duplicate-answered", clientId: body.client_id, seq: body.seq };
        return { send: [{ src: core.id, dest: m.src, body: reply }], persist: [], logs: [renderEvent(event)], events: [event] };
      }
      // The replicated state machine sees no identity: it dedups nothing.
      const { client_id: clientId, seq, ...plain } = body;
      inFlight.set(`${m.src}/${String(body.msg_id)}`, { clientId, seq });
      return observe(core.receive({ ...m, body: plain as Message["body"] }, nowMs));
    },
    status: () => core.status(),
  };
}
