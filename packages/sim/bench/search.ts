/**
 * Benchmark (`npm run bench`): `kv-sim search`'s BFS on the dedup-single
 * scenario with the reference store: unique states per second, for each
 * hash, and whether the space is exhausted. The goal: 2 clients x 3
 * appends with one lost message and one duplicated request exhausted in
 * under 10 s on 2 cores.
 */
import { fileURLToPath } from "node:url";
import { loadStore, searchScenario } from "../src/search/index.js";

const SOLUTION = fileURLToPath(new URL("../../../grader/solutions/week-12/src/dedup-kv-store.ts", import.meta.url));
const GOAL_S = 10;
const LIMIT_S = Number(process.env.SEARCH_BENCH_LIMIT_S ?? 30);

const store = await loadStore(SOLUTION);
const shapes = [
  { label: "1 client x 3 appends, 1 drop, 1 dup", clients: 1, appends: 3, maxDrops: 1, maxDuplicates: 1 },
  { label: "2 clients x 2 appends, no drop, no dup", clients: 2, appends: 2, maxDrops: 0, maxDuplicates: 0 },
  { label: "2 clients x 2 appends, 1 drop, 1 dup", clients: 2, appends: 2, maxDrops: 1, maxDuplicates: 1 },
  { label: "2 clients x 3 appends, 1 drop, 1 dup (goal)", clients: 2, appends: 3, maxDrops: 1, maxDuplicates: 1 },
];
const head = ["shape", "hash", "end", "unique", "depth", "wall s", "unique/s"];
const rows: string[][] = [];
for (const shape of shapes) {
  for (const hash of ["sha1", "fnv1a-64"] as const) {
    const r = searchScenario({ scenario: "dedup-single", store, ...shape, maxRetries: 1, maxTimeS: LIMIT_S, hash });
    rows.push([shape.label, hash, r.end, String(r.unique), String(r.depth), (r.wallMs / 1000).toFixed(2), r.statesPerS.toFixed(0)]);
    if (shape.label.endsWith("(goal)")) {
      const met = r.end === "space-exhausted" && r.wallMs < GOAL_S * 1000;
      rows[rows.length - 1]!.push(met ? `goal met (< ${GOAL_S} s)` : `goal NOT met (${GOAL_S} s)`);
    }
  }
}
const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i] ?? 0))).join("  ");
console.log("kv-sim search, BFS, dedup-single with the reference store (1 retry per append)");
console.log([line(head), w.map((n) => "-".repeat(n)).join("  "), ...rows.map(line)].join("\n"));
