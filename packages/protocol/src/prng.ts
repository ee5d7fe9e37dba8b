/**
 * The one seeded PRNG every package takes as an injected dependency:
 * election jitter, backoff jitter, fault schedules and workloads all
 * draw from it, so a seed replays a run. sfc32, seeded through a 128-bit
 * string hash so that `derive(seed, "network")` gives independent streams.
 */
export interface Prng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max], both inclusive. */
  int(min: number, max: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
  /** A new generator whose stream is derived from this one's seed and a label. */
  fork(label: string): Prng;
  /** The seed text this generator was made from. */
  readonly seed: string;
  /**
   * Where the stream stands, as plain numbers: `restorePrng` of it makes a
   * generator that draws what this one draws from here on. Optional: a
   * generator without it cannot be copied.
   */
  exportState?(): PrngState;
}

/** A generator's position as plain data: its seed text (forks derive from it) and sfc32's four 32-bit words. */
export interface PrngState {
  seed: string;
  words: [number, number, number, number];
}

/** cyrb128: four 32-bit words from a string. */
function hash128(text: string): [number, number, number, number] {
  let h1 = 1779033703,
    h2 = 3144134277,
    h3 = 1013904242,
    h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

/** The seed text of a sub-stream: the same master seed and label always give the same stream. */
export function deriveSeed(seed: string | number, label: string): string {
  return `${seed}/${label}`;
}

export function createPrng(seed: string | number): Prng {
  return makePrng(String(seed), null);
}

/** A generator that continues exactly where the one that exported `state` stands (independent of it). */
export function restorePrng(state: PrngState): Prng {
  const w = state?.words;
  if (typeof state?.seed !== "string" || !Array.isArray(w) || w.length !== 4 || !w.every((x) => Number.isInteger(x) && x >= 0 && x <= 0xffffffff)) {
    throw new RangeError(`restorePrng: need { seed: string, words: four 32-bit unsigned integers }, got ${JSON.stringify(state)}`);
  }
  return makePrng(state.seed, w);
}

function makePrng(seedText: string, words: readonly number[] | null): Prng {
  // The state lives in a typed array: as closure variables, words above
  // 2^31 were boxed numbers, one allocation per draw.
  const s = new Uint32Array(words ?? hash128(seedText));
  const next32 = (): number => {
    const a = s[0]!;
    const b = s[1]!;
    const c = s[2]!;
    const d = (s[3]! + 1) | 0;
    const t = (((a + b) | 0) + d) | 0;
    s[0] = b ^ (b >>> 9);
    s[1] = (c + (c << 3)) | 0;
    s[2] = (((c << 21) | (c >>> 11)) + t) | 0;
    s[3] = d;
    return t >>> 0;
  };
  // Discard the first outputs: sfc32 mixes poorly right after seeding.
  if (words === null) for (let i = 0; i < 15; i++) next32();
  const prng: Prng = {
    seed: seedText,
    next: () => next32() / 4294967296,
    int(min, max) {
      if (!(Number.isInteger(min) && Number.isInteger(max) && max >= min)) {
        throw new RangeError(`prng.int: need integers min <= max, got ${min}, ${max}`);
      }
      return min + Math.floor(prng.next() * (max - min + 1));
    },
    chance: (p) => prng.next() < p,
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new RangeError("prng.pick: empty array");
      return items[Math.floor(prng.next() * items.length)] as T;
    },
    fork: (label) => createPrng(deriveSeed(seedText, label)),
    exportState: () => ({ seed: seedText, words: [s[0]!, s[1]!, s[2]!, s[3]!] }),
  };
  return prng;
}
