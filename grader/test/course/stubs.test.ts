/**
 * What a lesson tells the student to write in a workbook stub is what the
 * stub declares: the requests the dedup store serves are the ones the
 * lessons route through the tracker or around it.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { errorSpec } from "@dslab/protocol";
import MarkdownIt, { type Token } from "markdown-it";
import { describe, expect, test } from "vitest";
import { REPO } from "../helpers/cli.js";

const md = new MarkdownIt();

/** The `type` of each member of the stub's `KvRequest` union, and the fields of its `RequestIdentity`. */
async function storeRequests(): Promise<{ types: string[]; identity: string[] }> {
  const stub = await readFile(path.join(REPO, "week-12", "src", "dedup-kv-store.ts"), "utf8");
  const union = /export type KvRequest =([\s\S]*?);\n/.exec(stub);
  const identity = /export interface RequestIdentity \{([\s\S]*?)\}/.exec(stub);
  expect({ union: union !== null, identity: identity !== null }, "week-12/src/dedup-kv-store.ts declares KvRequest and RequestIdentity").toEqual({ union: true, identity: true });
  return {
    types: [...union![1]!.matchAll(/type: "([a-z_]+)"/g)].map((m) => m[1]!).sort(),
    identity: [...identity![1]!.matchAll(/^\s*([a-z_]+)\??:/gm)].map((m) => m[1]!).sort(),
  };
}

/** The inline tokens of the list item of `file`'s Steps section whose bold title matches `title`. */
async function stepInlines(file: string, title: RegExp): Promise<Token[]> {
  const tokens = md.parse(await readFile(path.join(REPO, file), "utf8"), {});
  let inSteps = false;
  let depth = 0;
  let inlines: Token[] | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.type === "heading_open" && t.tag === "h2") inSteps = tokens[i + 1]!.content === "Steps";
    if (!inSteps) continue;
    if (t.type === "list_item_open") {
      depth++;
      if (depth === 1 && title.test(tokens[i + 2]?.content ?? "")) inlines = [];
    } else if (t.type === "list_item_close") {
      depth--;
      if (depth === 0 && inlines !== undefined) return inlines;
    }
    if (inlines !== undefined && t.type === "inline") inlines.push(t);
  }
  throw new Error(`${file}: no step titled ${title}`);
}

/** The text of that step, spaces collapsed. */
async function stepText(file: string, title: RegExp): Promise<string> {
  return (await stepInlines(file, title))
    .map((t) => t.content)
    .join(" ")
    .replace(/\s+/g, " ");
}

/** The code spans of that step. */
async function stepSpans(file: string, title: RegExp): Promise<string[]> {
  return (await stepInlines(file, title)).flatMap((t) => (t.children ?? []).filter((c) => c.type === "code_inline").map((c) => c.content));
}

/** The code spans of each lesson's Goal and Steps sections, by lesson file (answer keys left out). */
async function stepsSpansByLesson(): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  const dirs = [path.join(REPO, "lessons")];
  while (dirs.length > 0) {
    const dir = dirs.pop()!;
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) dirs.push(p);
      else if (e.name.endsWith(".md") && !e.name.endsWith(".answers.md") && e.name.toLowerCase() !== "readme.md") {
        const tokens = md.parse(await readFile(p, "utf8"), {});
        const spans: string[] = [];
        let inside = false;
        for (let i = 0; i < tokens.length; i++) {
          const t = tokens[i]!;
          if (t.type === "heading_open" && t.tag === "h2") inside = ["Goal", "Steps"].includes(tokens[i + 1]!.content);
          if (inside) for (const c of t.children ?? []) if (c.type === "code_inline") spans.push(c.content);
        }
        out.set(path.relative(REPO, p), spans);
      }
    }
  }
  return out;
}

