/**
 * Looks at a time limit's clock while work that runs in one go goes on
 * (pairing a history's operations, reading their values for the search):
 * the work counts what it has done in units (an operation, a micro-operation
 * of a transaction, a KiB of a value's text), and the clock is looked at
 * once every UNITS_PER_LOOK of them. A unit is well under a microsecond of
 * work, so the clock is looked at about every millisecond or less, and far
 * too seldom to slow the work: a look costs less than a unit's work times
 * UNITS_PER_LOOK.
 */

/** Units of work between two looks at the clock. */
export const UNITS_PER_LOOK = 1024;

/** Reports `units` of work done; throws WorkTimeLimitError once the time limit has passed (looked at every UNITS_PER_LOOK units). */
export type WorkTick = (units: number) => void;

/** The time limit was reached while the work went on: what was done so far is of no use, the verdict is unknown. */
export class WorkTimeLimitError extends Error {
  readonly code = "E_WORK_TIME_LIMIT";
  constructor() {
    super("the time limit was reached");
    this.name = "WorkTimeLimitError";
  }
}

/** A WorkTick that throws WorkTimeLimitError once `now()` is past `deadline`. */
export function workClock(deadline: number, now: () => number): WorkTick {
  let units = 0;
  return (done: number): void => {
    units += done;
    if (units < UNITS_PER_LOOK) return;
    units = 0;
    if (now() > deadline) throw new WorkTimeLimitError();
  };
}
