// Finds identical and near-identical pastes across students. Pure.
//
// Two students who follow a lesson run the same scenario, so their pastes
// have the same line shapes; what makes a paste a student's own is the run's
// values: its client ids, its times, its jitter. A copy keeps those values and
// changes a number or a space. So a pair is flagged when
//
//   1. the two pastes are the same words (case and whitespace aside): identical; or
//   2. their SHAPES are near-identical: the Jaccard similarity of their token
//      5-shingles, counted with multiplicity, after normalising client ids,
//      node ids, hex and uuid tokens, numbers, punctuation and whitespace, is at
//      least the threshold; AND the pastes are not each their own run:
//      a. when both name ids (client ids, hex or uuid tokens), they share one;
//      b. else, when both print numbers of 3 or more digits (times, backoffs),
//         at least 2 and at least half of their distinct ones are common;
//      c. else, the short values both print (seqs, terms, node ids) are at
//         least the threshold the same (Jaccard of the multisets); pastes that
//         print no value at all are judged by their shapes alone.
//
// An id or long number that more than half of a class prints (and at least 3
// pastes) is the scenario's (a build hash, a timeout of 1000 ms, a client id
// the lesson fixes), not a student's: (a) and (b) leave it out.
//
// Shapes are compared cheaply first: each paste's sorted shingle hashes give a
// bottom-k sketch (a MinHash variant that costs nothing once the set is
// sorted) that estimates the Jaccard similarity of a pair, and the exact
// Jaccard confirms each candidate. The run's values are compared before the
// shapes, so a class of honest pastes with one shape costs a few set
// intersections per pair.
import { CLIENT_ID_GLOBAL } from "./evidence.js";

export interface Document {
  id: string;
  text: string;
}

export interface SimilarPair {
  a: string;
  b: string;
  /**
   * Jaccard similarity of the normalised token shingles (ids, numbers and
   * whitespace normalised); 1 for identical text, and also for a copy that
   * changed only values.
   */
  similarity: number;
  identical: boolean;
  /** Why the pair is taken for one run rather than two runs of one scenario (near-identical pairs only). */
  sharedOrigin?: string;
}

/** Near-duplicate threshold without `grader proofs --similarity`, and for a paste against its lesson's example. */
export const DEFAULT_SIMILARITY = 0.8;

const SHINGLE_WORDS = 5;
/** Sketch size: the estimate's standard error is about sqrt(J(1-J)/k), 0.05 at J = 0.8. */
const SKETCH = 64;
/** Pairs whose estimate is within this of the threshold are checked exactly (three standard errors). */
const ESTIMATE_MARGIN = 0.15;
/** Long numbers (rule b): this many digits or more. */
const LONG_NUMBER_DIGITS = 3;
/** Rule b: shared long numbers needed, and their share of the distinct ones. */
const NUMBERS_SHARED_MIN = 2;
const NUMBERS_SHARED_FRACTION = 0.5;
/** A value more than this share of a class prints (in at least CLASS_COMMON_MIN pastes) is the scenario's. */
const CLASS_COMMON_SHARE = 0.5;
const CLASS_COMMON_MIN = 3;
/** Ids listed in a pair's reason. */
const SHARED_IDS_SHOWN = 3;

