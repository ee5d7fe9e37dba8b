/**
 * What a core's exported state must be: JSON data a model checker can copy
 * and compare, and a copy or a rebuilt core that behaves as the original.
 */
import { stableStringify } from "@dslab/protocol";
import { expect } from "vitest";

/** The path of the first part of `value` that is not plain data (a Map, Set, class instance, function or non-finite number), or null. */
export function plainData(value: unknown, path = "state"): string | null {
  if (value === null || typeof value === "string" || typeof value === "boolean") return null;
  if (typeof value === "number") return Number.isFinite(value) ? null : `${path} is ${value}`;
  if (typeof value !== "object") return `${path} is a ${typeof value}`;
  const proto = Object.getPrototypeOf(value) as unknown;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const bad = plainData(value[i], `${path}[${i}]`);
      if (bad) return bad;
    }
    return null;
  }
  if (proto !== Object.prototype) return `${path} is an instance of ${(value as object).constructor?.name ?? "a class"}`;
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    const bad = plainData(v, `${path}.${k}`);
    if (bad) return bad;
  }
  return null;
}

/** A test world of cores: runs inputs, records what the cores output, exports every core's state, copies itself. */
export interface CopyableWorld<A, W> {
  outputs: unknown[];
  run(actions: readonly A[]): void;
  exports(): unknown[];
  copy(): W;
}

/**
 * `original`'s copy answers `suffix` exactly as `original` does and ends in
 * the same state, and running the copy first leaves the original as it was.
 */
export function expectCopyBehavesAlike<A, W extends CopyableWorld<A, W>>(original: W, suffix: readonly A[]): void {
  const atCopy = stableStringify(original.exports());
  const copy = original.copy();
  expect(stableStringify(copy.exports())).toBe(atCopy);
  copy.run(suffix);
  expect(stableStringify(original.exports())).toBe(atCopy);
  expectSameRun(original, copy, suffix);
}

/**
 * Every exported state is plain data that survives a JSON round trip, and
 * the world `rebuild` makes from the round-tripped states answers `suffix`
 * exactly as `original` does, ending in the same state.
 */
export function expectRoundTripBehavesAlike<A, W extends CopyableWorld<A, W>>(original: W, rebuild: (states: unknown[]) => W, suffix: readonly A[]): void {
  const states = original.exports();
  for (const s of states) {
    expect(plainData(s)).toBeNull();
    expect(JSON.parse(JSON.stringify(s))).toStrictEqual(s);
  }
  const rebuilt = rebuild(JSON.parse(JSON.stringify(states)) as unknown[]);
  rebuilt.run(suffix);
  expectSameRun(original, rebuilt, suffix);
}

/** `other`, already run on `suffix`, output what `original` outputs for it and ends where `original` ends. */
function expectSameRun<A, W extends CopyableWorld<A, W>>(original: W, other: W, suffix: readonly A[]): void {
  const before = original.outputs.length;
  original.run(suffix);
  expect(other.outputs).toEqual(original.outputs.slice(before));
  expect(stableStringify(other.exports())).toBe(stableStringify(original.exports()));
}
