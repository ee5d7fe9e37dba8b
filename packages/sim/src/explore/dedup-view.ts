/**
 * The `dedup-single` scenario's view: the server's store state as the
 * store keeps it, one column per client (its current append, attempts, how
 * each settled append ended), and the network (messages in flight, drops
 * and duplicates used). Events are grouped by the message or timer they
 * act on. A state that does not have this scenario's shape falls back to
 * the generic view.
 */
import type { DedupEvent, DedupWorld } from "../search/index.js";
import { genericColumns } from "./generic-view.js";
import type { Column, EventSubject, ExploreView } from "./types.js";

type Message = Extract<DedupEvent, { message: unknown }>["message"];

export interface DedupViewShape {
  appends: number;
  maxRetries: number;
  maxDrops: number;
  maxDuplicates: number;
}

const OUTCOMES: Record<string, string> = { a: "acknowledged", f: "refused (an error reply)", u: "given up (outcome unknown)" };

function looksLikeWorld(state: unknown): state is DedupWorld {
  const w = state as Partial<DedupWorld> | null;
  return w !== null && typeof w === "object" && Array.isArray(w.clients) && Array.isArray(w.inFlight) && typeof w.drops === "number" && typeof w.duplicates === "number";
}

function replyText(body: { type: string; [field: string]: unknown }): string {
  if (body.type === "error") return `error ${String(body.code)}${typeof body.text === "string" ? ` (${body.text})` : ""}`;
  return "value" in body ? `${body.type} ${JSON.stringify(body.value)}` : body.type;
}

export function messageText(m: Message): string {
  if (m.kind === "request") return `${m.from} → server: ${m.body.type} ${JSON.stringify(m.body.value)} (client ${m.body.client_id} seq ${m.body.seq})`;
  const problem = (m as { problem?: unknown }).problem;
  return `server → ${m.to}: reply to seq ${m.seq}: ${replyText(m.body)}${typeof problem === "string" ? " (a reply no exactly-once execution gives)" : ""}`;
}

export function dedupView(shape: DedupViewShape): ExploreView<DedupWorld, DedupEvent> {
  const maxAttempts = 1 + shape.maxRetries;
  const columns = (world: DedupWorld): Column[] => {
    if (!looksLikeWorld(world)) return genericColumns(world);
    const out: Column[] = [{ id: "server", kind: "node", title: "server", subtitle: "DedupKVStore state", fields: (world.server ?? {}) as Record<string, unknown> }];
    for (const c of world.clients) {
      const done = c.seq > shape.appends;
      const settled: Record<string, string> = {};
      for (let i = 0; i < c.outcomes.length; i++) settled[`seq ${i + 1} ("${c.id}:${i + 1}")`] = OUTCOMES[c.outcomes[i]!] ?? c.outcomes[i]!;
      out.push({
        id: c.id,
        kind: "client",
        title: c.id,
        subtitle: done ? "done: every append settled" : `waiting for seq ${c.seq}`,
        fields: {
          "current append": done ? "none" : `"${c.id}:${c.seq}" (seq ${c.seq})`,
          attempts: done ? "-" : `${c.attempts} of ${maxAttempts}`,
          settled: c.outcomes.length === 0 ? "none yet" : settled,
        },
      });
    }
    const network: Record<string, unknown> = {
      "in flight": world.inFlight.length === 0 ? "nothing" : world.inFlight.map(messageText),
      "drops used": `${world.drops} of ${shape.maxDrops}`,
      "duplicates used": `${world.duplicates} of ${shape.maxDuplicates}`,
    };
    out.push({ id: "network", kind: "network", title: "network", fields: network });
    return out;
  };
  const subject = (event: DedupEvent, world: DedupWorld): EventSubject => {
    if (event.kind === "timer") {
      const c = world.clients?.find((x) => x.id === event.client);
      const last = c !== undefined && c.attempts >= maxAttempts;
      const what = c === undefined ? "" : last ? ` (seq ${c.seq}, attempt ${c.attempts} of ${maxAttempts}: firing gives the append up)` : ` (seq ${c.seq}, attempt ${c.attempts} of ${maxAttempts}: firing resends)`;
      return { key: `timer:${event.client}`, text: `${event.client}'s retry timer${what}`, kind: "timer", action: "fire" };
    }
    return { key: `message:${JSON.stringify(event.message)}`, text: messageText(event.message), kind: "message", action: event.kind };
  };
  return { columns, subject };
}
