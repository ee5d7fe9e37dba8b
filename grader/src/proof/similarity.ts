// Finds identical and near-identical pastes across students: word 5-shingles,
// MinHash signatures bucketed by LSH bands to find candidate pairs, then the
// exact Jaccard similarity of the shingle sets confirms each pair. Pure.

export interface Document {
  id: string;
  text: string;
}

export interface SimilarPair {
  a: string;
  b: string;
  /** Jaccard similarity of the word-shingle sets, 1 for identical normalized text. */
  similarity: number;
  identical: boolean;
}

const SHINGLE_WORDS = 5;
const HASHES = 32;
const BANDS = 8; // 8 bands of 4 rows: pairs at Jaccard 0.8 collide in some band with probability > 0.99
const ROWS = HASHES / BANDS;

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function mix(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

// Fixed per-hash seeds, so signatures (and so reports) are the same on every run.
const SEEDS = Array.from({ length: HASHES }, (_, i) => mix(0x9e3779b9 + i * 0x632be5ab));

export function normalize(text: string): string {
  return text.toLowerCase().replace(/\s+/g, " ").trim();
}

/**
 * Sorted, unique hashes of the word 5-shingles of a normalized text. Each word
 * is hashed once and a shingle's hash combines its five word hashes, so no
 * shingle string is ever built.
 */
export function shingles(normalized: string): Uint32Array {
  const words = normalized === "" ? [] : normalized.split(" ");
  const wordHashes = new Uint32Array(words.length);
  for (let i = 0; i < words.length; i++) wordHashes[i] = fnv1a(words[i]!);
  const n = Math.max(1, words.length - SHINGLE_WORDS + 1);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    let h = 0x9747b28c;
    for (let k = i; k < Math.min(i + SHINGLE_WORDS, words.length); k++) h = mix(h ^ wordHashes[k]!) + k - i;
    out[i] = h >>> 0;
  }
  out.sort();
  let unique = 0;
  for (let i = 0; i < out.length; i++) if (i === 0 || out[i] !== out[i - 1]) out[unique++] = out[i]!;
  return out.slice(0, unique);
}

export function jaccard(a: Uint32Array, b: Uint32Array): number {
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
  const union = a.length + b.length - common;
  return union === 0 ? 1 : common / union;
}

function signature(set: Uint32Array): Uint32Array {
  const sig = new Uint32Array(HASHES).fill(0xffffffff);
  for (const x of set) {
    for (let k = 0; k < HASHES; k++) {
      const h = mix(x ^ SEEDS[k]!);
      if (h < sig[k]!) sig[k] = h;
    }
  }
  return sig;
}

export function findSimilar(docs: readonly Document[], threshold = 0.8): SimilarPair[] {
  const prepared = docs.map((d) => {
    const norm = normalize(d.text);
    const set = shingles(norm);
    return { id: d.id, norm, set, sig: signature(set) };
  });
  const candidates = new Set<string>();
  for (let band = 0; band < BANDS; band++) {
    const buckets = new Map<string, number[]>();
    prepared.forEach((p, idx) => {
      const key = Array.from(p.sig.subarray(band * ROWS, band * ROWS + ROWS)).join(",");
      const list = buckets.get(key);
      if (list) list.push(idx);
      else buckets.set(key, [idx]);
    });
    for (const list of buckets.values()) {
      for (let x = 0; x < list.length; x++) for (let y = x + 1; y < list.length; y++) candidates.add(`${list[x]},${list[y]}`);
    }
  }
  const pairs: SimilarPair[] = [];
  for (const c of candidates) {
    const [x, y] = c.split(",").map(Number) as [number, number];
    const a = prepared[x]!;
    const b = prepared[y]!;
    const identical = a.norm === b.norm;
    const similarity = identical ? 1 : jaccard(a.set, b.set);
    if (identical || similarity >= threshold) {
      const [first, second] = a.id < b.id ? [a.id, b.id] : [b.id, a.id];
      pairs.push({ a: first, b: second, similarity, identical });
    }
  }
  return pairs.sort((p, q) => (p.a < q.a ? -1 : p.a > q.a ? 1 : p.b < q.b ? -1 : p.b > q.b ? 1 : 0));
}
