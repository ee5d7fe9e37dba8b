/**
 * Request identity: one random 128-bit `client_id` per client, and a `seq`
 * per operation. A retry reuses the pair, so the cluster's session table
 * answers it from the cached response instead of applying it twice.
 *
 * The cluster keeps only the LAST seq (and its response) per client_id, so a
 * client_id must have at most one operation outstanding at a time: with two
 * in flight, the older one's retry would be "stale" (error 1000) and its
 * outcome lost. `KvClient` enforces this; run one client per concurrent
 * worker.
 */
import type { Prng } from "@dslab/protocol";

/** A random 128-bit id as a decimal string (JSON numbers lose precision past 2^53). */
export function randomClientId(prng: Prng): string {
  let id = 0n;
  for (let i = 0; i < 4; i++) id = (id << 32n) | BigInt(prng.int(0, 0xffffffff));
  return id.toString(10);
}

/** Hands out seq numbers for one client_id: 1, 2, 3, ... (or from a given start). */
export class SeqCounter {
  private nextSeq: number;
  constructor(firstSeq = 1) {
    if (!Number.isSafeInteger(firstSeq) || firstSeq < 1) {
      throw new RangeError(`firstSeq must be a positive integer, got ${firstSeq}`);
    }
    this.nextSeq = firstSeq;
  }
  /** The seq for a new operation. */
  take(): number {
    return this.nextSeq++;
  }
  /** After an operation with an explicit seq, continue numbering above it. */
  observe(seq: number): void {
    if (seq >= this.nextSeq) this.nextSeq = seq + 1;
  }
  peek(): number {
    return this.nextSeq;
  }
}
