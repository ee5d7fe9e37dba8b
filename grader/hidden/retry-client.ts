/**
 * Hidden tests of the client-retry quest: the state machine
 * (src/retry-client.ts) driven through long seeded sequences of failures,
 * and the retrying client in 3- and 5-node clusters under lost replies,
 * duplicates, late replays, crashes and partitions.
 */
import { createPrng, type Body, type Prng } from "@dslab/protocol";
import { CheckFailure, criterion, LESSON, type CheckContext } from "../../week-12/checks/index.js";
import type * as Retry from "../../week-12/src/retry-client.js";
import { hiddenFaultRuns } from "./fault-runs.js";
import { show } from "./model.js";
import { hidden, seeds, type HiddenTest } from "./types.js";

const c = (n: number) => criterion(LESSON.clientRetry, n);
const FILES: HiddenTest["files"] = ["src/retry-client.ts"];
const NODES = ["n1", "n2", "n3", "n4", "n5"];
const load = (ctx: CheckContext) => ctx.workbook.import<typeof Retry>("src/retry-client.ts");

type Result = Retry.AttemptResult;
const timeout: Result = { kind: "transport", failure: "timeout", message: "timed out" };
const FAILURES: Result[] = [
  timeout,
  { kind: "transport", failure: "disconnected", message: "connection reset" },
  { kind: "transport", failure: "refused", message: "connection refused" },
  { kind: "reply", body: { type: "error", code: 11, text: "no leader yet" } as Body },
  { kind: "reply", body: { type: "error", code: 13, text: "crashed" } as Body },
];

interface Trace {
  sends: string[];
  waits: number[];
  states: Retry.OperationState[];
  done?: Retry.Outcome;
  loop: boolean;
}

/** Drives one operation: every attempt's result from `answer(attempt)`, until done or 60 attempts. */
function drive(m: typeof Retry, op: Retry.OperationState, answer: (attempt: number, node: string) => Result, prng: Prng, policy: Retry.RetryPolicy): Trace {
  const t: Trace = { sends: [op.node], waits: [], states: [op], loop: false };
  let state = op;
  for (let attempt = 1; ; attempt++) {
    if (attempt > 60) {
      t.loop = true;
      return t;
    }
    const step = m.onResult(state, answer(attempt, state.node), prng, policy);
    state = step.state;
    t.states.push(state);
    const next = step.next;
    if ("done" in next) {
      t.done = next.done;
      return t;
    }
    if ("wait" in next) {
      t.waits.push(next.wait);
      t.sends.push(next.then);
    } else t.sends.push(next.send);
  }
}

const POLICY = (prng: Prng): Retry.RetryPolicy => {
  const baseMs = prng.int(10, 300);
  return { maxRetries: prng.int(0, 7), maxRedirects: prng.int(1, 4), backoff: { baseMs, capMs: baseMs * 2 ** prng.int(2, 6), jitterRatio: [0.1, 0.25, 0.5][prng.int(0, 2)]!, floorMs: prng.int(1, Math.max(1, Math.floor(baseMs / 2))) } };
};

async function identity(ctx: CheckContext): Promise<void> {
  const m = await load(ctx);
  for (let s = 0; s < seeds(150); s++) {
    const prng = createPrng(`identity-${s}`);
    let client = m.newClient(NODES, prng);
    let lastSeq: number | null = null;
    for (let k = 0; k < 4; k++) {
      const made = m.newOperation(client, { type: "write", key: `k${k}`, value: s * 10 + k });
      const policy = { ...POLICY(prng), maxRetries: 6 };
      const trace = drive(m, made.operation, () => FAILURES[prng.int(0, FAILURES.length - 1)]!, prng, policy);
      const first = made.operation;
      for (const [i, st] of trace.states.entries()) {
        if (st.clientId !== first.clientId || st.seq !== first.seq || show(st.request) !== show(first.request)) {
          throw new CheckFailure(`seeded sequence ${s}, operation ${k + 1}, attempt ${i + 1}: a retry must reuse the operation's identity (client_id ${first.clientId}, seq ${first.seq}) and request unchanged, whatever failed before it`, {
            expected: show({ clientId: first.clientId, seq: first.seq, request: first.request }),
            received: show({ clientId: st.clientId, seq: st.seq, request: st.request }),
          });
        }
      }
      if (first.seq !== null && lastSeq !== null && first.seq <= lastSeq) {
        throw new CheckFailure(`seeded sequence ${s}: operation ${k + 1} got seq ${first.seq} after an operation with seq ${lastSeq}: each new operation takes the next seq`, { expected: `> ${lastSeq}`, received: String(first.seq) });
      }
      lastSeq = first.seq;
      client = m.afterOperation(made.client, trace.states.at(-1)!);
    }
  }
}

