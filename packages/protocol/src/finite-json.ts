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

/** A number as JSON writes it; the groups are its fraction and its exponent. */
const JSON_NUMBER = /-?\d+(\.\d+)?([eE][+-]?\d+)?/y;

/** One open array or object while `roundedInteger` reads through JSON text. */
interface Open {
  /** Where the container itself lies. */
  path: string;
  /** An array's index of the current item; -1 for an object. */
  index: number;
  /** An object's current member name. */
  key: string;
  /** Whether the next string in an object is a member name. */
  expectKey: boolean;
}

/**
 * The first integer written with digits alone in `text` (JSON text that
 * `JSON.parse` accepted) that a JSON number holds only rounded: beyond
 * `Number.MAX_SAFE_INTEGER` (2^53-1) in magnitude, where
 * `JSON.parse("9007199254740993")` is 9007199254740992. It comes with the
 * literal as written and where it lies (a path as `nonFiniteNumberPath`
 * gives it), or null when there is none. Numbers written with a fraction or
 * an exponent are taken as the doubles they name. Reads the text once,
 * without recursion.
 */
export function roundedInteger(text: string): { literal: string; path: string } | null {
  const open: Open[] = [];
  const here = (): string => {
    const top = open.at(-1);
    if (top === undefined) return "";
    return top.index >= 0 ? `${top.path}[${top.index}]` : `${top.path}${memberPath(top.key)}`;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const top = open.at(-1);
    if (c === 0x22 /* " */) {
      const start = i;
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c /* \ */) i++;
      if (top !== undefined && top.index < 0 && top.expectKey) {
        top.key = JSON.parse(text.slice(start, i + 1)) as string;
        top.expectKey = false;
      }
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      open.push({ path: here(), index: c === 0x5b ? 0 : -1, key: "", expectKey: true });
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      open.pop();
    } else if (c === 0x2c /* , */) {
      if (top !== undefined && top.index >= 0) top.index++;
      else if (top !== undefined) top.expectKey = true;
    } else if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      JSON_NUMBER.lastIndex = i;
      const m = JSON_NUMBER.exec(text);
      if (m === null) continue;
      if (m[1] === undefined && m[2] === undefined && !Number.isSafeInteger(Number(m[0]))) return { literal: m[0], path: here() };
      i += m[0].length - 1;
    }
  }
  return null;
}
