/**
 * The retrying client's checks (src/retry-client.ts), run through the
 * driver in week-12/plug/client.ts, the same one `kv-sim --client` uses.
 * Criteria 1 to 4 run the client over a scripted transport: a real
 * `Transport` that answers each request from a fixed script (a timeout, an
 * error, an ok) on a clock that moves only when a timeout passes or the
 * client sleeps, so every run is exact and instant. Criterion 5 also runs
 * the client against the reference cluster under lost replies, duplicated
 * requests, crashes and partitions, and lets the exactly-once checker judge
 * the history.
 */
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { TransportError, type ClientOptions, type KvClient, type OpResult, type Operation, type Transport } from "@dslab/client";
import { createPrng, type Body, type Prng } from "@dslab/protocol";
import type { ClientFactory, CoreFactory, FaultKind } from "@dslab/sim";
import { isNotImplemented } from "../src/todo.js";
import { clientFactoryFor, keepingErrors } from "../plug/client.js";
import { faultRuns } from "./fault-run.js";
import { criterion, LESSON } from "./lessons.js";
import { CheckFailure, type CheckContext, type CriterionCheck, type Workbook } from "./types.js";

const FILES: CriterionCheck["files"] = ["src/retry-client.ts"];
const NODES = ["n1", "n2", "n3"];
const MAX_RETRIES = 5;
const BASE_MS = 100;
const CAP_MS = 5_000;
const FLOOR_MS = 10;

// ---------------------------------------------------------------------------
// The scripted world: a transport, a clock and a sleep, all in memory.

/** What the scripted node does with one request. */
type Answer = "timeout" | "refused" | Body | ((sent: Sent) => Answer);

interface Sent {
  /** 1-based, over the whole scenario. */
  n: number;
  node: string;
  body: Body;
  atMs: number;
}

interface Scenario {
  /** The answers to the first requests, in order. */
  script: Answer[];
  /** The answer to every request after the script. Default: a timeout. */
  then?: Answer;
  ops: Operation[];
  seed?: string;
  options?: Partial<ClientOptions>;
  /** A client past this many sends or sleeps is in a loop: the scenario stops it. */
  maxSends?: number;
  maxSleeps?: number;
}

interface Sleep {
  ms: number;
  /** Sends before this sleep. */
  afterSend: number;
}

interface ScenarioRun {
  client: KvClient;
  sent: Sent[];
  sleeps: Sleep[];
  results: OpResult[];
  /** Set when the client went past `maxSends` or `maxSleeps`. */
  loop?: "sends" | "sleeps";
}

class ManualClock {
  nowMs = 0;
  now(): number {
    return this.nowMs;
  }
}

class ScriptedTransport implements Transport {
  readonly sent: Sent[] = [];
  constructor(
    private readonly clock: ManualClock,
    private readonly script: readonly Answer[],
    private readonly then: Answer,
    private readonly maxSends: number,
    private readonly onLoop: () => void,
  ) {}

  async send(node: string, body: Body, timeoutMs: number): Promise<Body> {
    if (this.sent.length >= this.maxSends) {
      this.onLoop();
      return new Promise<Body>(() => {});
    }
    const sent: Sent = { n: this.sent.length + 1, node, body: structuredClone(body), atMs: this.clock.nowMs };
    this.sent.push(sent);
    let answer = this.script[sent.n - 1] ?? this.then;
    while (typeof answer === "function") answer = answer(sent);
    if (answer === "timeout") {
      this.clock.nowMs += timeoutMs;
      throw new TransportError("timeout", node, `no reply within ${timeoutMs} ms`);
    }
    this.clock.nowMs += 1;
    if (answer === "refused") throw new TransportError("refused", node, "connection refused");
    return structuredClone(answer);
  }

  canReach(node: string): boolean {
    return NODES.includes(node);
  }
}

/** A PRNG whose every draw is `u`: the ends of the jitter range, exactly. */
function fixedPrng(u: number): Prng {
  const prng: Prng = {
    seed: `fixed-${u}`,
    next: () => u,
    int: (min, max) => min + Math.floor(u * (max - min + 1)),
    chance: (p) => u < p,
    pick: (items) => items[Math.floor(u * items.length)]!,
    fork: () => prng,
  };
  return prng;
}

