/**
 * In-memory implementations of the client's interfaces (real implementations, no mocks): a
 * manual clock whose sleep advances it, and a transport that answers from a
 * script and records every request it was given.
 */
import type { Body } from "@dslab/protocol";
import { TransportError, type Clock, type Sleep, type Transport, type TransportFailure } from "../src/index.js";

export class ManualClock implements Clock {
  constructor(public ms = 0) {}
  now(): number {
    return this.ms;
  }
  readonly sleep: Sleep = async (ms) => {
    this.sleeps.push(ms);
    this.ms += ms;
  };
  readonly sleeps: number[] = [];
}

/** One scripted answer: a reply body, or a transport failure (a timeout takes the whole attempt timeout). */
export type Step = Body | TransportFailure;

export interface Sent {
  node: string;
  body: Body;
  timeoutMs: number;
  atMs: number;
}

export class ScriptedTransport implements Transport {
  readonly sent: Sent[] = [];
  constructor(
    private readonly clock: ManualClock,
    private readonly script: Step[] | ((sent: Sent, index: number) => Step),
    /** Time a reply takes. */
    private readonly replyMs = 1,
  ) {}

  async send(node: string, body: Body, timeoutMs: number): Promise<Body> {
    const s: Sent = { node, body: structuredClone(body), timeoutMs, atMs: this.clock.ms };
    this.sent.push(s);
    const index = this.sent.length - 1;
    const step = typeof this.script === "function" ? this.script(s, index) : this.script[index];
    if (step === undefined) throw new Error(`script has no step ${index}`);
    if (typeof step === "string") {
      this.clock.ms += step === "timeout" ? timeoutMs : Math.min(this.replyMs, timeoutMs);
      throw new TransportError(step, node, `scripted ${step}`);
    }
    this.clock.ms += Math.min(this.replyMs, timeoutMs);
    return step;
  }
}

export const ok = (type: string, extra: Record<string, unknown> = {}): Body => ({ type, ...extra });
export const err = (code: number, extra: Record<string, unknown> = {}): Body => ({ type: "error", code, ...extra });
