/**
 * The client's injected dependencies: time, sleeping and
 * randomness come in from outside, so the simulator can drive them under
 * simulated time and tests get exact schedules. `Date.now` and `setTimeout`
 * appear only in the system implementations below, used by shells (the CLI).
 */

/** Milliseconds on some monotonic-enough scale; only differences are used. */
export interface Clock {
  now(): number;
}

/** Resolves after `ms` milliseconds of the clock's time. */
export type Sleep = (ms: number) => Promise<void>;

export const systemClock: Clock = { now: () => Date.now() };

/**
 * The longest delay `setTimeout` keeps (2^31-1 ms, about 24.8 days); a
 * longer one fires at once, with a warning. A sleep beyond it is cut to it.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export const systemSleep: Sleep = (ms) =>
  new Promise((resolve) => {
    setTimeout(resolve, Math.min(Math.max(0, ms), MAX_TIMER_MS));
  });
