/**
 * The `--now` option of the commands that stamp decisions (proofs, review),
 * in a module of its own so that `grader --help` does not load the date
 * parser.
 */
import { parseIsoTimestamp } from "../schedule/dates.js";
import { UsageError, type Io } from "./args.js";

/**
 * `--now` or the wall clock, normalized to an ISO UTC string. `--now` is a
 * date (`2026-11-24`, midnight UTC) or a date and time with its zone
 * (`2026-11-24T10:00:00Z`, `2026-11-24T11:00+01:00`): a time without a zone
 * would be read in the machine's zone, and a rerun elsewhere would differ.
 */
export function nowIso(values: Record<string, unknown>, io: Io): string {
  const v = values.now;
  if (v === undefined) return io.now().toISOString();
  const t = parseIsoTimestamp(String(v));
  const example = "e.g. 2026-11-24 or 2026-11-24T10:00:00Z";
  if (t === undefined) throw new UsageError(`--now ${JSON.stringify(v)} is not an ISO date (YYYY-MM-DD) or date and time (YYYY-MM-DDTHH:MM[:SS] with Z or an offset), ${example}`);
  if (t.ms === undefined) throw new UsageError(`--now ${JSON.stringify(v)} has a time but no zone; add Z (UTC) or an offset such as +01:00, ${example}`);
  return new Date(t.ms).toISOString();
}
