/**
 * Exactly-once: did every write take effect once, and only the writes that
 * could have?
 *
 * History shape (what the workload records; see README "Exactly-once"):
 *
 *   append: invoke {f: "append", key, value: v, client_id, seq}
 *           ok     {value: [..., v]}        the list after the append
 *   incr:   invoke {f: "incr", key, value: delta, client_id, seq}
 *           ok     {value: n}               the counter after the increment
 *   read:   invoke {f: "read", key, value: null}
 *           ok     {value: [...] | n}       the list / counter (nil: missing)
 *
 * Every request has one (client_id, seq); a retry reuses the pair (and the
 * same v / delta) and is recorded as another invoke/completion with that
 * pair. Append values are unique per (client_id, seq), so a value seen twice
 * was applied twice. Increment deltas should be positive.
 *
 * A request is *acknowledged* if any attempt returned ok, *failed* if every
 * attempt failed (definite errors), and *indefinite* otherwise. The final read
 * of a key is its last read that returned ok.
 *
 * A history with no append or incr at all is "unknown", never valid: there
 * is nothing to judge. `missingIdentity` (identity.ts) is what a caller
 * reading a file checks first.
 */
import type { EdnValue } from "../formats/edn.js";
import { printEdn } from "../formats/edn.js";
import type { History, Value } from "../history/op.js";
import type { Call } from "../history/pair.js";
import { pairOps } from "../history/pair.js";
import type { State } from "../lin/model.js";
import { canon, clipShown, inexactCount, keyText, showCanon } from "../lin/model.js";

export type AnomalyKind =
  | "applied-twice"
  | "acknowledged-lost"
  | "failed-applied"
  | "wrong-reply"
  | "impossible-order"
  | "inconsistent-replies";

export interface Anomaly {
  kind: AnomalyKind;
  key: string;
  /** One sentence a person can act on. */
  message: string;
  /** The operations involved: the writes and the reads or replies that show it. */
  ops: Call[];
}

export interface ExactlyOnceResult {
  valid: true | false | "unknown";
  ops: number;
  anomalies: Anomaly[];
  /** Why the verdict is unknown (e.g. a key was written but never read). */
  unknownReason?: string;
  requests: { acknowledged: number; failed: number; indefinite: number };
  elapsedMs: number;
}

interface Request {
  id: string;
  key: string;
  f: "append" | "incr";
  /** The appended element or the delta. */
  value: State;
  attempts: Call[];
  status: "acknowledged" | "failed" | "indefinite";
}

const keyOf = (c: Call): string => (c.invoke.key === undefined ? "" : keyText(c.invoke.key));

function listOf(v: Value | undefined): EdnValue[] | undefined {
  if (v === null || v === undefined) return [];
  return Array.isArray(v) ? v : undefined;
}

function showKey(key: string): string {
  return key === "" ? "the object" : `key ${JSON.stringify(key)}`;
}

function requestName(r: Request): string {
  return `${r.f} ${showCanon(r.value)} (client ${r.id.split("\u0000").join(", seq ")})`;
}

export interface ExactlyOnceOptions {
  now?: () => number;
}

