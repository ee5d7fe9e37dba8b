/**
 * How deep JSON from outside may nest, and an iterative check of it.
 *
 * `JSON.parse` copes with any nesting, but what walks its result may not:
 * `JSON.stringify`, `structuredClone` and any recursive helper run out of
 * stack a few thousand levels down, and an uncaught RangeError ends the
 * process. So every line is checked here, at the boundary (the codec), with
 * a walk that keeps its own stack; past the bound the line is refused with
 * error 12 (malformed-request) naming the bound, and the node keeps serving.
 *
 * Depth counts arrays and objects: a string or a number is 0 levels deep,
 * `[]` and `{}` are 1, `[[1]]` and `{"a":{}}` are 2.
 *
 * Invariant the two bounds keep: a value a client sends nests at most
 * MAX_JSON_DEPTH levels; the cluster wraps such values in at most a few
 * levels of its own (a list it appends to: 1; a Raft append: message, body,
 * entries, entry, command, request: 6), so every line a node sends or
 * receives, and every snapshot, nests at most MAX_MESSAGE_DEPTH levels.
 */

/** Deepest nesting of one field of a client request (`value`, `from`, `to`, ...). */
export const MAX_JSON_DEPTH = 64;

/**
 * Deepest nesting of a whole line (message and body included) or snapshot:
 * room for a client value of MAX_JSON_DEPTH levels inside the cluster's own
 * envelopes, with margin.
 */
export const MAX_MESSAGE_DEPTH = MAX_JSON_DEPTH + 16;

/**
 * True when `value` nests more than `maxDepth` levels of arrays and objects.
 * Iterative (its own stack, no recursion), and it stops at the first
 * container past the bound, so any input costs at most one pass over it.
 */
export function jsonDepthExceeds(value: unknown, maxDepth: number): boolean {
  if (typeof value !== "object" || value === null) return false;
  if (maxDepth < 1) return true;
  // Containers still to visit, and the depth each one sits at.
  const containers: object[] = [value];
  const depths: number[] = [1];
  while (containers.length > 0) {
    const c = containers.pop() as Record<string, unknown> | unknown[];
    const childDepth = (depths.pop() as number) + 1;
    if (Array.isArray(c)) {
      for (let i = 0; i < c.length; i++) {
        const v = c[i];
        if (typeof v !== "object" || v === null) continue;
        if (childDepth > maxDepth) return true;
        containers.push(v);
        depths.push(childDepth);
      }
    } else {
      for (const k in c) {
        if (!Object.hasOwn(c, k)) continue;
        const v = c[k];
        if (typeof v !== "object" || v === null) continue;
        if (childDepth > maxDepth) return true;
        containers.push(v);
        depths.push(childDepth);
      }
    }
  }
  return false;
}

/** The refusal text: "value nested deeper than 64 levels". */
export function tooDeepText(maxDepth: number, what = "value"): string {
  return `${what} nested deeper than ${maxDepth} levels`;
}
