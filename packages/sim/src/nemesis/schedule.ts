/**
 * The nemesis schedule: a list of timed fault operations drawn up front from
 * the nemesis PRNG, so it is data a person can read (results.json lists it)
 * and the same list runs in simulated time and in real time. Targets that
 * depend on the run ("the leader") are resolved when the operation fires.
 */
import type { Prng } from "@dslab/protocol";
import { randomOneWay, randomSplit, bridgePartition, type Partition } from "../network/partition.js";

export const FAULT_KINDS = ["partition", "kill", "pause", "duplicate", "lose-reply", "replay", "loss", "delay", "clock"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Node target: a node id, or "leader" (resolved when the operation fires; a random node when there is none). */
export type NodeTarget = string;

export type NemesisOp =
  | { atMs: number; op: "partition-start"; shape: "majority-minority" | "one-way" | "bridge"; partition: Partition }
  | { atMs: number; op: "partition-start"; shape: "isolate-leader" }
  | { atMs: number; op: "partition-stop" }
  /** `slot` names the node picked at kill time, so the matching restart finds it. */
  | { atMs: number; op: "kill"; target: NodeTarget; slot: string }
  | { atMs: number; op: "restart"; slot: string }
  | { atMs: number; op: "pause"; target: NodeTarget; slot: string }
  | { atMs: number; op: "resume"; slot: string }
  | { atMs: number; op: "duplicate"; probability: number }
  | { atMs: number; op: "lose-reply"; probability: number }
  | { atMs: number; op: "loss"; probability: number }
  | { atMs: number; op: "delay"; latencyFactor: number }
  /** Replay requests sent between minAgeMs and maxAgeMs ago. */
  | { atMs: number; op: "replay"; minAgeMs: number; maxAgeMs: number; count: number }
  | { atMs: number; op: "clock"; node: string; offsetMs: number; drift: number }
  /** End of the safety phase: every fault is undone. */
  | { atMs: number; op: "heal" };

export interface NemesisOptions {
  nodeIds: readonly string[];
  faults: ReadonlySet<FaultKind>;
  /** Faults start after this (let the first election happen). */
  startMs: number;
  /** The safety phase ends here with a heal. */
  healAtMs: number;
  /** Mean gap between fault starts. */
  meanIntervalMs?: number;
}

export function parseFaultList(text: string): Set<FaultKind> {
  const out = new Set<FaultKind>();
  for (const raw of text.split(",").map((s) => s.trim()).filter(Boolean)) {
    if (raw === "all") {
      for (const k of FAULT_KINDS) out.add(k);
      continue;
    }
    if (raw === "none") continue;
    if (!(FAULT_KINDS as readonly string[]).includes(raw)) {
      throw new Error(`unknown fault "${raw}": expected a comma-separated list of ${FAULT_KINDS.join(", ")} (or "all", "none")`);
    }
    out.add(raw as FaultKind);
  }
  return out;
}

export function generateNemesisSchedule(prng: Prng, opts: NemesisOptions): NemesisOp[] {
  const ops: NemesisOp[] = [];
  const kinds = FAULT_KINDS.filter((k) => opts.faults.has(k));
  if (kinds.length === 0) return [{ atMs: opts.healAtMs, op: "heal" }];
  const meanGap = opts.meanIntervalMs ?? 800;
  const busyUntil = new Map<FaultKind, number>();
  let slot = 0;
  let t = opts.startMs;
  for (;;) {
    t += Math.round(meanGap * (0.25 + 1.5 * prng.next()));
    if (t >= opts.healAtMs) break;
    const free = kinds.filter((k) => (busyUntil.get(k) ?? 0) <= t);
    if (free.length === 0) continue;
    const kind = prng.pick(free);
    const durationMs = Math.round(300 + prng.next() * 2700);
    const end = Math.min(t + durationMs, opts.healAtMs);
    busyUntil.set(kind, end);
    const target = (): NodeTarget => (prng.chance(0.5) ? "leader" : prng.pick(opts.nodeIds));
    switch (kind) {
      case "partition": {
        const shape = prng.pick(["majority-minority", "one-way", "isolate-leader", "bridge"] as const);
        if (shape === "isolate-leader") ops.push({ atMs: t, op: "partition-start", shape });
        else {
          const partition =
            shape === "majority-minority"
              ? randomSplit(opts.nodeIds, prng)
              : shape === "one-way"
                ? randomOneWay(opts.nodeIds, prng)
                : bridgePartition(opts.nodeIds, prng);
          ops.push({ atMs: t, op: "partition-start", shape, partition });
        }
        ops.push({ atMs: end, op: "partition-stop" });
        break;
      }
      case "kill": {
        const s = `k${++slot}`;
        ops.push({ atMs: t, op: "kill", target: target(), slot: s });
        ops.push({ atMs: end, op: "restart", slot: s });
        break;
      }
      case "pause": {
        const s = `p${++slot}`;
        ops.push({ atMs: t, op: "pause", target: target(), slot: s });
        ops.push({ atMs: end, op: "resume", slot: s });
        break;
      }
      case "duplicate":
        ops.push({ atMs: t, op: "duplicate", probability: round2(0.2 + 0.4 * prng.next()) });
        ops.push({ atMs: end, op: "duplicate", probability: 0 });
        break;
      case "lose-reply":
        ops.push({ atMs: t, op: "lose-reply", probability: round2(0.3 + 0.5 * prng.next()) });
        ops.push({ atMs: end, op: "lose-reply", probability: 0 });
        break;
      case "loss":
        ops.push({ atMs: t, op: "loss", probability: round2(0.05 + 0.25 * prng.next()) });
        ops.push({ atMs: end, op: "loss", probability: 0 });
        break;
      case "delay":
        ops.push({ atMs: t, op: "delay", latencyFactor: round2(3 + 10 * prng.next()) });
        ops.push({ atMs: end, op: "delay", latencyFactor: 1 });
        break;
      case "replay":
        busyUntil.set(kind, t + 200);
        {
          // Late, but within what a cluster with bounded session memory can
          // still recognise: older than the client's attempt timeout, younger
          // than a second and a half.
          const minAgeMs = 200 + prng.int(0, 600);
          ops.push({ atMs: t, op: "replay", minAgeMs, maxAgeMs: minAgeMs + 500, count: prng.int(1, 5) });
        }
        break;
      case "clock": {
        const node = prng.pick(opts.nodeIds);
        const offsetMs = prng.int(-60_000, 60_000);
        const drift = round2((prng.next() * 2 - 1) * 0.5);
        ops.push({ atMs: t, op: "clock", node, offsetMs, drift });
        break;
      }
    }
  }
  ops.push({ atMs: opts.healAtMs, op: "heal" });
  // Stable sort by time: starts and stops drawn later keep their order at equal times.
  return ops.map((op, i) => ({ op, i })).sort((a, b) => a.op.atMs - b.op.atMs || a.i - b.i).map((x) => x.op);
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

/** Whether `op` ends a fault (or every fault) rather than starting one. */
export function endsFault(op: NemesisOp): boolean {
  switch (op.op) {
    case "partition-stop":
    case "restart":
    case "resume":
    case "heal":
      return true;
    case "duplicate":
    case "lose-reply":
    case "loss":
      return op.probability === 0;
    case "delay":
      return op.latencyFactor <= 1;
    default:
      return false;
  }
}

export function describeNemesisOp(op: NemesisOp): string {
  switch (op.op) {
    case "partition-start":
      return op.shape === "isolate-leader" ? "partition: isolate the leader" : `partition (${op.shape}): ${op.partition.label}`;
    case "partition-stop":
      return "partition healed";
    case "kill":
      return `SIGKILL ${op.target}`;
    case "restart":
      return `restart (${op.slot})`;
    case "pause":
      return `pause ${op.target}`;
    case "resume":
      return `resume (${op.slot})`;
    case "duplicate":
      return op.probability > 0 ? `duplicate packets p=${op.probability}` : "duplication off";
    case "lose-reply":
      return op.probability > 0 ? `lose replies after apply p=${op.probability}` : "lost replies off";
    case "loss":
      return op.probability > 0 ? `packet loss p=${op.probability}` : "packet loss off";
    case "delay":
      return op.latencyFactor > 1 ? `slow network x${op.latencyFactor}` : "latency back to normal";
    case "replay":
      return `late replay of ${op.count} old request(s) (${op.minAgeMs}..${op.maxAgeMs} ms old)`;
    case "clock":
      return `clock of ${op.node}: offset ${op.offsetMs} ms, drift ${op.drift}`;
    case "heal":
      return "heal everything";
  }
}