async function redirects(ctx: CheckContext): Promise<void> {
  const m = await load(ctx);
  for (let s = 0; s < seeds(150); s++) {
    const prng = createPrng(`redirect-${s}`);
    const client = m.newClient(NODES, prng);
    const { operation } = m.newOperation(client, { type: "append", key: "l", value: s });
    const policy = { ...POLICY(prng), maxRetries: 5, maxRedirects: 3 };
    const leader = NODES[prng.int(0, NODES.length - 1)]!;
    const trace = drive(m, operation, (_a, node) => (node === leader ? { kind: "reply", body: { type: "append_ok", value: [s] } as Body } : { kind: "reply", body: { type: "error", code: 11, text: "not the leader", leader } as Body }), prng, policy);
    if (trace.loop || trace.done?.outcome !== "ok") {
      throw new CheckFailure(`seeded case ${s}: every follower answered error 11 naming ${leader} as leader, yet the operation ${trace.loop ? "never ended" : `ended ${trace.done?.outcome}`}: follow the redirect to the leader named`, {
        expected: `sends: ${operation.node === leader ? leader : `${operation.node}, ${leader}`}; outcome ok`,
        received: `sends: ${trace.sends.slice(0, 8).join(", ")}; outcome ${trace.done?.outcome ?? "none"}`,
      });
    }
    if (trace.sends.length > 2 || trace.waits.length > 0) {
      throw new CheckFailure(`seeded case ${s}: a redirect naming the leader ${leader} must go straight there, without a wait and without trying other nodes`, {
        expected: `sends: ${operation.node === leader ? leader : `${operation.node}, ${leader}`}, no wait`,
        received: `sends: ${trace.sends.join(", ")}; waits: ${trace.waits.join(", ") || "none"}`,
      });
    }
  }
}

async function backoff(ctx: CheckContext): Promise<void> {
  const m = await load(ctx);
  const prng = createPrng("backoff-policies");
  for (let p = 0; p < seeds(40); p++) {
    const policy = POLICY(prng).backoff;
    for (let retry = 1; retry <= 12; retry++) {
      const exp = Math.min(policy.capMs, policy.baseMs * 2 ** (retry - 1));
      const lo = Math.max(policy.floorMs, Math.floor(exp * (1 - policy.jitterRatio))) - 1;
      const hi = Math.min(policy.capMs, Math.ceil(exp * (1 + policy.jitterRatio))) + 1;
      const values = Array.from({ length: 30 }, (_, i) => m.backoffMs(retry, createPrng(`b-${p}-${retry}-${i}`), policy));
      const bad = values.find((v) => !Number.isInteger(v) || v < lo || v > hi || v < policy.floorMs || v > policy.capMs);
      if (bad !== undefined) {
        throw new CheckFailure(
          `backoffMs(${retry}, prng, ${show(policy)}) returned ${bad} ms: the wait is baseMs × 2^(retry-1) capped at capMs (${exp} ms here), times 1 ± jitterRatio, whole milliseconds, never below floorMs nor above capMs`,
          { expected: `${Math.max(lo + 1, policy.floorMs)}..${Math.min(hi - 1, policy.capMs)} ms`, received: `${bad} ms` },
        );
      }
      if (exp * policy.jitterRatio >= 4 && exp < policy.capMs && new Set(values).size < 3) {
        throw new CheckFailure(`30 prngs gave backoffMs(${retry}) only ${[...new Set(values)].join(", ")} ms: draw the jitter from the injected prng so clients do not retry together`, {
          expected: `waits spread over ${lo + 1}..${hi - 1} ms`,
          received: [...new Set(values)].join(", "),
        });
      }
    }
  }
}

