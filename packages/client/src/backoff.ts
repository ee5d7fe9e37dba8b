/**
 * The backoff schedule: exponential from a base, capped, with jitter drawn
 * from the injected PRNG (one `next()` per delay), so a seed gives the exact
 * same waits.
 *
 * For the n-th counted retry (n = 1, 2, ...), the un-jittered delay is
 * `min(capMs, baseMs * 2^(n-1))`. Then:
 *
 * - `proportional` (default): delay * (1 + ratio * (2u - 1)), i.e. +-25%
 *   with ratio 0.25; clamped to `capMs`.
 * - `full`: u * delay (AWS "full jitter": anywhere in [0, delay)).
 * - `decorrelated`: min(capMs, base + u * (3 * previous - base)), previous
 *   starting at base (AWS "decorrelated jitter"); ignores n.
 * - `none`: the delay itself.
 *
 * u is `prng.next()` in [0, 1). Delays are whole milliseconds (floor), and
 * never below `floorMs` (10 ms by default: jitter must not turn a backoff
 * into an immediate retry). A server hint (`retry_after_ms`) can only
 * lengthen a delay.
 */
import type { Prng } from "@dslab/protocol";

export type JitterMode = "proportional" | "full" | "decorrelated" | "none";

export interface BackoffOptions {
  /** First retry's un-jittered delay. Default 100 ms. */
  baseMs?: number;
  /** No computed delay exceeds this. Default 5000 ms. */
  capMs?: number;
  /** Default "proportional". */
  jitter?: JitterMode;
  /** For "proportional": the +- fraction. Default 0.25. */
  jitterRatio?: number;
  /** No delay is shorter than this (nor than baseMs, if that is lower). Default 10 ms. */
  floorMs?: number;
}

export const DEFAULT_BACKOFF = {
  baseMs: 100,
  capMs: 5_000,
  jitter: "proportional" as JitterMode,
  jitterRatio: 0.25,
  floorMs: 10,
};

/** One operation's backoff state (decorrelated jitter remembers its last delay). */
export class Backoff {
  readonly baseMs: number;
  readonly capMs: number;
  readonly jitter: JitterMode;
  readonly jitterRatio: number;
  readonly floorMs: number;
  private previousMs: number;

  constructor(
    private readonly prng: Prng,
    opts: BackoffOptions = {},
  ) {
    this.baseMs = opts.baseMs ?? DEFAULT_BACKOFF.baseMs;
    this.capMs = opts.capMs ?? DEFAULT_BACKOFF.capMs;
    this.jitter = opts.jitter ?? DEFAULT_BACKOFF.jitter;
    this.jitterRatio = opts.jitterRatio ?? DEFAULT_BACKOFF.jitterRatio;
    this.floorMs = Math.min(opts.floorMs ?? DEFAULT_BACKOFF.floorMs, this.baseMs);
    if (!(this.baseMs >= 0 && this.capMs >= this.baseMs)) {
      throw new RangeError(`backoff: need 0 <= baseMs <= capMs, got base ${this.baseMs}, cap ${this.capMs}`);
    }
    if (!(this.jitterRatio >= 0 && this.jitterRatio <= 1)) {
      throw new RangeError(`backoff: jitterRatio must be in [0, 1], got ${this.jitterRatio}`);
    }
    this.previousMs = this.baseMs;
  }

  /** The delay before counted retry number `retry` (1-based), before any server hint. */
  delayMs(retry: number): number {
    const exp = Math.min(this.capMs, this.baseMs * 2 ** Math.max(0, retry - 1));
    let ms: number;
    switch (this.jitter) {
      case "none":
        ms = exp;
        break;
      case "proportional":
        ms = Math.min(this.capMs, exp * (1 + this.jitterRatio * (2 * this.prng.next() - 1)));
        break;
      case "full":
        ms = exp * this.prng.next();
        break;
      case "decorrelated": {
        const hi = Math.max(this.baseMs, 3 * this.previousMs);
        ms = Math.min(this.capMs, this.baseMs + this.prng.next() * (hi - this.baseMs));
        this.previousMs = ms;
        break;
      }
    }
    return Math.max(this.floorMs, Math.floor(ms));
  }
}

/** A server's hint lengthens the wait, never shortens it. */
export function applyHint(delayMs: number, retryAfterMs: number | undefined): number {
  return retryAfterMs !== undefined && retryAfterMs > delayMs ? retryAfterMs : delayMs;
}
