/**
 * Snapshot data travels between nodes as JSON text in chunks (raft_snapshot).
 * When the leader and the follower share a process (the in-process simulator,
 * or several nodes in one runtime), the follower would parse back text that
 * the leader has just made from a value it still holds. `snapshotText`
 * remembers the last few texts it made with the value they came from, and
 * `parseSnapshotText` hands out that value instead of parsing again; from any
 * other text (another process's leader) it parses.
 *
 * Sharing is safe because snapshot data is immutable: the state machine makes
 * a fresh value per snapshot and treats it as read-only, `restore` copies it,
 * and storage keeps it as it is (MemoryStorage freezes it). It is equal to
 * what JSON.parse would give, since snapshot data is plain JSON (no
 * undefined, no -0, no toJSON).
 */
import type { Json } from "@dslab/protocol";

/** Recent (text, value) pairs, oldest first; a few, so a rejoining follower finds the one its leader sent. */
const recent: Array<{ text: string; data: Json }> = [];
const KEEP = 4;

/** JSON text of snapshot data, remembered with the data. */
export function snapshotText(data: Json): string {
  for (const r of recent) if (r.data === data) return r.text;
  const text = JSON.stringify(data);
  if (recent.length >= KEEP) recent.shift();
  recent.push({ text, data });
  return text;
}

/** The data a snapshot text stands for. Throws SyntaxError (as JSON.parse) for text that is not JSON. */
export function parseSnapshotText(text: string): Json {
  for (let i = recent.length - 1; i >= 0; i--) {
    const r = recent[i]!;
    if (r.text.length === text.length && r.text === text) return r.data;
  }
  return JSON.parse(text) as Json;
}
