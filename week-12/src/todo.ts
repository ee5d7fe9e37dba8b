/**
 * The one error an untouched stub throws. `npm run check` recognises it and
 * prints one line, `not implemented yet: <function> (<lesson>, criterion <n>)`,
 * instead of a stack trace. Delete the `todo(...)` call when you write the
 * function.
 */
export class NotImplementedError extends Error {
  override readonly name = "NotImplementedError";
  constructor(readonly fn: string) {
    super(`not implemented yet: ${fn}`);
  }
}

/** Marks a function the student has not written yet. */
export function todo(fn: string): never {
  throw new NotImplementedError(fn);
}

/** Whether `e` is a stub's "not implemented yet" (also across module copies). */
export function isNotImplemented(e: unknown): e is NotImplementedError {
  return e instanceof Error && e.name === "NotImplementedError" && typeof (e as { fn?: unknown }).fn === "string";
}
