/**
 * The view of a scenario that brings none: the state's top-level parts as
 * columns. A list of objects with an `id` (clients, nodes) gives a column
 * per element; a map under `nodes`/`servers`/`replicas` a column per entry;
 * an object under `server`/`node` one column; every other part goes into
 * one "world" column. Events are listed one by one with their lines.
 */
import type { Column, ExploreView } from "./types.js";

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
      for (const item of value as Record<string, unknown>[]) columns.push({ id: `${key}:${String(item.id)}`, kind, title: String(item.id), subtitle: key, fields: withoutId(item) });
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

export const GENERIC_VIEW: ExploreView<unknown, unknown> = { columns: genericColumns };