function mix(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** FNV-1a of a string's UTF-16 code units. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Hashes of the words of a text, ASCII letters folded to lower case, in one pass and without building strings. */
export function wordHashes(text: string): Uint32Array {
  let out = new Uint32Array(Math.max(16, text.length >>> 2));
  let n = 0;
  let h = 0x811c9dc5;
  let inWord = false;
  for (let i = 0; i <= text.length; i++) {
    let c = i < text.length ? text.charCodeAt(i) : 32;
    if (c <= 32 || c === 0xa0) {
      if (inWord) {
        if (n === out.length) {
          const bigger = new Uint32Array(out.length * 2);
          bigger.set(out);
          out = bigger;
        }
        out[n++] = h >>> 0;
        h = 0x811c9dc5;
        inWord = false;
      }
      continue;
    }
    if (c >= 65 && c <= 90) c += 32;
    h = Math.imul(h ^ c, 0x01000193);
    inWord = true;
  }
  return out.slice(0, n);
}

/**
 * A multiset of hashes as a set: the k-th copy of a value becomes its own
 * element (value and k hashed together), so set Jaccard on the result is the
 * multiset (weighted) Jaccard, and bottom-k sketches still apply. A log
 * repeats its line shapes: as a plain set, 300 applications are one shape.
 */
export function countedSet(values: Uint32Array): Uint32Array {
  const sorted = Uint32Array.from(values).sort();
  const out = new Uint32Array(sorted.length);
  let k = 0;
  for (let i = 0; i < sorted.length; i++) {
    k = i > 0 && sorted[i] === sorted[i - 1] ? k + 1 : 0;
    out[i] = k === 0 ? sorted[i]! : mix(sorted[i]! ^ mix(k + 0x51ed27));
  }
  out.sort();
  let unique = 0;
  for (let i = 0; i < out.length; i++) if (i === 0 || out[i] !== out[i - 1]) out[unique++] = out[i]!;
  return out.slice(0, unique);
}

/** Token 5-shingle hashes of a token stream, with multiplicity. */
function shingleBag(tokens: readonly number[]): Uint32Array {
  const n = Math.max(1, tokens.length - SHINGLE_WORDS + 1);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    let h = 0x9747b28c;
    for (let k = i; k < Math.min(i + SHINGLE_WORDS, tokens.length); k++) h = mix(h ^ tokens[k]!) + k - i;
    out[i] = h >>> 0;
  }
  return countedSet(out);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// 7+ hex digits with both a digit and a letter (a short git hash, a request id), or 0x-prefixed.
const HEX = /^(?:0x[0-9a-f]{4,}|(?=[0-9a-f]*[0-9])(?=[0-9a-f]*[a-f])[0-9a-f]{7,})$/;
const NODE = /^n\d{1,3}$/;

const T_CLIENT = hashString("<client>");
const T_UUID = hashString("<uuid>");
const T_HEX = hashString("<hex>");
const T_NODE = hashString("<node>");

/** What a paste is made of, for comparing it with others. */
export interface PasteShape {
  /** Normalised tokens (lower case, ids and numbers replaced by their kind), punctuation and whitespace dropped. */
  tokens: number[];
  /** Ids the paste names: `client <id>` for client ids, the token itself for hex and uuid tokens. */
  ids: Set<string>;
  /** Distinct numbers of LONG_NUMBER_DIGITS or more digits: the hashes of their digits as printed. */
  longNumbers: Set<number>;
  /** Every short number and node id, with multiplicity: the hashes of their text as printed. */
  shortValues: number[];
}

/** ASCII word characters: letters, digits, `_`. */
const ASCII_WORD = new Uint8Array(128);
for (let c = 0; c < 128; c++) ASCII_WORD[c] = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 ? 1 : 0;

function isWordChar(c: number): boolean {
  return c < 128 ? ASCII_WORD[c] === 1 : c !== 0xa0 && c !== 0x2028 && c !== 0x2029;
}

const HASH_SEED = 0x811c9dc5;
const HASH_PRIME = 0x01000193;

/**
 * Splits a paste into words (letters, digits and `_`, joined by a `.` or `-`
 * between two of them: `c-7`, `01.120`, a uuid) and normalises each: a client
 * id the paste names anywhere (`client 42`, `client_id=42`) becomes
 * `<client>`, a uuid `<uuid>`, a hex token `<hex>`, a node id (`n1`)
 * `<node>`, every digit run `#`. One pass over the text; a word is sliced
 * out only when it holds a digit or may be a client id.
 */
export function pasteShape(text: string): PasteShape {
  const clientIds = new Set<string>();
  if (/client/i.test(text)) {
    for (const m of text.matchAll(CLIENT_ID_GLOBAL)) clientIds.add((m[1] ?? m[2] ?? m[3])!.toLowerCase());
  }
  const clientHashes = new Set([...clientIds].map(hashString));
  const shape: PasteShape = { tokens: [], ids: new Set(), longNumbers: new Set(), shortValues: [] };
  const n = text.length;
  let i = 0;
  while (i < n) {
    let c = text.charCodeAt(i);
    if (!isWordChar(c)) {
      i++;
      continue;
    }
    // One word from i to j: its lower-case hash, and its hash with each digit run folded to "#".
    let raw = HASH_SEED;
    let norm = HASH_SEED;
    let digits = 0;
    let inRun = false;
    let j = i;
    while (j < n) {
      c = text.charCodeAt(j);
      if (isWordChar(c)) {
        if (c >= 65 && c <= 90) c += 32;
        raw = Math.imul(raw ^ c, HASH_PRIME);
        if (c >= 48 && c <= 57) {
          digits++;
          if (!inRun) norm = Math.imul(norm ^ 35, HASH_PRIME);
          inRun = true;
        } else {
          norm = Math.imul(norm ^ c, HASH_PRIME);
          inRun = false;
        }
        j++;
      } else if ((c === 46 || c === 45) && j + 1 < n && isWordChar(text.charCodeAt(j + 1))) {
        raw = Math.imul(raw ^ c, HASH_PRIME);
        norm = Math.imul(norm ^ c, HASH_PRIME);
        inRun = false;
        j++;
      } else break;
    }
    if (clientHashes.has(raw >>> 0)) {
      const word = text.slice(i, j).toLowerCase();
      if (clientIds.has(word)) {
        shape.tokens.push(T_CLIENT);
        shape.ids.add(`client ${word}`);
        i = j;
        continue;
      }
    }
    if (digits === 0) shape.tokens.push(norm >>> 0);
    else if (digits === j - i) {
      // A number: no string is built (most words with a digit are plain numbers).
      if (digits >= LONG_NUMBER_DIGITS) shape.longNumbers.add(raw >>> 0);
      else shape.shortValues.push(raw >>> 0);
      shape.tokens.push(norm >>> 0);
    } else addValueWord(shape, text.slice(i, j).toLowerCase(), norm >>> 0);
    i = j;
  }
  return shape;
}

/** A word with a digit: a uuid, a hex token, a node id, or text with numbers (`normHash`: its digit runs as "#"). */
function addValueWord(shape: PasteShape, word: string, normHash: number): void {
  // Length tests first: most words with a digit are short (`n1`, `k12`, `v7-3`) and need no regex.
  if (word.length === 36 && UUID.test(word)) {
    shape.tokens.push(T_UUID);
    shape.ids.add(word);
  } else if (word.length >= 6 && HEX.test(word)) {
    shape.tokens.push(T_HEX);
    shape.ids.add(word);
  } else if (word.length <= 4 && NODE.test(word)) {
    shape.tokens.push(T_NODE);
    shape.shortValues.push(hashString(word));
  } else {
    let k = 0;
    while (k < word.length) {
      const c = word.charCodeAt(k);
      if (c < 48 || c > 57) {
        k++;
        continue;
      }
      let e = k + 1;
      while (e < word.length && word.charCodeAt(e) >= 48 && word.charCodeAt(e) <= 57) e++;
      const run = hashString(word.slice(k, e));
      if (e - k >= LONG_NUMBER_DIGITS) shape.longNumbers.add(run);
      else shape.shortValues.push(run);
      k = e;
    }
    shape.tokens.push(normHash);
  }
}

function sameWords(a: Uint32Array, b: Uint32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function jaccard(a: Uint32Array, b: Uint32Array): number {
  const common = commonCount(a, b);
  const union = a.length + b.length - common;
  return union === 0 ? 1 : common / union;
}

function commonCount(a: Uint32Array, b: Uint32Array): number {
  let i = 0;
  let j = 0;
  let common = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      common++;
      i++;
      j++;
    } else if (a[i]! < b[j]!) i++;
    else j++;
  }
  return common;
}