export function checkExactlyOnce(history: History, options: ExactlyOnceOptions = {}): ExactlyOnceResult {
  const now = options.now ?? (() => performance.now());
  const started = now();
  const calls = pairOps(history);
  const anomalies: Anomaly[] = [];
  const requests = new Map<string, Request>();
  const readsByKey = new Map<string, Call[]>();
  const writesByKey = new Map<string, Request[]>();

  for (const c of calls) {
    const key = keyOf(c);
    if (c.f === "read" || c.f === "get") {
      if (c.outcome === "ok") {
        let list = readsByKey.get(key);
        if (list === undefined) readsByKey.set(key, (list = []));
        list.push(c);
      }
      continue;
    }
    if (c.f !== "append" && c.f !== "incr" && c.f !== "add") continue;
    const f = c.f === "append" ? "append" : "incr";
    // Without an identity, each call is its own request.
    const id = c.invoke.client_id !== undefined && c.invoke.seq !== undefined ? `${c.invoke.client_id}\u0000${c.invoke.seq}` : `process ${String(c.process)}\u0000op ${c.invoke.index}`;
    let r = requests.get(id);
    if (r === undefined) {
      r = { id, key, f, value: canon(c.invoke.value ?? (f === "incr" ? 1 : null)), attempts: [], status: "failed" };
      requests.set(id, r);
      let list = writesByKey.get(key);
      if (list === undefined) writesByKey.set(key, (list = []));
      list.push(r);
    }
    r.attempts.push(c);
  }
  for (const r of requests.values()) {
    if (r.attempts.some((a) => a.outcome === "ok")) r.status = "acknowledged";
    else if (r.attempts.some((a) => a.outcome !== "fail")) r.status = "indefinite";
  }

  let unknownReason: string | undefined;
  if (requests.size === 0) {
    // Reads alone (or a register history) show nothing about exactly-once: not "valid".
    const fs = [...new Set(calls.map((c) => c.f))].sort();
    unknownReason =
      `no append or incr operation to judge (the history has ${fs.length === 0 ? "no client operations" : ":f " + fs.join(", ")}); ` +
      "the exactly-once check judges append and incr workloads with client_id and seq";
  }
  for (const [key, writes] of writesByKey) {
    const reads = readsByKey.get(key) ?? [];
    const appends = writes.filter((w) => w.f === "append");
    const incrs = writes.filter((w) => w.f === "incr");
    if (appends.length > 0) checkAppends(key, appends, reads, anomalies);
    if (incrs.length > 0) {
      const undecided = checkIncrs(key, incrs, reads, anomalies);
      if (undecided !== undefined) unknownReason ??= undecided;
    }
    if (reads.length === 0 && writes.some((w) => w.status === "acknowledged")) {
      unknownReason ??= `${showKey(key)} was written but never read, so lost writes cannot be ruled out`;
    }
  }

  const counts = { acknowledged: 0, failed: 0, indefinite: 0 };
  for (const r of requests.values()) counts[r.status]++;
  return {
    valid: anomalies.length > 0 ? false : unknownReason !== undefined ? "unknown" : true,
    ops: calls.length,
    // An attempt can also be what shows the anomaly (its own reply): list each op once.
    anomalies: anomalies.map((a) => ({ ...a, ops: [...new Set(a.ops)] })),
    ...(unknownReason !== undefined && anomalies.length === 0 ? { unknownReason } : {}),
    requests: counts,
    elapsedMs: now() - started,
  };
}

function checkAppends(key: string, appends: Request[], reads: Call[], anomalies: Anomaly[]): void {
  const byValue = new Map<State, Request>();
  for (const r of appends) {
    const other = byValue.get(r.value);
    if (other !== undefined) {
      anomalies.push({
        kind: "applied-twice",
        key,
        message: `${showKey(key)}: two requests append the same value ${showCanon(r.value)} (${requestName(other)} and ${requestName(r)}); values must be unique per (client_id, seq) for this check`,
        ops: [...other.attempts, ...r.attempts],
      });
    } else byValue.set(r.value, r);
  }
  // Every list anyone saw: reads, and the lists append replies returned.
  const observations: Array<{ call: Call; list: State[] }> = [];
  for (const read of reads) {
    const list = listOf(read.completion!.value);
    if (list === undefined) {
      anomalies.push({ kind: "wrong-reply", key, message: `${showKey(key)}: read (op ${read.completion!.index}) returned ${clipShown(printEdn(read.completion!.value))}, not a list`, ops: [read] });
      continue;
    }
    observations.push({ call: read, list: list.map(canon) });
  }
  for (const r of appends) {
    const replies = r.attempts.filter((a) => a.outcome === "ok");
    let first: string | undefined;
    for (const a of replies) {
      const list = listOf(a.completion!.value);
      const shown = printEdn(a.completion!.value);
      if (list === undefined || list.length === 0 || canon(list[list.length - 1]) !== r.value) {
        anomalies.push({
          kind: "wrong-reply",
          key,
          message: `${showKey(key)}: the reply to ${requestName(r)} (op ${a.completion!.index}) is ${shown.slice(0, 120)}, which does not end with ${showCanon(r.value)}: it answers a different request`,
          ops: [a],
        });
      } else observations.push({ call: a, list: list.map(canon) });
      if (first === undefined) first = shown;
      else if (first !== shown) {
        anomalies.push({
          kind: "inconsistent-replies",
          key,
          message: `${showKey(key)}: attempts of ${requestName(r)} got different replies (${first.slice(0, 60)} and ${shown.slice(0, 60)}); a duplicate must get the first response again`,
          ops: replies,
        });
      }
    }
  }

  for (const obs of observations) {
    const counts = new Map<State, number>();
    for (const v of obs.list) counts.set(v, (counts.get(v) ?? 0) + 1);
    for (const [v, n] of counts) {
      const r = byValue.get(v);
      if (n > 1) {
        anomalies.push({
          kind: "applied-twice",
          key,
          message: `${showKey(key)}: ${r === undefined ? `value ${showCanon(v)}` : requestName(r)} appears ${n} times in the list seen by op ${obs.call.completion!.index}: it was applied more than once`,
          ops: [...(r?.attempts ?? []), obs.call],
        });
      }
      if (r !== undefined && r.status === "failed") {
        anomalies.push({
          kind: "failed-applied",
          key,
          message: `${showKey(key)}: ${requestName(r)} failed definitely, yet op ${obs.call.completion!.index} sees its value`,
          ops: [...r.attempts, obs.call],
        });
      }
      if (r !== undefined && r.attempts[0]!.callIndex > obs.call.returnIndex) {
        anomalies.push({
          kind: "impossible-order",
          key,
          message: `${showKey(key)}: op ${obs.call.completion!.index} sees ${requestName(r)} before that request was first sent (op ${r.attempts[0]!.invoke.index})`,
          ops: [obs.call, r.attempts[0]!],
        });
      }
    }
  }
  // An append-only list: everything anyone saw must be prefixes of one list.
  const sorted = observations.slice().sort((a, b) => a.list.length - b.list.length);
  for (let i = 1; i < sorted.length; i++) {
    const shorter = sorted[i - 1]!;
    const longer = sorted[i]!;
    const at = shorter.list.findIndex((v, j) => longer.list[j] !== v);
    if (at !== -1) {
      anomalies.push({
        kind: "impossible-order",
        key,
        message: `${showKey(key)}: op ${shorter.call.completion!.index} and op ${longer.call.completion!.index} see the list in different orders (position ${at}: ${showCanon(shorter.list[at]!)} vs ${showCanon(longer.list[at] ?? null)})`,
        ops: [shorter.call, longer.call],
      });
      break;
    }
  }

  const final = reads.reduce<Call | undefined>((a, b) => (a === undefined || b.returnIndex > a.returnIndex ? b : a), undefined);
  if (final === undefined) return;
  const finalList = new Set((listOf(final.completion!.value) ?? []).map(canon));
  for (const r of appends) {
    if (r.status !== "acknowledged" || finalList.has(r.value)) continue;
    const ack = r.attempts.find((a) => a.outcome === "ok")!;
    if (ack.returnIndex > final.callIndex) continue; // acknowledged after the final read began
    anomalies.push({
      kind: "acknowledged-lost",
      key,
      message: `${showKey(key)}: ${requestName(r)} was acknowledged (op ${ack.completion!.index}) but the final read (op ${final.completion!.index}) does not contain it`,
      ops: [ack, final],
    });
  }
}

