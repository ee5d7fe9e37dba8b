/**
 * Partitions as data: a set of directed links that drop everything. Shapes
 * aimed at Raft: a minority cut off from the majority, a one-way cut (A hears
 * B, B does not hear A), and an isolated leader. Partitions cut node-to-node
 * links only; clients still reach every node, which is what makes an isolated
 * leader accept requests it cannot commit.
 */
import type { Prng } from "@dslab/protocol";

export interface Partition {
  /** Human-readable, for the trace and results: "n1 | n2 n3", "n1 -/-> n2". */
  readonly label: string;
  /** Directed blocked links, as "src>dest". */
  readonly blocked: ReadonlySet<string>;
}

export type PartitionShape = "majority-minority" | "one-way" | "isolate" | "bridge";

export function linkKey(src: string, dest: string): string {
  return `${src}>${dest}`;
}

/** Both directions between every node of `a` and every node of `b`. */
export function splitPartition(a: readonly string[], b: readonly string[]): Partition {
  const blocked = new Set<string>();
  for (const x of a) {
    for (const y of b) {
      blocked.add(linkKey(x, y));
      blocked.add(linkKey(y, x));
    }
  }
  return { label: `${group(a)} | ${group(b)}`, blocked };
}

/** Messages from every node in `from` to every node in `to` are dropped; the other direction works. */
export function oneWayPartition(from: readonly string[], to: readonly string[]): Partition {
  const blocked = new Set<string>();
  for (const x of from) for (const y of to) blocked.add(linkKey(x, y));
  return { label: `${group(from)} -/-> ${group(to)}`, blocked };
}

/**
 * Bridge (Jepsen): two halves that cannot talk, joined by one node that hears
 * both. With 5 nodes: {a b} | {d e}, c sees everyone.
 */
export function bridgePartition(nodeIds: readonly string[], prng: Prng): Partition {
  const shuffled = shuffle(nodeIds, prng);
  const bridge = shuffled[0]!;
  const rest = shuffled.slice(1);
  const half = Math.floor(rest.length / 2);
  const p = splitPartition(rest.slice(0, half), rest.slice(half));
  return { label: `${p.label} (bridge ${bridge})`, blocked: p.blocked };
}

/** Draw a random majority/minority split. */
export function randomSplit(nodeIds: readonly string[], prng: Prng): Partition {
  const shuffled = shuffle(nodeIds, prng);
  const minority = prng.int(1, Math.max(1, Math.floor((nodeIds.length - 1) / 2)));
  return splitPartition(shuffled.slice(0, minority), shuffled.slice(minority));
}

/** Cut `node` off from everyone else (the leader, when the nemesis targets it). */
export function isolate(node: string, nodeIds: readonly string[]): Partition {
  return splitPartition([node], nodeIds.filter((n) => n !== node));
}

export function randomOneWay(nodeIds: readonly string[], prng: Prng): Partition {
  const shuffled = shuffle(nodeIds, prng);
  const k = prng.int(1, Math.max(1, nodeIds.length - 1));
  return oneWayPartition(shuffled.slice(0, k), shuffled.slice(k));
}

export function shuffle<T>(items: readonly T[], prng: Prng): T[] {
  const a = items.slice();
  for (let i = a.length - 1; i > 0; i--) {
    const j = prng.int(0, i);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/** A side of a partition as the labels write it: `{n1 n2}`. */
function group(ids: Iterable<string>): string {
  return `{${[...ids].sort().join(" ")}}`;
}
