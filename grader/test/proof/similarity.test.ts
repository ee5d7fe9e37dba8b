import { createPrng } from "@dslab/protocol";
import { describe, expect, test } from "vitest";
import { countedSet, estimateJaccard, findSimilar, jaccard, pasteShape, wordHashes } from "../../src/proof/similarity.js";

function log(client: number, lines: number, salt = ""): string {
  const out: string[] = [];
  for (let i = 1; i <= lines; i++) out.push(`t=${i * 13 + client} [apply] client ${client} seq ${i} append key-${(i * 7) % 11} value ${salt}${i}`);
  return out.join("\n");
}

/** The project's seeded PRNG: the same "random" runs every time. */
function prng(seed: number): () => number {
  const p = createPrng(seed);
  return () => p.next();
}

/**
 * A student's paste of the lost-reply scenario as the reference tools print it
 * (attempt log and node lines): the line shapes are the scenario's, the client
 * id (128-bit decimal), the seq and the times are the run's own.
 */
function lostReplyPaste(rand: () => number): string {
  const client = Array.from({ length: 4 }, () => Math.floor(rand() * 2 ** 32)).reduce((id, w) => (id << 32n) | BigInt(w), 0n).toString();
  const seq = 1 + Math.floor(rand() * 40);
  const backoff = 75 + Math.floor(rand() * 50);
  const replayed = 1000 + backoff + 2 + Math.floor(rand() * 30);
  const leader = `n${1 + Math.floor(rand() * 3)}`;
  return [
    `client_id=${client} seq=${seq - 1} attempt=1 node=${leader} outcome=append_ok action=succeed backoff_ms=0 t_ms=${3 + Math.floor(rand() * 9)}`,
    `client_id=${client} seq=${seq} attempt=1 node=${leader} outcome=timeout(1000ms) action=retry-next backoff_ms=${backoff} t_ms=1000`,
    `${leader} | [dedup] client ${client} seq ${seq} is duplicate, returning cached result`,
    `client_id=${client} seq=${seq} attempt=2 node=${leader} outcome=append_ok(replayed) action=succeed backoff_ms=0 t_ms=${replayed}`,
    `${leader} | became leader for term ${2 + Math.floor(rand() * 3)}`,
  ].join("\n");
}

describe("normalising a paste for comparison", () => {
  test("client ids, node ids, hex and uuid tokens and numbers become their kind; punctuation and whitespace do not count", () => {
    const a = pasteShape("client_id=42 seq=5 node=n1 t_ms=1104 req 3f9a2c1d7e id=123e4567-e89b-12d3-a456-426614174000\nn1 | [dedup] client 42 seq 5");
    const b = pasteShape("CLIENT_ID=c-77   seq=12 node=n3 t_ms=98 req 0xbeef01 id=00000000-0000-0000-0000-00000000abcd\nn3|[dedup]  client c-77 seq 12");
    expect(a.tokens).toEqual(b.tokens);
    expect([...a.ids].sort()).toEqual(["123e4567-e89b-12d3-a456-426614174000", "3f9a2c1d7e", "client 42"]);
    expect([...b.ids].sort()).toEqual(["00000000-0000-0000-0000-00000000abcd", "0xbeef01", "client c-77"]);
    // Long numbers (3+ digits) are the run's times; short ones (seqs, terms, node ids) every run has.
    expect(a.longNumbers.size).toBe(1);
    expect(a.shortValues).toHaveLength(4);
    expect(b.longNumbers.size).toBe(0);
  });
});

