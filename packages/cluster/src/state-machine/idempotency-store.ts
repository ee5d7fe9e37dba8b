/**
 * Idempotency keys from the HTTP front (the IETF httpapi Idempotency-Key
 * draft; the payment-API practice). The first request with a key is applied
 * and its response stored with the request's fingerprint and the time; a
 * retry with the same key and fingerprint gets the stored response back; the
 * same key with another fingerprint is refused (1003).
 *
 * A key lives `ttlMs` from its first use (a retry does not extend it: the
 * draft's expiry is fixed at creation). Insertion order is time order, since
 * stamps come from the state machine's monotonic clock, so expiry pops from
 * the front and the bound drops the oldest: O(1) amortised per request.
 *
 * "In flight" (409 / error 1004) is not decided here: until the first request
 * is committed it is not in the log, so only the node that proposed it knows;
 * the node composition tracks pending keys.
 */
import type { NodeEvent } from "../events.js";
import type { Body } from "@dslab/protocol";

export interface IdempotencyRecord {
  fingerprint: string;
  /** The response of the first application, without `replayed`. Never mutated. */
  response: Body;
  createdMs: number;
}

export type IdempotencyVerdict =
  | { kind: "new" }
  | { kind: "replay"; response: Body }
  | { kind: "mismatch"; fingerprint: string };

export interface IdempotencyStoreOptions {
  /** A key expires when `now - createdMs > ttlMs`. */
  ttlMs: number;
  /** Bound on stored keys; the oldest is dropped beyond it. */
  maxKeys: number;
  /** Receives what the store does on its own (a key dropped at the bound). */
  emit?: (event: NodeEvent) => void;
}

export class IdempotencyStore {
  private readonly records = new Map<string, IdempotencyRecord>();
  private readonly emit: (event: NodeEvent) => void;

  constructor(private readonly opts: IdempotencyStoreOptions) {
    for (const [name, v] of [
      ["idempotencyTtlMs", opts.ttlMs],
      ["maxIdempotencyKeys", opts.maxKeys],
    ] as const) {
      if (typeof v !== "number" || !(v > 0) || (Number.isFinite(v) && !Number.isSafeInteger(v))) {
        throw new RangeError(`IdempotencyStore: ${name} must be a positive integer (or Infinity), got ${String(v)}`);
      }
    }
    this.emit = opts.emit ?? (() => {});
  }

  get size(): number {
    return this.records.size;
  }

  expire(nowMs: number): void {
    for (const [key, r] of this.records) {
      if (nowMs - r.createdMs <= this.opts.ttlMs) break;
      this.records.delete(key);
    }
  }

  check(key: string, fingerprint: string): IdempotencyVerdict {
    const r = this.records.get(key);
    if (r === undefined) return { kind: "new" };
    if (r.fingerprint !== fingerprint) return { kind: "mismatch", fingerprint: r.fingerprint };
    return { kind: "replay", response: r.response };
  }

  record(key: string, fingerprint: string, response: Body, nowMs: number): void {
    if (this.records.has(key)) throw new Error(`IdempotencyStore.record: key ${JSON.stringify(key)} is already stored`);
    this.records.set(key, { fingerprint, response, createdMs: nowMs });
    while (this.records.size > this.opts.maxKeys) {
      const oldest = this.records.keys().next().value as string;
      this.records.delete(oldest);
      this.emit({ type: "idempotency-key-dropped", key: oldest, bound: this.opts.maxKeys });
    }
  }

  /** Oldest first. */
  entries(): Array<[string, IdempotencyRecord]> {
    return [...this.records];
  }

  load(entries: Array<[string, IdempotencyRecord]>): void {
    this.records.clear();
    for (const [key, r] of entries) this.records.set(key, { ...r });
  }

  clear(): void {
    this.records.clear();
  }
}
