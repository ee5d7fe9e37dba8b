/**
 * The EDN and JSON printers and the history writers written the plain way:
 * every collection printed through `map` and `join`,
 * every string through one regex, every operation through `opToEdn` or
 * `opToJson` (the map or object of its fields) and then the generic printer.
 * Kept here, for the tests only, as the reference the printers in
 * src/formats are compared with (test/formats/printer-differential.test.ts): for any value,
 * both give the same text, or the same error.
 */
import type { EdnValue, History, JsonValue } from "../../src/index.js";
import { EdnChar, EdnList, EdnMap, EdnSet, EdnSymbol, EdnTagged, Keyword, opToEdn, opToJson } from "../../src/index.js";
import { namedChars } from "./edn-oracle.js";

const STRING_ESCAPES: Record<string, string> = {
  '"': '\\"',
  "\\": "\\\\",
  "\n": "\\n",
  "\t": "\\t",
  "\r": "\\r",
  "\b": "\\b",
  "\f": "\\f",
};

export function oraclePrintEdnString(s: string): string {
  // eslint-disable-next-line no-control-regex
  return '"' + s.replace(/["\\\n\t\r\b\f\u0000-\u001f\u007f]/g, (ch) => STRING_ESCAPES[ch] ?? "\\u" + ch.charCodeAt(0).toString(16).padStart(4, "0")) + '"';
}

function printNumber(n: number): string {
  if (Number.isNaN(n)) return "##NaN";
  if (n === Infinity) return "##Inf";
  if (n === -Infinity) return "##-Inf";
  if (Number.isInteger(n) && !Number.isSafeInteger(n)) return n.toExponential().replace("e+", "E");
  return String(n);
}

export function oraclePrintEdn(value: EdnValue): string {
  if (value === null) return "nil";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "number":
      return printNumber(value);
    case "bigint":
      return value.toString();
    case "string":
      return oraclePrintEdnString(value);
  }
  if (Array.isArray(value)) return "[" + value.map(oraclePrintEdn).join(" ") + "]";
  if (value instanceof Keyword) return ":" + value.name;
  if (value instanceof EdnMap) return "{" + value.entries.map(([k, v]) => oraclePrintEdn(k) + " " + oraclePrintEdn(v)).join(", ") + "}";
  if (value instanceof EdnList) return "(" + value.items.map(oraclePrintEdn).join(" ") + ")";
  if (value instanceof EdnSet) return "#{" + value.items.map(oraclePrintEdn).join(" ") + "}";
  if (value instanceof EdnSymbol) return value.name;
  if (value instanceof EdnTagged) return "#" + value.tag + " " + oraclePrintEdn(value.value);
  if (value instanceof EdnChar) {
    for (const [name, ch] of Object.entries(namedChars)) if (ch === value.char) return "\\" + name;
    return "\\" + value.char;
  }
  throw new TypeError(`printEdn: not an EDN value: ${String(value)}`);
}

export function oraclePrintJson(value: JsonValue): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "number":
      return Number.isFinite(value) ? String(value) : "null";
    case "bigint":
      return value.toString();
    case "string":
      return JSON.stringify(value);
  }
  if (Array.isArray(value)) return "[" + value.map(oraclePrintJson).join(",") + "]";
  const parts: string[] = [];
  for (const [k, v] of Object.entries(value)) if (v !== undefined) parts.push(JSON.stringify(k) + ":" + oraclePrintJson(v));
  return "{" + parts.join(",") + "}";
}

export function oracleWriteHistoryEdn(history: History): string {
  let out = "";
  for (const op of history) out += oraclePrintEdn(opToEdn(op)) + "\n";
  return out;
}

export function oracleWriteHistoryJson(history: History): string {
  let out = "";
  for (const op of history) out += oraclePrintJson(opToJson(op)) + "\n";
  return out;
}
