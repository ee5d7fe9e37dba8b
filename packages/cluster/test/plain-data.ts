/**
 * What a core's exported state must be: JSON data a model checker can copy
 * and compare.
 */

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