/** Checks one key's increments; returns why the final read could not be judged, when it could not. */
function checkIncrs(key: string, incrs: Request[], reads: Call[], anomalies: Anomaly[]): string | undefined {
  // Replies: the counter after each increment. Counters only grow (positive
  // deltas), so two different requests cannot get the same reply.
  const byReply = new Map<State, { r: Request; call: Call }>();
  for (const r of incrs) {
    let first: State | undefined;
    for (const a of r.attempts) {
      if (a.outcome !== "ok") continue;
      const reply = canon(a.completion!.value);
      if (first === undefined) first = reply;
      else if (first !== reply) {
        anomalies.push({
          kind: "inconsistent-replies",
          key,
          message: `${showKey(key)}: attempts of ${requestName(r)} got different replies (${showCanon(first)} and ${showCanon(reply)}); a duplicate must get the first response again`,
          ops: r.attempts.filter((x) => x.outcome === "ok"),
        });
        continue;
      }
      const other = byReply.get(reply);
      if (other !== undefined && other.r !== r) {
        anomalies.push({
          kind: "wrong-reply",
          key,
          message: `${showKey(key)}: ${requestName(other.r)} and ${requestName(r)} both got the reply ${showCanon(reply)}; one of them was answered with the other's response`,
          ops: [other.call, a],
        });
      } else byReply.set(reply, { r, call: a });
      if (typeof reply === "number" && typeof r.value === "number" && reply < r.value) {
        anomalies.push({ kind: "wrong-reply", key, message: `${showKey(key)}: ${requestName(r)} got the reply ${reply}, less than its own delta`, ops: [a] });
      }
    }
  }
  const final = reads.reduce<Call | undefined>((a, b) => (a === undefined || b.returnIndex > a.returnIndex ? b : a), undefined);
  if (final === undefined) return undefined;
  const read = canon(final.completion!.value) ?? 0;
  if (typeof read !== "number" && typeof read !== "bigint") {
    anomalies.push({
      kind: "wrong-reply",
      key,
      message: `${showKey(key)}: the final read (op ${final.completion!.index}) returned ${clipShown(printEdn(final.completion!.value))}, not a number`,
      ops: [final],
    });
    return undefined;
  }
  // Deltas and their sums must be exact: a delta beyond 2^53 or a fraction leaves the count unjudged, never counted as 0 or rounded.
  const inexact = inexactCount(
    incrs.map((r) => ({ kind: "incr", arg: r.value, call: r.attempts[0]! })),
    "count",
  );
  if (inexact !== undefined) return `${showKey(key)}: ${inexact}`;
  // Every sum of the deltas is within 2^53 now: a read beyond it, as the nearest double, is still beyond every sum.
  const total = Number(read);
  // Only requests begun before the final read returned can be in it.
  const before = incrs.filter((r) => r.attempts[0]!.callIndex < final.returnIndex);
  const acked = new Set(before.filter((r) => r.status === "acknowledged" && r.attempts.find((a) => a.outcome === "ok")!.returnIndex < final.callIndex));
  const maybe = before.filter((r) => !acked.has(r) && r.status !== "failed");
  const failed = before.filter((r) => r.status === "failed");
  const delta = (r: Request) => (typeof r.value === "number" ? r.value : 0);
  const sumAcked = [...acked].reduce((s, r) => s + delta(r), 0);
  const sumMaybe = maybe.reduce((s, r) => s + delta(r), 0);
  const finalOps = [final];
  if (total < sumAcked) {
    anomalies.push({
      kind: "acknowledged-lost",
      key,
      message: `${showKey(key)}: the final read (op ${final.completion!.index}) is ${total}, but the acknowledged increments alone add up to ${sumAcked}: some acknowledged increment was lost`,
      ops: finalOps,
    });
    return undefined;
  }
  const explained = reachable(total - sumAcked, maybe.map(delta));
  if (explained === true) return undefined;
  if (explained === undefined) {
    return (
      `${showKey(key)}: whether some of the ${maybe.length} indefinite increments added to the acknowledged ones (${sumAcked}) give the final read ` +
      `(op ${final.completion!.index}, ${total}) was not settled within ${SUMS_TRIED_MAX.toLocaleString("en-US")} sums tried`
    );
  }
  if (total > sumAcked + sumMaybe) {
    const withFailed = reachable(total - sumAcked, maybe.concat(failed).map(delta)) !== false;
    anomalies.push({
      kind: withFailed && failed.length > 0 ? "failed-applied" : "applied-twice",
      key,
      message:
        `${showKey(key)}: the final read (op ${final.completion!.index}) is ${total}, more than every acknowledged and indefinite increment together (${sumAcked + sumMaybe})` +
        (withFailed && failed.length > 0 ? ": a definitely failed increment was applied" : ": some increment was applied more than once"),
      ops: finalOps,
    });
    return undefined;
  }
  anomalies.push({
    kind: "applied-twice",
    key,
    message: `${showKey(key)}: the final read (op ${final.completion!.index}) is ${total}, which no set of the indefinite increments added to the acknowledged ones (${sumAcked}) can give: an increment was lost or applied twice`,
    ops: finalOps,
  });
}