async function runScenario(factory: ClientFactory, s: Scenario): Promise<ScenarioRun> {
  const clock = new ManualClock();
  let stop: (loop: "sends" | "sleeps") => void = () => {};
  const stopped = new Promise<"sends" | "sleeps">((resolve) => (stop = resolve));
  const transport = new ScriptedTransport(clock, s.script, s.then ?? "timeout", s.maxSends ?? 60, () => stop("sends"));
  const sleeps: Sleep[] = [];
  const maxSleeps = s.maxSleeps ?? 40;
  const client = factory({
    nodes: NODES,
    transport,
    prng: createPrng(s.seed ?? "retry-client"),
    clock,
    sleep: async (ms) => {
      if (sleeps.length >= maxSleeps) {
        stop("sleeps");
        return new Promise<void>(() => {});
      }
      sleeps.push({ ms, afterSend: transport.sent.length });
      clock.nowMs += Math.max(0, ms);
    },
    attemptTimeoutMs: 1_000,
    maxTotalMs: 1e12,
    ...s.options,
  });
  const results: OpResult[] = [];
  for (const op of s.ops) {
    const r = await Promise.race([client.execute(op), stopped]);
    if (typeof r === "string") return { client, sent: transport.sent, sleeps, results, loop: r };
    results.push(r);
  }
  return { client, sent: transport.sent, sleeps, results };
}

// ---------------------------------------------------------------------------
// Answers and words.

const TIMEOUT: Answer = "timeout";
const appendOk = (sent: Sent): Body => ({ type: "append_ok", value: [sent.body.value as number] });
const redirectTo = (leader: string): Body => ({ type: "error", code: 11, text: "not the leader", leader });
const NO_LEADER: Body = { type: "error", code: 11, text: "no leader known" };
const MALFORMED: Body = { type: "error", code: 12, text: "malformed request" };

const append = (value: number): Operation => ({ type: "append", key: "a", value });

function show(value: unknown): string {
  return value === undefined ? "undefined" : JSON.stringify(value);
}

function describeOutcome(r: OpResult | undefined): string {
  if (r === undefined) return "no outcome";
  if (r.outcome === "ok") return `ok (${r.attempts} attempts)`;
  const e = r.outcome === "failed" ? r.error : r.lastError;
  return `${r.outcome}, error ${e.code} (${r.attempts} attempts)`;
}

function sendsOf(run: ScenarioRun): string {
  return run.sent.map((s) => `${s.node} seq=${show(s.body.seq)}`).join(", ") || "nothing sent";
}

async function factoryOf(ctx: CheckContext): Promise<ClientFactory> {
  return clientFactoryFor(ctx.workbook);
}

/**
 * Bounds of the n-th retry's wait: 100 ms doubling to the cap, within +-25%
 * (whole ms), never below the floor: `lo..hi` is the range as printed
 * (75..125 ms for the first retry); `min` is the least wait accepted, one
 * ms below `lo` for a jitter rounded down.
 */
function waitBounds(retry: number): { exponential: number; lo: number; hi: number; min: number } {
  const exponential = Math.min(CAP_MS, BASE_MS * 2 ** (retry - 1));
  const lo = Math.max(FLOOR_MS, Math.floor(exponential * 0.75));
  return { exponential, lo, hi: Math.min(CAP_MS, Math.ceil(exponential * 1.25)), min: Math.max(FLOOR_MS, lo - 1) };
}

// ---------------------------------------------------------------------------
// 1. All retries reuse the original request id.

