/**
 * The view of a scenario that brings none: the state's top-level parts as
 * columns. A list of objects with an `id` (clients, nodes) gives a column
 * per element; a map under `nodes`/`servers`/`replicas` a column per entry;
 * an object under `server`/`node` one column; the messages in flight
 * (`inFlight`, `messages`), one line each, a "network" column; every other
 * part goes into one "world" column. Events that carry a `message`
 * (deliver, duplicate, drop it) are grouped by that message, and a `timer`
 * event by whose timer it is; any other event is listed alone with its line.
 */
import { stableStringify } from "../search/index.js";
import type { Column, EventSubject, ExploreView } from "./types.js";

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

function withoutId(v: Record<string, unknown>): Record<string, unknown> {
  const { id: _id, ...rest } = v;
  return rest;
}

export function genericColumns(state: unknown): Column[] {
  if (!isRecord(state)) return [{ id: "state", kind: "world", title: "state", fields: { value: state } }];
  const columns: Column[] = [];
  const world: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(state)) {
    if (value === undefined) continue;
    if (Array.isArray(value) && value.length > 0 && value.every((x) => isRecord(x) && (typeof x.id === "string" || typeof x.id === "number"))) {
      const kind = /client/i.test(key) ? "client" : "node";
      // A node's role (leader, follower) says more under its name than the list it came from.
      for (const item of value as Record<string, unknown>[]) {
        columns.push({ id: `${key}:${String(item.id)}`, kind, title: String(item.id), subtitle: typeof item.role === "string" ? item.role : key, fields: withoutId(item) });
      }
      continue;
    }
    if (/^(inFlight|messages|network)$/i.test(key) && Array.isArray(value) && value.every(isRecord)) {
      const lines = (value as Record<string, unknown>[]).map(genericMessageText);
      columns.push({ id: "network", kind: "network", title: "network", fields: { [key]: lines.length === 0 ? "nothing" : lines } });
      continue;
    }
    if (/^(nodes|servers|replicas)$/i.test(key) && isRecord(value) && Object.values(value).every(isRecord)) {
      for (const [id, node] of Object.entries(value)) columns.push({ id: `${key}:${id}`, kind: "node", title: id, subtitle: key, fields: node as Record<string, unknown> });
      continue;
    }
    if (/^(server|node)$/i.test(key) && isRecord(value)) {
      columns.push({ id: key, kind: "node", title: key, fields: value });
      continue;
    }
    world[key] = value;
  }
  if (Object.keys(world).length > 0) columns.push({ id: "world", kind: "world", title: "world", fields: world });
  return columns;
}

/** `n1 → n2: vote term=2 lastLogIndex=2`: a message's route, its kind, then its other fields. */
export function genericMessageText(message: Record<string, unknown>): string {
  const { from, to, kind, type, ...rest } = message;
  const route = from !== undefined || to !== undefined ? `${String(from ?? "?")} → ${String(to ?? "?")}: ` : "";
  const what = kind ?? type;
  const fields = Object.entries(rest).map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`);
  return route + [what === undefined ? undefined : String(what), ...fields].filter((x) => x !== undefined).join(" ");
}

export function genericSubject(event: unknown): EventSubject | undefined {
  if (!isRecord(event)) return undefined;
  const action = typeof event.kind === "string" ? event.kind : "take";
  if (isRecord(event.message)) return { key: `message:${stableStringify(event.message)}`, text: genericMessageText(event.message), kind: "message", action };
  if (event.kind === "timer") {
    const owner = Object.entries(event).find(([k, v]) => k !== "kind" && typeof v === "string")?.[1] as string | undefined;
    if (owner !== undefined) return { key: `timer:${owner}`, text: `${owner}'s timer`, kind: "timer", action: "fire" };
  }
  return undefined;
}

export const GENERIC_VIEW: ExploreView<unknown, unknown> = { columns: genericColumns, subject: genericSubject };
