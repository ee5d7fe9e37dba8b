import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadStore, type DedupStoreClass } from "../../src/search/index.js";

const root = fileURLToPath(new URL("../../../../", import.meta.url));
/** The reference DedupKVStore of the workbook. */
export const STORE_SOLUTION = join(root, "grader/solutions/week-12/src/dedup-kv-store.ts");

/** The reference store with a tracker module's ClientTracker in it (as the workbook's check builds it). */
export async function withTracker(file: string): Promise<DedupStoreClass> {
  const Base = (await loadStore(STORE_SOLUTION)) as unknown as new (o: { sessionTimeoutMs: number }, s?: never) => { state: { tracker: unknown }; tracker: unknown };
  const { ClientTracker } = (await import(file)) as { ClientTracker: new (o: { sessionTimeoutMs: number }, s: unknown) => unknown };
  return class extends Base {
    constructor(o: { sessionTimeoutMs: number }, s?: never) {
      super(o, s);
      this.tracker = new ClientTracker({ sessionTimeoutMs: o.sessionTimeoutMs }, this.state.tracker);
    }
  } as unknown as DedupStoreClass;
}