async function checkIdentityReused(ctx: CheckContext): Promise<void> {
  const factory = await factoryOf(ctx);
  const run = await runScenario(factory, { script: [TIMEOUT, TIMEOUT, appendOk, appendOk], ops: [append(1), append(2)] });
  const [first, second] = run.results;
  if (run.loop || first === undefined || run.sent.length < 3) {
    throw new CheckFailure("the client did not retry a timed-out append: after two timeouts, the third attempt should have been answered ok", {
      expected: "3 attempts for the first append: timeout, timeout, append_ok",
      received: `${run.sent.length} sent (${sendsOf(run)}); ${describeOutcome(first)}`,
    });
  }
  const origin = run.sent[0]!.body;
  if (typeof origin.client_id !== "string" || origin.client_id === "" || !Number.isSafeInteger(origin.seq) || (origin.seq as number) < 1) {
    throw new CheckFailure("the first attempt of an append carried no identity: a mutating request carries client_id (a string) and seq (a positive integer)", {
      expected: "client_id: a decimal string, seq: 1, 2, 3, ...",
      received: `client_id=${show(origin.client_id)} seq=${show(origin.seq)}`,
    });
  }
  for (const field of ["type", "key", "value"] as const) {
    if (show(origin[field]) !== show(append(1)[field as keyof Operation])) {
      throw new CheckFailure(`the request does not carry the operation's ${field}: send the operation with client_id and seq added`, {
        expected: show(append(1)),
        received: show(origin),
      });
    }
  }
  for (const s of run.sent.slice(1, 3)) {
    const retry = s.n - 1;
    if (s.body.client_id !== origin.client_id) {
      throw new CheckFailure(
        `retry ${retry} was sent with client_id ${show(s.body.client_id)}, but the operation's is ${show(origin.client_id)}: a retry must reuse the operation's identity`,
        { expected: `client_id=${origin.client_id} seq=${origin.seq}`, received: `client_id=${show(s.body.client_id)} seq=${show(s.body.seq)}` },
      );
    }
    if (s.body.seq !== origin.seq) {
      throw new CheckFailure(
        `retry ${retry} was sent with seq ${show(s.body.seq)}, but the operation's seq is ${origin.seq}: a retry must reuse the operation's identity, or the cluster applies it again`,
        { expected: `seq=${origin.seq} on every attempt`, received: sendsOf(run) },
      );
    }
  }
  if (first.outcome !== "ok") {
    throw new CheckFailure("the third attempt was answered append_ok, but the operation did not end ok: an *_ok reply ends the operation", {
      expected: "ok",
      received: describeOutcome(first),
    });
  }
  const again = run.sent[3]?.body;
  if (second === undefined || again === undefined) {
    throw new CheckFailure("the second append was not sent", { received: sendsOf(run) });
  }
  if (again.client_id !== origin.client_id) {
    throw new CheckFailure(`the second operation was sent with client_id ${show(again.client_id)}, the first with ${show(origin.client_id)}: choose the client_id once per client`, {
      expected: `client_id=${origin.client_id}`,
      received: `client_id=${show(again.client_id)}`,
    });
  }
  if (again.seq !== (origin.seq as number) + 1) {
    throw new CheckFailure(
      again.seq === origin.seq
        ? `the second operation reused seq ${origin.seq}: each new operation takes the next seq (the cluster answers a repeated seq from its cache)`
        : `the second operation was sent with seq ${show(again.seq)} after seq ${origin.seq}: the seq counts up by one per operation, not per attempt`,
      { expected: `seq=${(origin.seq as number) + 1}`, received: `seq=${show(again.seq)}` },
    );
  }
  if (run.client.clientId !== origin.client_id) {
    throw new CheckFailure(`the client's clientId is ${show(run.client.clientId)}, but its requests carry ${show(origin.client_id)}`, {
      expected: show(origin.client_id),
      received: show(run.client.clientId),
    });
  }
  await checkClientIds(factory);
}

