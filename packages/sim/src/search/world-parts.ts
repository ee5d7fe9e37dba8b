/**
 * Pieces every search scenario's world shares: the messages in flight kept
 * as a sorted multiset (so two worlds that differ only in the order messages
 * were sent have one canonical text), deep copies of plain data, and
 * invariants latched once broken (each is checked by the step that can
 * break it, and stays broken in every later state).
 */

import { stableStringify } from "@dslab/protocol";

const texts = new WeakMap<object, string>();

/** A message's canonical text, computed once per message object. */
export function messageText(m: object): string {
  let t = texts.get(m);
  if (t === undefined) texts.set(m, (t = JSON.stringify(m)));
  return t;
}

const stableTexts = new WeakMap<object, string>();

/** The stable JSON of `v`, computed once per object (worlds share the states they did not change by reference, and never change them). */
export function stableText(v: unknown): string {
  if (v === null || typeof v !== "object") return stableStringify(v);
  let t = stableTexts.get(v);
  if (t === undefined) stableTexts.set(v, (t = stableStringify(v)));
  return t;
}

/** `inFlight` with `m` added, kept sorted by canonical text. */
export function withMessage<M extends object>(inFlight: readonly M[], m: M): M[] {
  const t = messageText(m);
  const out = [...inFlight];
  let i = 0;
  while (i < out.length && messageText(out[i]!) < t) i++;
  out.splice(i, 0, m);
  return out;
}

/** Each distinct message of `inFlight` (sorted, so copies are adjacent) once. */
export function distinctMessages<M extends object>(inFlight: readonly M[]): M[] {
  const out: M[] = [];
  let previous: string | undefined;
  for (const m of inFlight) {
    const t = messageText(m);
    if (t !== previous) out.push(m);
    previous = t;
  }
  return out;
}

/** `inFlight` without one copy of `m` (a message equal to it by canonical text). */
export function withoutMessage<M extends object>(inFlight: readonly M[], m: M): M[] {
  const t = messageText(m);
  const i = inFlight.findIndex((x) => messageText(x) === t);
  return [...inFlight.slice(0, i), ...inFlight.slice(i + 1)];
}

/** A deep copy of plain data. */
export function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

/** Marks invariant `name` broken in `world`, keeping the first sentence it broke with. */
export function latch(world: { broken?: Record<string, string> }, name: string, message: string): void {
  if (world.broken?.[name] !== undefined) return;
  world.broken = { ...world.broken, [name]: message };
}