describe("lessons and the workbook stubs", () => {
  test("a lesson that names a stub in its Goal or Steps names there every function the stub leaves to write (todo)", async () => {
    const lessons = await stepsSpansByLesson();
    const src = path.join(REPO, "week-12", "src");
    const unnamed: string[] = [];
    for (const f of (await readdir(src)).filter((n) => n.endsWith(".ts")).sort()) {
      const todos = [...(await readFile(path.join(src, f), "utf8")).matchAll(/\btodo\("([A-Za-z_]\w*)"\)/g)].map((m) => m[1]!);
      if (todos.length === 0) continue;
      const stub = `week-12/src/${f}`;
      const citing = [...lessons.entries()].filter(([, spans]) => spans.includes(stub));
      if (citing.length === 0) unnamed.push(`${stub}: no lesson names it in its Goal or Steps`);
      for (const [lesson, spans] of citing) {
        for (const name of todos) if (!spans.some((s) => s === name || s.startsWith(`${name}(`))) unnamed.push(`${lesson}: ${stub} ${name}`);
      }
    }
    expect(unnamed).toEqual([]);
  });

  test("w11-l04's routing step names exactly the request types the dedup store serves, and its identity fields", async () => {
    const spans = await stepSpans("lessons/w11/l04-idempotent-writes.md", /Route writes through the tracker/);
    const { types, identity } = await storeRequests();
    expect([...new Set(spans)].sort()).toEqual([...types, ...identity].sort());
  });

  test("d03's Backoff paragraph bounds the jittered wait on both sides, as the stub's backoffMs does", async () => {
    const lesson = await readFile(path.join(REPO, "lessons", "w12-leader-election-client-idempotency", "d03-quest-client-retry-idempotency.md"), "utf8");
    const paragraph = /\*\*Backoff\.\*\*([\s\S]*?)\n\n/.exec(lesson)?.[1]?.replace(/\s+/g, " ") ?? "";
    const stub = await readFile(path.join(REPO, "week-12", "src", "retry-client.ts"), "utf8");
    expect(stub).toMatch(/Never above `capMs`/);
    expect(stub).toMatch(/never below `floorMs`/);
    expect({ cap: /never (?:waits )?more than 5 s/.test(paragraph), floor: /never waits less than 10 ms/.test(paragraph) }).toEqual({ cap: true, floor: true });
  });

  test("d02's decide step gives every reason the stub's decide comment and the check refuse a vote or a pre-vote for", async () => {
    const step = await stepText("lessons/w12-leader-election-client-idempotency/d02-quest-vote-rules.md", /Write `decide`/);
    const stub = await readFile(path.join(REPO, "week-12", "src", "vote-rules.ts"), "utf8");
    expect(stub).toMatch(/knows no leader of it/);
    expect({
      term: /not the voter's term/.test(step),
      secondCandidate: /second candidate/.test(step),
      knownLeader: /leader of (?:the|that|this) term/.test(step),
      upToDate: /less up-to-date log/.test(step),
      preVoteTerm: /pre-vote[^.]*term later than the voter's/i.test(step),
    }).toEqual({ term: true, secondCandidate: true, knownLeader: true, upToDate: true, preVoteTerm: true });
  });

  test("d03's classification table sends each error to the class the registry gives it, as the stub's classify does", async () => {
    const lesson = await readFile(path.join(REPO, "lessons", "w12-leader-election-client-idempotency", "d03-quest-client-retry-idempotency.md"), "utf8");
    const table = /\*\*The classification table\.\*\*\n\n((?:\|.*\n)+)/.exec(lesson)?.[1] ?? "";
    const rows = table.split("\n").slice(2).filter((r) => r.startsWith("|")).map((r) => r.split("|").map((c) => c.trim()).slice(1, -1));
    expect(rows.length).toBeGreaterThanOrEqual(5);
    const wrong: string[] = [];
    for (const [what, cls] of rows as [string, string][]) {
      if (cls !== "terminal" && cls !== "retry-backoff") continue;
      for (const m of what.matchAll(/\((\d+)\)/g)) {
        const code = Number(m[1]);
        if (code === 11 || code === 12) continue; // their own rows: by the leader named, and never retried
        if (errorSpec(code).retryable !== (cls === "retry-backoff")) wrong.push(`${what}: error ${code} is ${errorSpec(code).retryable ? "" : "not "}retryable in the registry, not ${cls}`);
      }
      // A catch-all ("other ... errors") says which errors by the registry's `retryable`, as classify reads it.
      if (/\bother\b/.test(what) && !/retryable/.test(what)) wrong.push(`${what}: a catch-all row that does not say "retryable"`);
    }
    expect(wrong).toEqual([]);
  });
});