/** client_id: 128 random bits from the injected PRNG, as a decimal string. */
async function checkClientIds(factory: ClientFactory): Promise<void> {
  const idOf = async (seed: string): Promise<string> => {
    const run = await runScenario(factory, { seed, script: [appendOk], ops: [append(1)] });
    return String(run.sent[0]?.body.client_id);
  };
  const seeds = ["id-1", "id-2", "id-3", "id-4"];
  const ids = await Promise.all(seeds.map(idOf));
  for (const id of ids) {
    if (!/^[0-9]+$/.test(id)) {
      throw new CheckFailure(`client_id ${show(id)} is not a decimal number: write the 128 random bits as a decimal string`, { expected: "digits only", received: id });
    }
    const bits = BigInt(id).toString(2).length;
    if (bits > 128) {
      throw new CheckFailure(`client_id ${id} has ${bits} bits: it is 128 random bits`, { expected: "at most 128 bits", received: `${bits} bits` });
    }
    if (bits <= 64) {
      throw new CheckFailure(
        `client_id ${id} has only ${bits} bits: draw 128 random bits (e.g. four prng.int(0, 0xffffffff) words), so two clients never share an id`,
        { expected: "128 random bits", received: `${bits} bits` },
      );
    }
  }
  if (new Set(ids).size !== ids.length) {
    throw new CheckFailure("clients made with different seeds got the same client_id: draw it from the injected prng", { received: ids.join(", ") });
  }
  const twin = await idOf(seeds[0]!);
  if (twin !== ids[0]) {
    throw new CheckFailure("two clients made with the same seed got different client_ids: draw the id from the injected prng, not Math.random() or crypto", {
      expected: ids[0],
      received: twin,
    });
  }
}

// ---------------------------------------------------------------------------
// 2. The client follows a redirect to the correct leader.

async function checkRedirect(ctx: CheckContext): Promise<void> {
  const factory = await factoryOf(ctx);
  const run = await runScenario(factory, { script: [redirectTo("n3"), appendOk], ops: [append(1)] });
  const [first, second] = run.sent;
  if (first === undefined || second === undefined) {
    throw new CheckFailure("after error 11 naming leader n3, the client sent nothing more: a redirect is followed, not the end of the operation", {
      expected: "attempt 2 to n3",
      received: `${sendsOf(run)}; ${describeOutcome(run.results[0])}`,
    });
  }
  const waited = run.sleeps.filter((s) => s.afterSend === 1 && s.ms > 0);
  if (waited.length > 0) {
    throw new CheckFailure(
      `the client waited ${waited.map((s) => s.ms).join(" + ")} ms before following the redirect to n3: a redirect names the leader; follow it at once, without backoff`,
      { expected: "no wait between attempt 1 (error 11, leader n3) and attempt 2", received: `a wait of ${waited[0]!.ms} ms` },
    );
  }
  if (second.node !== "n3") {
    throw new CheckFailure(`after n1 answered error 11 naming leader n3, the next attempt went to ${second.node}: follow the redirect to the node the error names`, {
      expected: "attempt 2 to n3",
      received: `attempt 2 to ${second.node}`,
    });
  }
  if (run.results[0]?.outcome !== "ok") {
    throw new CheckFailure("the leader answered append_ok after the redirect, but the operation did not end ok", {
      expected: "ok",
      received: describeOutcome(run.results[0]),
    });
  }

  // A redirect is not a retry: 1 attempt, 1 redirect, then the first attempt and 5 retries at the leader.
  const counted = await runScenario(factory, { script: [redirectTo("n3")], then: TIMEOUT, ops: [append(1)] });
  const expected = 2 + MAX_RETRIES;
  if (counted.loop === undefined && counted.sent.length === expected - 1) {
    throw new CheckFailure(
      `the redirect was counted as a retry: after it the client made only ${MAX_RETRIES} attempts at the leader under endless timeouts; a redirect does not count against the retry limit`,
      { expected: `${expected} attempts: the redirect, then 1 + ${MAX_RETRIES} at n3`, received: `${counted.sent.length} attempts` },
    );
  }
  if (counted.loop === undefined && counted.sent.length !== expected) {
    throw new CheckFailure(`after a redirect and endless timeouts the client made ${counted.sent.length} attempts: a redirect does not count against the limit of ${MAX_RETRIES} retries`, {
      expected: `${expected} attempts`,
      received: `${counted.sent.length} attempts (${sendsOf(counted)})`,
    });
  }
}

// ---------------------------------------------------------------------------
// 3. Exponential backoff with jitter on network timeout.

const BACKOFF_RETRIES = 8;

