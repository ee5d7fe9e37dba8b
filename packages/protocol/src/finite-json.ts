/**
 * Numbers JSON cannot carry. `JSON.parse("1e400")` is Infinity, but
 * `JSON.stringify(Infinity)` is `null`: a node that took such a number into
 * its log would hold Infinity while every replica that got the entry as JSON
 * holds null, and the two would answer the same `cas` differently. So a
 * request is checked for them where it enters a node, and refused.
 */

/**
 * Where in `value` the first number that is not finite lies, as a path
 * (`""` for the value itself, `.a[2]` below it), or null when there is none.
 * Iterative, like the depth check: it may run on anything a client sent.
 */
export function nonFiniteNumberPath(value: unknown): string | null {
  if (typeof value === "number") return Number.isFinite(value) ? null : "";
  if (typeof value !== "object" || value === null) return null;
  const stack: Array<{ v: object; path: string }> = [{ v: value, path: "" }];
  while (stack.length > 0) {
    const { v, path } = stack.pop()!;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const item: unknown = v[i];
        if (typeof item === "number" && !Number.isFinite(item)) return `${path}[${i}]`;
        if (typeof item === "object" && item !== null) stack.push({ v: item, path: `${path}[${i}]` });
      }
    } else {
      const o = v as Record<string, unknown>;
      for (const k in o) {
        if (!Object.hasOwn(o, k)) continue;
        const item = o[k];
        if (typeof item === "number" && !Number.isFinite(item)) return `${path}${memberPath(k)}`;
        if (typeof item === "object" && item !== null) stack.push({ v: item, path: `${path}${memberPath(k)}` });
      }
    }
  }
  return null;
}

/** `.name` for a plain identifier, `["odd key"]` otherwise. */
function memberPath(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

/** The refusal's words for a field that holds such a number. */
export const NON_FINITE_TEXT =
  "a number beyond the range of a double (about ±1.8e308), read as Infinity: JSON has no Infinity, and a replica would store null; send a finite number";