/** Sums `reachable` may try before it gives up on telling (a few seconds at most). */
const SUMS_TRIED_MAX = 5_000_000;

/**
 * Whether some subset of `deltas` sums to `target`; undefined when that was
 * not settled within SUMS_TRIED_MAX sums tried. Equal deltas are taken
 * together (k of them at once), and a run of k stops at a sum already
 * known, whose own run goes further: so a thousand increments by 1 cost a
 * thousand sums, not a million. With integer deltas, a target that their
 * greatest common divisor does not divide is not reachable, at once.
 */
function reachable(target: number, deltas: number[]): boolean | undefined {
  if (target === 0) return true;
  const counts = new Map<number, number>();
  for (const d of deltas) if (d !== 0) counts.set(d, (counts.get(d) ?? 0) + 1);
  if (Number.isSafeInteger(target) && [...counts.keys()].every((d) => Number.isSafeInteger(d))) {
    let g = 0;
    for (const d of counts.keys()) g = gcd(g, Math.abs(d));
    if (g === 0 || target % g !== 0) return false;
  }
  let sums = new Set<number>([0]);
  let tried = 0;
  for (const [d, n] of counts) {
    const next = new Set(sums);
    tried += sums.size;
    for (const s of sums) {
      for (let k = 1, x = s + d; k <= n && x <= target && !sums.has(x); k++, x += d) {
        next.add(x);
        if (++tried > SUMS_TRIED_MAX) return undefined;
      }
    }
    sums = next;
    if (sums.has(target)) return true;
    if (tried > SUMS_TRIED_MAX) return undefined;
  }
  return false;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}