async function waitsUnderTimeouts(factory: ClientFactory, seed: string): Promise<number[]> {
  const run = await runScenario(factory, { seed, script: [], then: TIMEOUT, ops: [append(1)], options: { maxRetries: BACKOFF_RETRIES } });
  const waits = run.sleeps.map((s) => s.ms);
  if (waits.length !== BACKOFF_RETRIES) {
    throw new CheckFailure(
      `under endless timeouts with maxRetries ${BACKOFF_RETRIES} the client waited ${waits.length} times: wait once before each retry after a timeout`,
      { expected: `${BACKOFF_RETRIES} waits`, received: waits.length === 0 ? "no wait" : `${waits.join(", ")} ms` },
    );
  }
  return waits;
}

async function checkBackoff(ctx: CheckContext): Promise<void> {
  const factory = await factoryOf(ctx);
  const waits = await waitsUnderTimeouts(factory, "backoff-1");
  const schedule = waits.map((_, i) => waitBounds(i + 1).exponential);
  waits.forEach((ms, i) => {
    const { exponential, lo, hi, min } = waitBounds(i + 1);
    if (ms < FLOOR_MS) {
      throw new CheckFailure(`retry ${i + 1} waited ${ms} ms: a wait is never below the ${FLOOR_MS} ms floor`, { expected: `${lo}..${hi} ms`, received: `${waits.join(", ")} ms` });
    }
    if (ms > CAP_MS) {
      throw new CheckFailure(`retry ${i + 1} waited ${ms} ms, above the ${CAP_MS} ms cap: no wait is longer than the cap`, {
        expected: `${lo}..${hi} ms`,
        received: `${waits.join(", ")} ms`,
      });
    }
    if (ms < min || ms > hi) {
      throw new CheckFailure(
        `retry ${i + 1} waited ${ms} ms; expected ${exponential} ms ± 25% (${lo}..${hi}): the wait starts at ${BASE_MS} ms and doubles per retry up to the ${CAP_MS} ms cap`,
        { expected: `about ${schedule.join(", ")} ms`, received: `${waits.join(", ")} ms` },
      );
    }
  });
  if (waits.every((ms, i) => ms === schedule[i])) {
    throw new CheckFailure(
      "no jitter: every wait is exactly 100 × 2^(n-1) ms; multiply it by 1 ± 25% drawn from the injected prng, so clients that failed together do not retry together",
      { expected: "waits spread within ± 25%", received: `${waits.join(", ")} ms` },
    );
  }
  const twin = await waitsUnderTimeouts(factory, "backoff-1");
  if (twin.join() !== waits.join()) {
    throw new CheckFailure("the same seed gave different waits: draw the jitter from the injected prng, not Math.random()", {
      expected: `${waits.join(", ")} ms`,
      received: `${twin.join(", ")} ms`,
    });
  }
  const other = await waitsUnderTimeouts(factory, "backoff-2");
  if (other.join() === waits.join()) {
    throw new CheckFailure("two different seeds gave the same waits: the jitter must come from the injected prng", { received: `${waits.join(", ")} ms for both` });
  }
  await checkBackoffFunction(ctx);
}

/** `backoffMs` alone: the whole jitter range, the cap and the floor at the ends of the range. */
async function checkBackoffFunction(ctx: CheckContext): Promise<void> {
  const m = await ctx.workbook.import<typeof import("../src/retry-client.js")>("src/retry-client.ts");
  const policy = { baseMs: BASE_MS, capMs: CAP_MS, jitterRatio: 0.25, floorMs: FLOOR_MS };
  const prng = createPrng("backoff-spread");
  const draws = Array.from({ length: 200 }, () => m.backoffMs(1, prng, policy));
  const lo = Math.min(...draws);
  const hi = Math.max(...draws);
  if (lo > 85 || hi < 115) {
    throw new CheckFailure(`200 first-retry waits all fell within ${lo}..${hi} ms: spread the jitter over the whole ± 25% (75..125 ms)`, {
      expected: "waits from about 75 to 125 ms",
      received: `${lo}..${hi} ms`,
    });
  }
  const capped = m.backoffMs(12, fixedPrng(0.9999), policy);
  if (capped > CAP_MS) {
    throw new CheckFailure(`backoffMs(12) returned ${capped} ms when the jitter drew its top: jitter never takes a wait above the ${CAP_MS} ms cap`, {
      expected: `at most ${CAP_MS} ms`,
      received: `${capped} ms`,
    });
  }
  const floored = m.backoffMs(1, fixedPrng(0), { ...policy, jitterRatio: 1 });
  if (floored < FLOOR_MS) {
    throw new CheckFailure(`backoffMs(1) returned ${floored} ms with jitter ratio 1 and a draw of 0: a wait is never below the floor (${FLOOR_MS} ms), or a backoff becomes an immediate retry`, {
      expected: `at least ${FLOOR_MS} ms`,
      received: `${floored} ms`,
    });
  }
}

