/**
 * `{ ...body }` for a message body, on the simulator's hot path. A spread
 * of objects of several shapes at one place (a read, an append and an incr
 * request pass the same line) takes V8's generic object copy, about a
 * microsecond each; copying the own keys one by one takes a tenth of that.
 * The copy has the same own keys, in the same order, with the same values
 * (shallow), as the spread: a `"__proto__"` key (JSON.parse makes one an
 * own key) stays a key, never the copy's prototype. Bodies are JSON objects:
 * symbol keys, which a spread would copy too, do not occur.
 */
export function copyFields<T extends object>(src: T): T {
  const out = {} as Record<string, unknown>;
  const from = src as Record<string, unknown>;
  const keys = Object.keys(from);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (k === "__proto__") Object.defineProperty(out, k, { value: from[k], writable: true, enumerable: true, configurable: true });
    else out[k] = from[k];
  }
  return out as T;
}
