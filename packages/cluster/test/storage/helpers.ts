import type { LogEntry } from "../../src/contract.js";

export function entry(index: number, term: number, key = `k${index}`): LogEntry {
  return {
    index,
    term,
    command: { kind: "client", ts: 1000 + index, request: { type: "write", key, value: index, client_id: "c1", seq: index } },
  };
}

export function entries(from: number, to: number, term: number): LogEntry[] {
  const out: LogEntry[] = [];
  for (let i = from; i <= to; i++) out.push(entry(i, term));
  return out;
}