describe("near-duplicate detection across students", () => {
  test("identical text up to case and whitespace is flagged as identical", () => {
    const a = log(1, 40);
    const pairs = findSimilar([{ id: "alice", text: a }, { id: "bob", text: `  ${a.toUpperCase().replace(/ /g, "   ")}\n` }, { id: "carol", text: log(2, 40, "z") }]);
    expect(pairs).toEqual([{ a: "alice", b: "bob", similarity: 1, identical: true }]);
  });

  test("a copy with a few lines edited is near-identical", () => {
    const a = log(1, 100);
    const edited = a.split("\n").map((l, i) => (i % 25 === 0 ? `${l} edited` : l)).join("\n");
    const [pair] = findSimilar([{ id: "x", text: a }, { id: "y", text: edited }]);
    expect(pair).toMatchObject({ a: "x", b: "y", identical: false, sharedOrigin: "both name client 1" });
    expect(pair!.similarity).toBeGreaterThan(0.8);
  });

  test("a copied 5-line paste with one number and a space changed is flagged, with its similarity and the client both name", () => {
    const original = lostReplyPaste(prng(1));
    const copy = original.replace(/t_ms=(\d+)$/m, (_m, ms: string) => `t_ms=${Number(ms) + 1}`).replace("| became", "|  became");
    expect(copy).not.toBe(original);
    const client = /client_id=(\d+)/.exec(original)![1]!;
    expect(findSimilar([{ id: "carl", text: copy }, { id: "alice", text: original }])).toEqual([
      { a: "alice", b: "carl", similarity: 1, identical: false, sharedOrigin: `both name client ${client}` },
    ]);
  });

  test("honest pastes of the same scenario (same line shapes, each with its own client id, seqs and times) are not flagged", () => {
    const rand = prng(7);
    const docs = Array.from({ length: 40 }, (_, i) => ({ id: `s${String(i).padStart(2, "0")}`, text: lostReplyPaste(rand) }));
    expect(findSimilar(docs)).toEqual([]);
    // The same class with one student's paste copied by another: only that pair is flagged.
    const copy = docs[3]!.text.replace(/backoff_ms=(\d+)/, (_m, ms: string) => `backoff_ms=${Number(ms) + 3}`);
    expect(findSimilar([...docs, { id: "zed", text: copy }]).map((p) => `${p.a}-${p.b}`)).toEqual(["s03-zed"]);
  });

  test("a value most of a class prints (a build hash, a client id the lesson fixes) does not make pastes one run", () => {
    const rand = prng(11);
    const docs = Array.from({ length: 6 }, (_, i) => ({ id: `s${i}`, text: `kv-cluster 0.1.0 build 3f9a2c1d7e\n${lostReplyPaste(rand)}` }));
    expect(findSimilar(docs)).toEqual([]);
  });

  test("pastes that name no client: a copy shares the run's times, honest runs have their own", () => {
    const election = (rand: () => number) => {
      let ms = Math.floor(rand() * 1e6);
      const at = () => String((ms += 150 + Math.floor(rand() * 150)));
      return [`${at()} n2 election timeout`, `${at()} n2 became candidate for term 3`, `${at()} n1 voted for n2 in term 3`, `${at()} n3 voted for n2 in term 3`, `${at()} n2 became leader for term 3`].join("\n");
    };
    const rand = prng(5);
    const docs = Array.from({ length: 10 }, (_, i) => ({ id: `s${i}`, text: election(rand) }));
    expect(findSimilar(docs)).toEqual([]);
    const copy = docs[0]!.text.replace("term 3\n", "term 3 \n").replace(/^\d+/, (ms) => String(Number(ms) + 1));
    const pairs = findSimilar([...docs, { id: "t", text: copy }]);
    expect(pairs).toEqual([{ a: "s0", b: "t", similarity: 1, identical: false, sharedOrigin: "4 of their 6 numbers of 3+ digits in common" }]);
  });

  test("pastes with no ids and no long numbers are compared by the short numbers and node ids they print", () => {
    const base = ["n2 became candidate for term 3", "n1 voted for n2 in term 3", "n3 voted for n2 in term 3", "n2 became leader for term 3", "n2 appended entry 4 in term 3", "n2 committed entry 4 in term 3"].join("\n");
    const other = base.replace(/n2/g, "n1").replace(/n1 voted for n1/, "n2 voted for n1").replace(/term 3/g, "term 2");
    // Same shapes, different nodes and terms: two runs.
    expect(findSimilar([{ id: "a", text: base }, { id: "b", text: other }])).toEqual([]);
    // The same run with one term changed: as typed, still near-identical.
    const [pair] = findSimilar([{ id: "a", text: base }, { id: "c", text: base.replace("entry 4 in term 3", "entry 4 in term 4") }]);
    expect(pair).toMatchObject({ a: "a", b: "c", identical: false, sharedOrigin: "neither names an id or a long number, and the short numbers and node ids both print are 0.88 the same" });
  });

  test("prose with no values at all is compared by its words", () => {
    const text = [
      "I ran the lost reply scenario twice. The first attempt timed out because the reply was dropped on the way back,",
      "and the client retried against the same node with the same client id and sequence number. The server recognised",
      "the retry and answered it from the session table instead of applying the append a second time, so the list",
      "held the value once. I checked the final read and the history checker said the run was valid.",
    ].join("\n");
    const [pair] = findSimilar([{ id: "a", text }, { id: "b", text: text.replace("recognised", "noticed") }, { id: "c", text: "It worked: the server deduplicated my retried write" }]);
    expect(pair).toMatchObject({ a: "a", b: "b", identical: false, sharedOrigin: "neither prints an id or a number; compared by their words" });
    expect(pair!.similarity).toBeGreaterThanOrEqual(0.8);
  });

  test("independent runs of the same program are not flagged", () => {
    const docs = Array.from({ length: 30 }, (_, i) => ({ id: `s${i}`, text: log(i + 1, 60, `r${i}-`) }));
    expect(findSimilar(docs)).toEqual([]);
  });

  test("the bottom-k estimate is close to the exact Jaccard similarity", () => {
    const a = countedSet(wordHashes(log(1, 300)));
    const b = countedSet(wordHashes(log(1, 300).split("\n").map((l, i) => (i % 5 === 0 ? `${l} x${i}` : l)).join("\n")));
    expect(Math.abs(estimateJaccard(a, b) - jaccard(a, b))).toBeLessThan(0.15);
    expect(estimateJaccard(a, a)).toBe(1);
  });

  test("the sketch-pruned search agrees with a brute-force oracle of the same rule", () => {
    // The oracle: every pair, exact multiset Jaccard of normalised shingle strings, the origin rules on plain sets.
    const bag = <T>(items: T[]) => items.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<T, number>());
    const weighted = <T>(a: Map<T, number>, b: Map<T, number>) => {
      let min = 0;
      let max = 0;
      for (const k of new Set([...a.keys(), ...b.keys()])) {
        min += Math.min(a.get(k) ?? 0, b.get(k) ?? 0);
        max += Math.max(a.get(k) ?? 0, b.get(k) ?? 0);
      }
      return max === 0 ? 1 : min / max;
    };
    const rand = prng(3);
    const base = log(3, 80);
    const docs = [
      ...Array.from({ length: 12 }, (_, i) => ({
        id: `s${String(i).padStart(2, "0")}`,
        text: i % 3 === 0 ? base.split("\n").slice(0, 80 - i).join("\n") : log(i + 10, 50, `u${i}`),
      })),
      ...Array.from({ length: 6 }, (_, i) => ({ id: `t${i}`, text: lostReplyPaste(rand) })),
    ];
    docs.push({ id: "t9", text: docs[12]!.text.replace(/t_ms=\d+/, "t_ms=5") });
    const shapes = docs.map((d) => pasteShape(d.text));
    const grams = shapes.map((sh) => bag(sh.tokens.map((_, i) => sh.tokens.slice(i, i + 5).join(",")).slice(0, Math.max(1, sh.tokens.length - 4))));
    const pastesWith = <T>(v: T, key: (i: number) => Set<T>) => docs.filter((_, i) => key(i).has(v)).length;
    const own = <T>(vals: Set<T>, key: (i: number) => Set<T>) => new Set([...vals].filter((v) => { const n = pastesWith(v, key); return !(n >= 3 && n > docs.length / 2); }));
    const oracle: string[] = [];
    for (let i = 0; i < docs.length; i++) {
      for (let j = i + 1; j < docs.length; j++) {
        const [a, b] = [shapes[i]!, shapes[j]!];
        const words = (t: string) => t.toLowerCase().split(/\s+/).filter(Boolean).join(" ");
        let one: boolean;
        if (words(docs[i]!.text) === words(docs[j]!.text)) one = true;
        else {
          const ids = [own(a.ids, (k) => shapes[k]!.ids), own(b.ids, (k) => shapes[k]!.ids)] as const;
          const nums = [own(a.longNumbers, (k) => shapes[k]!.longNumbers), own(b.longNumbers, (k) => shapes[k]!.longNumbers)] as const;
          let origin: boolean;
          if (ids[0].size && ids[1].size) origin = [...ids[0]].some((v) => ids[1].has(v));
          else if (nums[0].size && nums[1].size) {
            const common = [...nums[0]].filter((v) => nums[1].has(v)).length;
            origin = common >= 2 && common / (nums[0].size + nums[1].size - common) >= 0.5;
          } else origin = weighted(bag(a.shortValues), bag(b.shortValues)) >= 0.8;
          one = origin && weighted(grams[i]!, grams[j]!) >= 0.8;
        }
        if (one) oracle.push(`${docs[i]!.id}-${docs[j]!.id}`);
      }
    }
    expect(findSimilar(docs).map((p) => `${p.a}-${p.b}`)).toEqual(oracle);
    expect(oracle).toEqual(["s00-s03", "s00-s06", "s00-s09", "s03-s06", "s03-s09", "s06-s09", "t0-t9"]);
  });
});
