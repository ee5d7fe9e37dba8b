/**
 * Known-bad: a new identity per attempt. Each attempt of an operation (first
 * try, retry or redirect) leaves under the next seq of its client_id, so the
 * cluster sees every retry as a new request and applies it again.
 */
import type { Body } from "@dslab/protocol";
import { KvClient, type ClientOptions, type Transport } from "../../src/index.js";

export function freshSeqPerAttempt(inner: Transport): Transport {
  const nextSeq = new Map<string, number>();
  return {
    send(node: string, body: Body, timeoutMs: number): Promise<Body> {
      if (typeof body.client_id !== "string" || typeof body.seq !== "number") return inner.send(node, body, timeoutMs);
      const seq = nextSeq.get(body.client_id) ?? 1;
      nextSeq.set(body.client_id, seq + 1);
      return inner.send(node, { ...body, seq }, timeoutMs);
    },
    ...(inner.canReach ? { canReach: (n: string) => inner.canReach!(n) } : {}),
  };
}

export function createClient(options: ClientOptions): KvClient {
  return new KvClient({ ...options, transport: freshSeqPerAttempt(options.transport) });
}