async function retryLimit(ctx: CheckContext): Promise<void> {
  const m = await load(ctx);
  for (let s = 0; s < seeds(200); s++) {
    const prng = createPrng(`limit-${s}`);
    const client = m.newClient(NODES, prng);
    const { operation } = m.newOperation(client, { type: "write", key: "x", value: s });
    const policy = POLICY(prng);
    const mix = prng.next() < 0.5;
    const trace = drive(m, operation, () => (mix ? FAILURES[prng.int(0, FAILURES.length - 1)]! : timeout), prng, policy);
    const attempts = trace.sends.length;
    if (trace.loop || attempts > policy.maxRetries + 1) {
      throw new CheckFailure(`seeded case ${s}: with maxRetries ${policy.maxRetries} and every attempt failing (${mix ? "timeouts, refusals and errors 11 and 13" : "timeouts"}), the client made ${trace.loop ? "endless" : attempts} attempts: stop after 1 + maxRetries attempts`, {
        expected: `at most ${policy.maxRetries + 1} attempts, then done`,
        received: trace.loop ? "more than 60 attempts" : `${attempts} attempts`,
      });
    }
    if (!mix && trace.done?.outcome !== "unknown") {
      throw new CheckFailure(`seeded case ${s}: every attempt of a write timed out, and the client settled ${trace.done?.outcome}: a timed-out write may have been applied, so the outcome is unknown`, {
        expected: "unknown",
        received: String(trace.done?.outcome),
      });
    }
  }
}

export const RETRY_CLIENT_HIDDEN: HiddenTest[] = [
  hidden(c(1), "sequences", { title: "seeded failure sequences over several operations: every retry keeps the operation's client_id, seq and request", weight: 1, files: FILES, run: identity }),
  hidden(c(1), "cluster", {
    title: "3 nodes under lost replies, duplicates and late replays: retries reuse the identity, no write applied twice",
    weight: 2,
    files: FILES,
    faultRun: true,
    run: (ctx) =>
      hiddenFaultRuns(ctx, {
        looksFor: "a retry sent under a new identity and applied twice",
        pieces: { core: false, client: true },
        runs: [{ nodes: 3, workload: "exactly-once", nemesis: ["lose-reply", "duplicate", "replay"], timeLimitS: 5, seeds: 10, firstSeed: 401 }],
        checks: () => ["exactly-once"],
        hint: "A retry reuses the operation's client_id and seq.",
      }),
  }),
  hidden(c(2), "redirects", { title: "seeded redirects from any node to any leader: followed at once, without waiting", weight: 1, files: FILES, run: redirects }),
  hidden(c(2), "cluster", {
    title: "5 nodes with leader crashes and partitions: the client follows redirects to each new leader and every write completes once",
    weight: 2,
    files: FILES,
    faultRun: true,
    run: (ctx) =>
      hiddenFaultRuns(ctx, {
        looksFor: "a client stuck on an old leader, or a write applied twice after a redirect",
        pieces: { core: false, client: true },
        runs: [{ nodes: 5, workload: "exactly-once", nemesis: ["kill", "partition"], timeLimitS: 6, seeds: 8, firstSeed: 421 }],
        checks: () => ["exactly-once", "redirects"],
        hint: "Error 11 with a leader: send there next, no wait.",
      }),
  }),
  hidden(c(3), "policies", { title: "seeded backoff policies and retries 1..12: exponential, capped, jittered from the prng, floored, whole ms", weight: 1, files: FILES, run: backoff }),
  hidden(c(4), "limits", { title: "seeded retry limits under endless failures: at most 1 + maxRetries attempts, a timed-out write settles unknown", weight: 1, files: FILES, run: retryLimit }),
  hidden(c(5), "cluster", {
    title: "3 and 5 nodes under lost replies, duplicates, late replays, crashes and partitions, your client and your node pieces: exactly once",
    weight: 3,
    files: [...FILES, "src/client-tracker.ts", "src/vote-rules.ts"],
    faultRun: true,
    run: (ctx) =>
      hiddenFaultRuns(ctx, {
        looksFor: "a write applied twice or acknowledged and lost",
        pieces: { core: true, client: true },
        runs: [
          { nodes: 3, workload: "exactly-once", nemesis: ["lose-reply", "duplicate", "replay", "kill", "partition"], timeLimitS: 6, seeds: 8, firstSeed: 441 },
          { nodes: 5, workload: "exactly-once", nemesis: ["lose-reply", "duplicate", "replay", "kill", "partition", "pause"], timeLimitS: 6, seeds: 8, firstSeed: 451 },
        ],
        checks: () => ["exactly-once"],
        hint: "The client keeps the identity; the servers answer a repeat from the session.",
      }),
  }),
];
