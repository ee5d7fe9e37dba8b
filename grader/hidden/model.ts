/**
 * A small reference model of the dedup rules, the hidden tests' oracle for
 * the key-value store (in-process and the node program): per client the last
 * seq and its reply; a repeat of the last seq is answered with that reply and
 * not applied; a lower seq is refused with error 1000; reads always see the
 * latest value.
 */
import type { Json } from "@dslab/protocol";

export type Req =
  | { type: "read"; key: string; client_id?: string; seq?: number }
  | { type: "write"; key: string; value: Json; client_id?: string; seq?: number }
  | { type: "append"; key: string; value: Json; client_id?: string; seq?: number };

export type Reply = { type: string; [k: string]: Json };

export class DedupModel {
  data = new Map<string, Json>();
  sessions = new Map<string, { seq: number; reply: Reply }>();

  handle(r: Req): Reply {
    if (r.type === "read") return this.apply(r);
    if (r.client_id === undefined || r.seq === undefined) return this.apply(r);
    const s = this.sessions.get(r.client_id);
    if (s && r.seq === s.seq) return s.reply;
    if (s && r.seq < s.seq) return { type: "error", code: 1000 };
    const reply = this.apply(r);
    this.sessions.set(r.client_id, { seq: r.seq, reply });
    return reply;
  }

  private apply(r: Req): Reply {
    const cur = this.data.get(r.key);
    switch (r.type) {
      case "read":
        return cur === undefined ? { type: "error", code: 20 } : { type: "read_ok", value: cur };
      case "write":
        this.data.set(r.key, r.value);
        return { type: "write_ok" };
      case "append": {
        if (cur !== undefined && !Array.isArray(cur)) return { type: "error", code: 12 };
        const list = [...((cur as Json[] | undefined) ?? []), r.value];
        this.data.set(r.key, list);
        return { type: "append_ok", value: list };
      }
    }
  }
}

/** A reply with only the fields the model decides (an error's code, not its text). */
export function comparable(reply: unknown): unknown {
  if (reply === null || typeof reply !== "object") return reply;
  const r = reply as Record<string, unknown>;
  if (r.type === "error") return { type: "error", code: r.code };
  const { msg_id: _m, in_reply_to: _i, text: _t, ...rest } = r;
  return rest;
}

export const show = (v: unknown): string => JSON.stringify(v);

/** Keys and client ids that trip a store built on a plain object. */
export const AWKWARD_NAMES = ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf"];