/** Bottom-k estimate of the Jaccard similarity from two sorted sketches. */
export function estimateJaccard(a: Uint32Array, b: Uint32Array, k = SKETCH): number {
  let i = 0;
  let j = 0;
  let seen = 0;
  let common = 0;
  while (seen < k && (i < a.length || j < b.length)) {
    if (j >= b.length || (i < a.length && a[i]! < b[j]!)) i++;
    else if (i >= a.length || b[j]! < a[i]!) j++;
    else {
      common++;
      i++;
      j++;
    }
    seen++;
  }
  return seen === 0 ? 1 : common / seen;
}

/**
 * One paste, prepared for comparing. Only the cheap parts are computed for
 * every paste; the rest on the first pair that needs them (in a class of
 * honest pastes most pairs stop at the ids).
 */
class Prepared {
  private wordsKey?: number;
  private shapeSet?: Uint32Array;
  private numberSet?: Uint32Array;
  private shortSet?: Uint32Array;

  constructor(
    readonly id: string,
    private readonly text: string,
    private readonly shape: PasteShape,
    /** The run's own ids (class-common ones left out): sorted hashes, and their text. */
    readonly ids: Uint32Array,
    readonly idText: ReadonlyMap<number, string>,
    private readonly ownNumber: (hash: number) => boolean,
  ) {}

