/**
 * Search checks: the workbook's DedupKVStore in the model checker's
 * `dedup-single` scenario (`kv-sim search`), every order of deliveries,
 * retries, one lost message and one duplicated request explored, with
 * "appends applied at most once" and "results ok" checked in every state.
 * Random fault runs meet a duplicate of an old request delivered after a
 * newer one was applied only by luck; the search meets every such order.
 *
 * `npm run check` decides one criterion with one check, so a search check
 * joins the check its criterion already has (`withSearchChecks`): the unit
 * check runs first, then the search.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { searchScenario, type DedupStoreClass, type SearchReport } from "@dslab/sim";
import { criterion, LESSON } from "./lessons.js";
import { CheckFailure, type CheckContext, type CriterionCheck } from "./types.js";
import { REPOSITORY_ROOT } from "./workbook.js";

/** The shapes searched: each is exhausted in well under a second on the reference store. */
export const SEARCH_SHAPES = [
  { clients: 1, appends: 3, maxRetries: 1, maxDrops: 1, maxDuplicates: 1 },
  { clients: 2, appends: 1, maxRetries: 1, maxDrops: 1, maxDuplicates: 1 },
] as const;

/** Seconds each shape may take before the search stops without a verdict (the check then passes on what it saw). */
export const SEARCH_TIME_S = 4;

async function searchStore(ctx: CheckContext): Promise<void> {
  const { DedupKVStore } = await ctx.workbook.import<{ DedupKVStore: DedupStoreClass }>("src/dedup-kv-store.ts");
  for (const shape of SEARCH_SHAPES) {
    const report = searchScenario({ scenario: "dedup-single", store: DedupKVStore, ...shape, maxTimeS: SEARCH_TIME_S });
    if (report.violation) throw failure(ctx, report, shape);
  }
}

function failure(ctx: CheckContext, report: SearchReport, shape: (typeof SEARCH_SHAPES)[number]): CheckFailure {
  const lines = (report.trace ?? []).map((l, i) => `  ${i + 1}. ${l}`);
  let replay = "";
  try {
    mkdirSync(ctx.outDir, { recursive: true });
    const file = join(ctx.outDir, "search-trace.json");
    writeFileSync(file, JSON.stringify(report.traceFile, null, 2) + "\n");
    const store = ctx.workbook.label === "workbook" && ctx.workbook.replayEnv === "" ? "" : ` --store ${shown(ctx.workbook.path("src/dedup-kv-store.ts"))}`;
    replay = `\nreplay: npm run kv-sim -- replay ${shown(file)}${store}`;
  } catch {
    // the trace stays in the message
  }
  const shapeText = `${shape.clients} client${shape.clients > 1 ? "s" : ""} x ${shape.appends} appends, retries, a lost message and a duplicated request`;
  const what =
    report.violation!.invariant === "appends-at-most-once"
      ? `${report.violation!.message}: a repeated (client_id, seq) must be answered from the table, never applied again`
      : `${report.violation!.message}: no exactly-once execution answers that`;
  return new CheckFailure(`${what}, in this order (a shortest one, found by searching every order of ${shapeText}):\n${lines.join("\n")}${replay}`, {
    expected: "every append applied at most once, every reply one an exactly-once execution gives",
    received: `${report.violation!.invariant} violated after ${lines.length} events`,
  });
}

/** A path relative to the repository root (where `npm run kv-sim` runs), or absolute outside it. */
function shown(file: string): string {
  const r = relative(REPOSITORY_ROOT, file);
  return r.startsWith("..") ? file : r;
}

/** The search part of each criterion it strengthens. */
export const SEARCH_CHECKS: readonly CriterionCheck[] = [
  {
    criterion: criterion(LESSON.idempotentWrites, 1),
    title: "every order of retries, a lost message and a duplicated request: no append is applied twice",
    files: ["src/client-tracker.ts", "src/dedup-kv-store.ts"],
    run: searchStore,
  },
];

/** `checks` with each criterion's check followed by its search check (one check per criterion, as the plan takes it). */
export function withSearchChecks(checks: readonly CriterionCheck[]): CriterionCheck[] {
  return checks.map((check) => {
    const search = SEARCH_CHECKS.find((s) => s.criterion === check.criterion);
    if (search === undefined) return check;
    return {
      ...check,
      files: [...new Set([...check.files, ...search.files])],
      async run(ctx: CheckContext) {
        await check.run(ctx);
        await search.run(ctx);
      },
    };
  });
}
