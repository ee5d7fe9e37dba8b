/**
 * Seeded request sequences against the workbook's store, in-process
 * (src/dedup-kv-store.ts) or through the node program: many clients
 * (including ids like "__proto__"), retries of the last seq, late copies
 * with lower seqs, reads carrying identities, compared step by step with the
 * model. The first step that differs fails, named by the rule it broke.
 */
import { createPrng, type Prng } from "@dslab/protocol";
import { CheckFailure, type CheckContext } from "../../week-12/checks/index.js";
import type * as Store from "../../week-12/src/dedup-kv-store.js";
import { comparable, DedupModel, show, type Req } from "./model.js";

export interface ScenarioMix {
  steps: number;
  clients: string[];
  keys: string[];
  /** Chances per step. */
  repeat: number;
  stale: number;
  read: number;
  readWithIdentity: number;
}

export interface Step {
  req: Req;
  kind: "new" | "repeat" | "stale" | "read" | "read-with-identity";
}

export function generate(seed: string, mix: ScenarioMix): Step[] {
  const prng: Prng = createPrng(seed);
  const pick = <T,>(xs: readonly T[]): T => xs[prng.int(0, xs.length - 1)]!;
  const last = new Map<string, Req>();
  const seq = new Map<string, number>();
  const steps: Step[] = [];
  for (let i = 0; i < mix.steps; i++) {
    const client = pick(mix.clients);
    const key = pick(mix.keys);
    const x = prng.next();
    const prev = last.get(client);
    const s = seq.get(client) ?? 0;
    if (x < mix.read) {
      steps.push({ req: { type: "read", key }, kind: "read" });
    } else if (x < mix.read + mix.readWithIdentity && s > 0) {
      steps.push({ req: { type: "read", key, client_id: client, seq: s }, kind: "read-with-identity" });
    } else if (prev && x < mix.read + mix.readWithIdentity + mix.repeat) {
      steps.push({ req: prev, kind: "repeat" });
    } else if (s > 1 && x < mix.read + mix.readWithIdentity + mix.repeat + mix.stale) {
      const type = prng.next() < 0.5 ? "write" : "append";
      steps.push({ req: { type, key, value: `late-${i}`, client_id: client, seq: prng.int(1, s - 1) }, kind: "stale" });
    } else {
      const next = s + (prng.next() < 0.8 ? 1 : prng.int(2, 4));
      const type = prng.next() < 0.5 ? "write" : "append";
      const req: Req = { type, key, value: type === "write" ? i : `v${i}`, client_id: client, seq: next };
      seq.set(client, next);
      last.set(client, req);
      steps.push({ req, kind: "new" });
    }
  }
  return steps;
}

const RULE: Record<Step["kind"], string> = {
  new: "a request with a new, higher seq must be applied once and its reply kept as the client's last",
  repeat: "a repeat of the client's last seq must be answered with the cached reply and not applied again",
  stale: "a late copy with a seq below the client's last must be refused with error 1000 (stale-request) and never applied",
  read: "a read must return the latest value",
  "read-with-identity": "reads are not deduplicated: a read carrying a client_id and seq must still return the latest value, never a cached reply",
};

/** Compares a run's replies with the model's; throws at the first difference. */
export function compare(steps: Step[], replies: unknown[], where: string, seed: string): void {
  const model = new DedupModel();
  for (const [i, step] of steps.entries()) {
    const want = comparable(model.handle(step.req));
    const got = comparable(replies[i]);
    if (show(want) !== show(got)) {
      const before = steps
        .slice(Math.max(0, i - 3), i)
        .map((s) => show(s.req))
        .join(", ");
      throw new CheckFailure(`${where}, seeded sequence "${seed}", request ${i + 1} of ${steps.length} (${step.kind}): ${RULE[step.kind]}; the request: ${show(step.req)}${before ? `, after ${before}` : ""}`, {
        expected: show(want),
        received: show(got),
      });
    }
  }
}

export async function inProcess(ctx: CheckContext, seed: string, mix: ScenarioMix): Promise<void> {
  const m = await ctx.workbook.import<typeof Store>("src/dedup-kv-store.ts");
  const store = new m.DedupKVStore({ sessionTimeoutMs: 10 * 365 * 24 * 3600 * 1000 });
  const steps = generate(seed, mix);
  const replies = steps.map((s, i) => store.handleRequest(s.req as Store.KvRequest, 1_000_000 + i * 10));
  compare(steps, replies, "your DedupKVStore.handleRequest", seed);
}