  /** The words, ASCII case folded (identical pastes have the same). */
  get words(): Uint32Array {
    return wordHashes(this.text);
  }

  /** A hash of the words: equal for identical pastes. */
  get key(): number {
    if (this.wordsKey === undefined) {
      let h = 0x9747b28c;
      for (const w of this.words) h = mix(h ^ w);
      this.wordsKey = h;
    }
    return this.wordsKey;
  }

  /** Normalised token 5-shingles, with multiplicity (countedSet), sorted. */
  get shapes(): Uint32Array {
    return (this.shapeSet ??= shingleBag(this.shape.tokens));
  }

  /** The run's own long numbers (class-common ones left out): sorted hashes. */
  get longNumbers(): Uint32Array {
    return (this.numberSet ??= Uint32Array.from([...this.shape.longNumbers].filter(this.ownNumber)).sort());
  }

  get shortValues(): Uint32Array {
    return (this.shortSet ??= countedSet(Uint32Array.from(this.shape.shortValues)));
  }
}

function commonValues(a: Uint32Array, b: Uint32Array): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      out.push(a[i]!);
      i++;
      j++;
    } else if (a[i]! < b[j]!) i++;
    else j++;
  }
  return out;
}

/** Rule b of the header on two sorted sets of long-number hashes: how many are common, when enough are. */
function sharedLongNumbers(a: Uint32Array, b: Uint32Array): { common: number; union: number } | undefined {
  if (estimateJaccard(a.subarray(0, SKETCH), b.subarray(0, SKETCH)) < NUMBERS_SHARED_FRACTION - ESTIMATE_MARGIN) return undefined;
  const common = commonCount(a, b);
  const union = a.length + b.length - common;
  if (common < NUMBERS_SHARED_MIN || common / union < NUMBERS_SHARED_FRACTION) return undefined;
  return { common, union };
}

/** Rules a-c of the header: why a and b are one run, or undefined when each is its own. */
function sharedOrigin(a: Prepared, b: Prepared, threshold: number): string | undefined {
  if (a.ids.length > 0 && b.ids.length > 0) {
    const common = commonValues(a.ids, b.ids);
    if (common.length === 0) return undefined;
    const names = common.map((h) => a.idText.get(h)!).sort();
    const shown = names.slice(0, SHARED_IDS_SHOWN).join(", ");
    return `both name ${shown}${names.length > SHARED_IDS_SHOWN ? ` and ${names.length - SHARED_IDS_SHOWN} more` : ""}`;
  }
  if (a.longNumbers.length > 0 && b.longNumbers.length > 0) {
    const shared = sharedLongNumbers(a.longNumbers, b.longNumbers);
    return shared && `${shared.common} of their ${shared.union} numbers of ${LONG_NUMBER_DIGITS}+ digits in common`;
  }
  if (a.shortValues.length === 0 && b.shortValues.length === 0) return "neither prints an id or a number; compared by their words";
  const same = jaccard(a.shortValues, b.shortValues);
  if (same < threshold) return undefined;
  return `neither names an id or a long number, and the short numbers and node ids both print are ${(Math.floor(same * 100 + 1e-9) / 100).toFixed(2)} the same`;
}

