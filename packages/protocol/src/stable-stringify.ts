/**
 * A canonical JSON text: object keys sorted, `undefined` members left out
 * (as JSON.stringify does), array order kept. Two plain-data values that
 * are deep-equal give the same text, whatever order their keys were
 * added in, so the text can be compared or hashed to tell states apart.
 */
export function stableStringify(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) {
    let out = "[";
    for (let i = 0; i < value.length; i++) out += (i > 0 ? "," : "") + (value[i] === undefined ? "null" : stableStringify(value[i]));
    return out + "]";
  }
  const keys = Object.keys(value).sort();
  let out = "{";
  let first = true;
  for (const key of keys) {
    const v = (value as Record<string, unknown>)[key];
    if (v === undefined || typeof v === "function") continue;
    out += (first ? "" : ",") + JSON.stringify(key) + ":" + stableStringify(v);
    first = false;
  }
  return out + "}";
}
