/**
 * A per-node circuit breaker (optional). After `failureThreshold`
 * consecutive transport failures (timeout, refused, disconnected) a node is
 * "known down" for `openMs`: the client skips it without sending, and when
 * every node is known down the operation fails fast instead of waiting out
 * its backoff. After `openMs` one trial request is let through (half-open); a
 * reply of any kind closes the breaker, another failure re-opens it.
 *
 * It lives on the client, so what one operation learned spares the next.
 */
import type { Clock } from "./deps.js";

export interface BreakerOptions {
  /** Consecutive transport failures that open the breaker. Default 3. */
  failureThreshold?: number;
  /** How long a node stays known down. Default 2000 ms. */
  openMs?: number;
}

interface NodeState {
  consecutiveFailures: number;
  openUntilMs: number;
}

export class CircuitBreaker {
  readonly failureThreshold: number;
  readonly openMs: number;
  private readonly nodes = new Map<string, NodeState>();

  constructor(
    private readonly clock: Clock,
    opts: BreakerOptions = {},
  ) {
    this.failureThreshold = opts.failureThreshold ?? 3;
    this.openMs = opts.openMs ?? 2_000;
    // A threshold of 0 or NaN, or an openMs of Infinity, would keep a node open (or never open it) unlike anything asked.
    if (!Number.isSafeInteger(this.failureThreshold) || this.failureThreshold < 1) {
      throw new RangeError(`circuitBreaker: failureThreshold must be a positive integer, got ${this.failureThreshold}`);
    }
    if (!Number.isFinite(this.openMs) || this.openMs < 0) throw new RangeError(`circuitBreaker: openMs must be a non-negative number, got ${this.openMs}`);
  }

  private state(node: string): NodeState {
    let s = this.nodes.get(node);
    if (!s) {
      s = { consecutiveFailures: 0, openUntilMs: 0 };
      this.nodes.set(node, s);
    }
    return s;
  }

  /** True while the node is known down (sending to it would be skipped). */
  isOpen(node: string): boolean {
    const s = this.nodes.get(node);
    return s !== undefined && this.clock.now() < s.openUntilMs;
  }

  recordSuccess(node: string): void {
    const s = this.state(node);
    s.consecutiveFailures = 0;
    s.openUntilMs = 0;
  }

  recordFailure(node: string): void {
    const s = this.state(node);
    s.consecutiveFailures++;
    if (s.consecutiveFailures >= this.failureThreshold) s.openUntilMs = this.clock.now() + this.openMs;
  }
}