export function findSimilar(docs: readonly Document[], threshold = 0.8): SimilarPair[] {
  const shapes = docs.map((d) => pasteShape(d.text));
  // How many pastes print each id and long number: those most of a class prints are the scenario's.
  const common = (count: number | undefined): boolean => count !== undefined && count >= CLASS_COMMON_MIN && count > docs.length * CLASS_COMMON_SHARE;
  const pastesWithId = new Map<string, number>();
  for (const s of shapes) for (const v of s.ids) pastesWithId.set(v, (pastesWithId.get(v) ?? 0) + 1);
  let pastesWithNumber: Map<number, number> | undefined;
  const ownNumber = (v: number): boolean => {
    if (pastesWithNumber === undefined) {
      pastesWithNumber = new Map();
      for (const s of shapes) for (const n of s.longNumbers) pastesWithNumber.set(n, (pastesWithNumber.get(n) ?? 0) + 1);
    }
    return !common(pastesWithNumber.get(v));
  };
  const prepared = docs.map((d, i) => {
    const s = shapes[i]!;
    const idText = new Map<number, string>();
    for (const v of s.ids) if (!common(pastesWithId.get(v))) idText.set(hashString(v), v);
    return new Prepared(d.id, d.text, s, Uint32Array.from(idText.keys()).sort(), idText, ownNumber);
  });
  const pairs: SimilarPair[] = [];
  for (let x = 0; x < prepared.length; x++) {
    const a = prepared[x]!;
    for (let y = x + 1; y < prepared.length; y++) {
      const b = prepared[y]!;
      const [first, second] = a.id < b.id ? [a.id, b.id] : [b.id, a.id];
      // Identical up to case and whitespace: the same sequence of words.
      if (a.key === b.key && sameWords(a.words, b.words)) {
        pairs.push({ a: first, b: second, similarity: 1, identical: true });
        continue;
      }
      const origin = sharedOrigin(a, b, threshold);
      if (origin === undefined) continue;
      if (estimateJaccard(a.shapes.subarray(0, SKETCH), b.shapes.subarray(0, SKETCH)) < threshold - ESTIMATE_MARGIN) continue;
      const similarity = jaccard(a.shapes, b.shapes);
      if (similarity >= threshold) pairs.push({ a: first, b: second, similarity, identical: false, sharedOrigin: origin });
    }
  }
  return pairs.sort((p, q) => (p.a < q.a ? -1 : p.a > q.a ? 1 : p.b < q.b ? -1 : p.b > q.b ? 1 : 0));
}

/**
 * Two decimals, rounded down: 0.996 reads 0.99, so 1.00 means the same text
 * once ids, numbers and whitespace are normalised (a copy that changed only
 * values), never merely close to it.
 */
export function similarityText(similarity: number): string {
  return (Math.floor(similarity * 100 + 1e-9) / 100).toFixed(2);
}

export interface NearCopy {
  /** Jaccard similarity of the normalised token shingles, as in SimilarPair. */
  similarity: number;
  /** Distinct numbers of 3+ digits (times, backoffs) both print, and in all. */
  commonNumbers: number;
  numbers: number;
}

/**
 * Whether `text` is nearly `example`, a log a lesson publishes: their shapes
 * are at least `threshold` alike and `text` prints the example's run values
 * (rule b: its times and backoffs). Ids are left out (rule a does not apply):
 * they are what a copy of a published example changes first. An example that
 * prints no number of 3+ digits is never nearly copied: its short values
 * (terms, node ids) are what any run prints.
 */
export function nearCopyOf(example: string, text: string, threshold = DEFAULT_SIMILARITY): NearCopy | undefined {
  const a = pasteShape(example);
  const b = pasteShape(text);
  const aNumbers = Uint32Array.from(a.longNumbers).sort();
  const bNumbers = Uint32Array.from(b.longNumbers).sort();
  if (aNumbers.length === 0 || bNumbers.length === 0) return undefined;
  const shared = sharedLongNumbers(aNumbers, bNumbers);
  if (shared === undefined) return undefined;
  const similarity = jaccard(shingleBag(a.tokens), shingleBag(b.tokens));
  return similarity >= threshold ? { similarity, commonNumbers: shared.common, numbers: shared.union } : undefined;
}
