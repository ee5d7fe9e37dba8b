/**
 * Benchmark (`npm run bench`): `kv-sim search`'s BFS with the reference
 * pieces: unique states per second and whether the space is exhausted, for
 * dedup-single (with the reductions, and without them on a small shape for
 * comparison), vote-rules-3, leader-change-3 (with its scripted client
 * and with the workbook's retrying client) and raft-core-3 (the real
 * reference node cores; with and without its reductions). The goal: 2 clients x 3 appends with a lost
 * message and a duplicated request exhausted in under 10 s on 2 cores.
 */
import { fileURLToPath } from "node:url";
import { availableParallelism } from "node:os";
import { loadRetryClient, loadStore, loadVoteRules, searchScenario, type SearchScenarioOptions } from "../src/search/index.js";

const solution = (file: string) => fileURLToPath(new URL(`../../../grader/solutions/week-12/src/${file}`, import.meta.url));
const GOAL_S = 10;
const LIMIT_S = Number(process.env.SEARCH_BENCH_LIMIT_S ?? 30);

const store = await loadStore(solution("dedup-kv-store.ts"));
const voteRules = await loadVoteRules(solution("vote-rules.ts"));
const client = await loadRetryClient(solution("retry-client.ts"));
const leaderChange = { scenario: "leader-change-3" as const, store };
const dedup = { scenario: "dedup-single" as const, store, maxRetries: 1 };
/** The real reference node cores (no workbook piece). */
const raftCore = { scenario: "raft-core-3" as const };
const rows: Array<{ label: string; options: SearchScenarioOptions; goal?: boolean }> = [
  { label: "dedup 2x2, 1 drop, 1 dup, no reduction", options: { ...dedup, clients: 2, appends: 2, maxDrops: 1, maxDuplicates: 1, reduce: false } },
  { label: "dedup 2x2, 1 drop, 1 dup", options: { ...dedup, clients: 2, appends: 2, maxDrops: 1, maxDuplicates: 1 } },
  { label: "dedup 1x5, 1 drop, 1 dup", options: { ...dedup, clients: 1, appends: 5, maxDrops: 1, maxDuplicates: 1 } },
  { label: "dedup 2x3, 1 drop, 1 dup", options: { ...dedup, clients: 2, appends: 3, maxDrops: 1, maxDuplicates: 1, hash: "sha1" } },
  { label: "dedup 2x3, 1 drop, 1 dup", options: { ...dedup, clients: 2, appends: 3, maxDrops: 1, maxDuplicates: 1, hash: "fnv1a-64" } },
  { label: "dedup 2x3, 1 drop, 1 dup (goal)", options: { ...dedup, clients: 2, appends: 3, maxDrops: 1, maxDuplicates: 1 }, goal: true },
  { label: "vote-rules-3, term 3, 2 elections, 1 dup", options: { scenario: "vote-rules-3", voteRules } },
  { label: "vote-rules-3, term 4, 3 elections", options: { scenario: "vote-rules-3", voteRules, maxTerm: 4, maxElections: 3, maxDuplicates: 0 } },
  { label: "leader-change-3, scripted client, 1 append, 1 dup", options: { ...leaderChange } },
  { label: "leader-change-3, retrying client, 1 append, 1 dup", options: { ...leaderChange, client } },
  { label: "leader-change-3, retrying client, 2 appends", options: { ...leaderChange, client, appends: 2, maxDuplicates: 0 } },
  { label: "raft-core-3, 1 election, 1 append (default)", options: { ...raftCore } },
  { label: "raft-core-3, 1 election, 1 append, no reduction", options: { ...raftCore, reduce: false } },
  { label: "raft-core-3, 2 candidates in term 1, 1 dup", options: { ...raftCore, appends: 0, maxTerm: 1, maxElections: 2, maxDuplicates: 1 } },
  { label: "raft-core-3, 2 elections to term 2", options: { ...raftCore, appends: 0, maxElections: 2 } },
  { label: "raft-core-3, 1 election, 1 append, 1 crash", options: { ...raftCore, maxCrashes: 1 } },
  { label: "raft-core-3, 2 elections, 1 append", options: { ...raftCore, maxElections: 2 } },
];

const head = ["shape", "hash", "end", "unique", "depth", "wall s", "cpu s", "unique/s", ""];
const out: string[][] = [];
/** SEARCH_BENCH_ONLY=raft-core: only the rows whose shape names it. */
const only = process.env.SEARCH_BENCH_ONLY;
for (const row of rows.filter((r) => only === undefined || r.label.includes(only))) {
  const cpu = process.cpuUsage();
  const r = searchScenario({ ...row.options, maxTimeS: LIMIT_S });
  const used = process.cpuUsage(cpu);
  const cells = [row.label, row.options.hash ?? "text", r.end, String(r.unique), String(r.depth), (r.wallMs / 1000).toFixed(2), ((used.user + used.system) / 1e6).toFixed(2), r.statesPerS.toFixed(0), ""];
  if (row.goal) cells[8] = r.end === "space-exhausted" && r.wallMs < GOAL_S * 1000 ? `goal met (< ${GOAL_S} s)` : `goal NOT met (${GOAL_S} s)`;
  out.push(cells);
}
const w = head.map((h, i) => Math.max(h.length, ...out.map((r) => (r[i] ?? "").length)));
const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i] ?? 0))).join("  ").trimEnd();
console.log(`kv-sim search, BFS, reference pieces (1 retry per append); ${availableParallelism()} cores; cpu s counts this process's threads (the garbage collector's too)`);
console.log([line(head), w.map((n) => "-".repeat(n)).join("  "), ...out.map(line)].join("\n"));