// ---------------------------------------------------------------------------
// 4. A retry limit prevents infinite retry loops.

async function checkRetryLimit(ctx: CheckContext): Promise<void> {
  const factory = await factoryOf(ctx);
  const endless = await runScenario(factory, { script: [], then: TIMEOUT, ops: [append(1)] });
  if (endless.loop !== undefined) {
    throw new CheckFailure(
      `the client was still retrying after ${endless.sleeps.length} retries under endless timeouts: stop after ${MAX_RETRIES} retries (${MAX_RETRIES + 1} attempts) and report the outcome`,
      { expected: `${MAX_RETRIES + 1} attempts`, received: `more than ${endless.sent.length} attempts` },
    );
  }
  if (endless.sent.length !== MAX_RETRIES + 1) {
    throw new CheckFailure(`under endless timeouts the client made ${endless.sent.length} attempts: make the first attempt and ${MAX_RETRIES} retries, then stop`, {
      expected: `${MAX_RETRIES + 1} attempts`,
      received: `${endless.sent.length} attempts, ${describeOutcome(endless.results[0])}`,
    });
  }
  const limited = await runScenario(factory, { script: [], then: TIMEOUT, ops: [append(1)], options: { maxRetries: 2 } });
  if (limited.loop !== undefined || limited.sent.length !== 3) {
    throw new CheckFailure(`with maxRetries 2 the client made ${limited.loop ? "endless" : limited.sent.length} attempts: read the limit from policy.maxRetries`, {
      expected: "3 attempts",
      received: `${limited.sent.length} attempts`,
    });
  }

  const malformed = await runScenario(factory, { script: [MALFORMED], then: MALFORMED, ops: [append(1)] });
  if (malformed.loop !== undefined || malformed.sent.length > 1) {
    throw new CheckFailure(
      `retried a malformed request (error 12) ${malformed.loop ? "without end" : `${malformed.sent.length - 1} times`}: a malformed request can never succeed: retrying it is a loop`,
      { expected: "1 attempt, then failed", received: `${malformed.sent.length} attempts` },
    );
  }
  if (malformed.results[0]?.outcome === "ok") {
    throw new CheckFailure("a request answered error 12 (malformed) ended ok: an error reply is not a success", { expected: "failed", received: "ok" });
  }

  // Two nodes naming each other as leader: redirects at once, but not forever.
  const pingPong = await runScenario(factory, { script: [], then: (s) => redirectTo(s.node === "n1" ? "n2" : "n1"), ops: [append(1)] });
  if (pingPong.loop !== undefined) {
    throw new CheckFailure(
      `two nodes naming each other as leader kept the client going for ${pingPong.sent.length} attempts: follow at most 8 redirects per operation, then back off as if no leader were known`,
      { expected: `at most ${1 + 8 + MAX_RETRIES} attempts`, received: `more than ${pingPong.sent.length - 1}` },
    );
  }
}

// ---------------------------------------------------------------------------
// 5. Server-side dedup ensures at-most-once application.

