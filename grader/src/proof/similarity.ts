// Finds identical and near-identical pastes across students. Each paste becomes
// the sorted set of hashes of its word 5-shingles; its bottom-k sketch (the k
// smallest hashes, a MinHash variant that costs nothing once the set is sorted)
// estimates the Jaccard similarity of every pair cheaply, and the exact Jaccard
// of the shingle sets confirms each candidate. Pure.

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
/** Sketch size: the estimate's standard error is about sqrt(J(1-J)/k), 0.05 at J = 0.8. */
const SKETCH = 64;
/** Pairs whose estimate is within this of the threshold are checked exactly (three standard errors). */
const ESTIMATE_MARGIN = 0.15;

function mix(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
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
 * Sorted, unique hashes of the word 5-shingles of a text. A shingle's hash
 * combines the hashes of its five words, so no shingle string is ever built.
 */
export function shingles(words: Uint32Array): Uint32Array {
  const n = Math.max(1, words.length - SHINGLE_WORDS + 1);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    let h = 0x9747b28c;
    for (let k = i; k < Math.min(i + SHINGLE_WORDS, words.length); k++) h = mix(h ^ words[k]!) + k - i;
    out[i] = h >>> 0;
  }
  out.sort();
  let unique = 0;
  for (let i = 0; i < out.length; i++) if (i === 0 || out[i] !== out[i - 1]) out[unique++] = out[i]!;
  return out.slice(0, unique);
}

function sameWords(a: Uint32Array, b: Uint32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
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

export function findSimilar(docs: readonly Document[], threshold = 0.8): SimilarPair[] {
  const prepared = docs.map((d) => {
    const words = wordHashes(d.text);
    const set = shingles(words);
    return { id: d.id, words, set, sketch: set.subarray(0, SKETCH) };
  });
  const pairs: SimilarPair[] = [];
  for (let x = 0; x < prepared.length; x++) {
    const a = prepared[x]!;
    for (let y = x + 1; y < prepared.length; y++) {
      const b = prepared[y]!;
      if (estimateJaccard(a.sketch, b.sketch) < threshold - ESTIMATE_MARGIN) continue;
      // Identical up to case and whitespace: the same sequence of words.
      const identical = sameWords(a.words, b.words);
      const similarity = identical ? 1 : jaccard(a.set, b.set);
      if (identical || similarity >= threshold) {
        const [first, second] = a.id < b.id ? [a.id, b.id] : [b.id, a.id];
        pairs.push({ a: first, b: second, similarity, identical });
      }
    }
  }
  return pairs.sort((p, q) => (p.a < q.a ? -1 : p.a > q.a ? 1 : p.b < q.b ? -1 : p.b > q.b ? 1 : 0));
}
