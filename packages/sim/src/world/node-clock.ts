/**
 * Per-node clocks with skew and drift, so a bug that trusts a replica's own
 * clock (a session table that expires by it, say) shows. The harness's timeline is the
 * true time; each node reads `offsetMs + trueMs * (1 + drift)`.
 */
import type { Prng } from "@dslab/protocol";
import type { Timeline } from "./scheduler.js";

export interface ClockSkew {
  /** Constant offset from true time, ms. */
  offsetMs: number;
  /** Rate error: 0.01 means the node's clock runs 1% fast. */
  drift: number;
}

export class NodeClock {
  constructor(
    private readonly timeline: Timeline,
    public skew: ClockSkew,
    /** Wall-clock epoch the simulation pretends to start at, so timestamps look like real ms. */
    private readonly epochMs: number,
  ) {}

  nowMs(): number {
    const t = this.timeline.now();
    return Math.floor(this.epochMs + this.skew.offsetMs + t * (1 + this.skew.drift));
  }
}

/** Draw a skew per node: up to ±maxOffsetMs and ±maxDrift. */
export function drawSkews(prng: Prng, nodeIds: readonly string[], opts: { maxOffsetMs: number; maxDrift: number }): Map<string, ClockSkew> {
  const out = new Map<string, ClockSkew>();
  for (const id of nodeIds) {
    const offsetMs = Math.round((prng.next() * 2 - 1) * opts.maxOffsetMs);
    const drift = Math.round((prng.next() * 2 - 1) * opts.maxDrift * 1e6) / 1e6;
    out.set(id, { offsetMs, drift });
  }
  return out;
}

/** A fixed epoch (2026-01-01T00:00:00Z) so timestamps are the same every run. */
export const SIM_EPOCH_MS = Date.UTC(2026, 0, 1);