async function checkAtMostOnce(ctx: CheckContext): Promise<void> {
  const factory = await factoryOf(ctx);
  const timeouts = await runScenario(factory, { script: [], then: TIMEOUT, ops: [append(1)] });
  const t = timeouts.results[0];
  if (t?.outcome === "failed") {
    throw new CheckFailure(
      "reporting failure when the outcome is unknown: every attempt timed out, and a timed-out write may have been applied; the caller would retry it under a new seq and apply it twice",
      { expected: "unknown", received: describeOutcome(t) },
    );
  }
  if (t?.outcome === "ok") {
    throw new CheckFailure("every attempt timed out, yet the operation ended ok: nothing said it happened", { expected: "unknown", received: describeOutcome(t) });
  }
  const refusals = await runScenario(factory, { script: [], then: NO_LEADER, ops: [append(1)] });
  const r = refusals.results[0];
  if (r?.outcome === "failed") {
    throw new CheckFailure(
      "reporting failure when the outcome is unknown: every attempt got error 11 (no leader), but a refusal speaks only for the copy that got it; a duplicated or late copy may still reach a leader",
      { expected: "unknown", received: describeOutcome(r) },
    );
  }

  const { createCore, core } = await workbookCore(ctx.workbook);
  const kept = keepingErrors(factory);
  const spec = (withCore: CoreFactory | undefined, coreModule: string | undefined) => ({
    label: `your retrying client${withCore ? " and your node pieces" : ""} in the cluster`,
    config: {
      nodes: 3,
      timeLimitS: 5,
      rate: 100,
      concurrency: 8,
      workload: "exactly-once" as const,
      nemesis: ["lose-reply", "duplicate", "kill", "partition"] as FaultKind[],
      livenessBoundS: 10,
      client: "week-12/plug/client.ts",
      ...(coreModule ? { core: coreModule } : {}),
    },
    firstSeed: 1,
    defaultSeeds: 6,
    ...(withCore ? { createCore: withCore } : {}),
    options: { createClient: kept.factory },
    checks: ["exactly-once"],
  });
  // An error your client threw inside a run is the news, not the history it left behind.
  const run = (withCore: CoreFactory | undefined, coreModule: string | undefined) =>
    faultRuns(ctx, spec(withCore, coreModule)).then(
      () => {
        if (kept.error() !== undefined) throw kept.error();
      },
      (e: unknown) => {
        throw kept.error() ?? e;
      },
    );
  try {
    await run(createCore, core);
  } catch (e) {
    // Pieces of later lessons not written yet: judge the client with the reference core.
    if (createCore === undefined || !isNotImplemented(e) || RETRY_FUNCTIONS.includes(e.fn)) throw e;
    await run(undefined, undefined);
  }
}

const RETRY_FUNCTIONS = ["newClient", "newOperation", "classify", "backoffMs", "onResult", "settle"];

/** The workbook's node core, when week-12/plug/core.ts is there to build it. */
async function workbookCore(workbook: Workbook): Promise<{ createCore?: CoreFactory; core?: string }> {
  const path = fileURLToPath(new URL("../plug/core.ts", import.meta.url));
  if (!existsSync(path)) return {};
  const plug = (await import(pathToFileURL(path).href)) as { coreFactoryFor?: (w: Workbook) => Promise<CoreFactory | undefined> };
  try {
    const createCore = await plug.coreFactoryFor?.(workbook);
    return createCore ? { createCore, core: "week-12/plug/core.ts" } : {};
  } catch {
    // The workbook's node pieces do not load yet (their own checks say why): the reference core judges the client.
    return {};
  }
}

// ---------------------------------------------------------------------------

const c = (n: number) => criterion(LESSON.clientRetry, n);

export const RETRY_CLIENT_CHECKS: CriterionCheck[] = [
  { criterion: c(1), title: "all retries reuse the original request id", files: FILES, run: checkIdentityReused },
  { criterion: c(2), title: "the client follows a redirect to the correct leader", files: FILES, run: checkRedirect },
  { criterion: c(3), title: "exponential backoff with jitter on network timeout", files: FILES, run: checkBackoff },
  { criterion: c(4), title: "a retry limit prevents infinite retry loops", files: FILES, run: checkRetryLimit },
  { criterion: c(5), title: "server-side dedup ensures at-most-once application", files: FILES, faultRun: true, run: checkAtMostOnce },
];
