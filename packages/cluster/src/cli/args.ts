/** Small helpers for the CLIs: parse flags, print usage errors people can act on. */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { StorageError, StorageLockedError } from "../storage/index.js";

export class UsageError extends Error {
  override readonly name = "UsageError";
  readonly code = "E_USAGE";
}

export function parseFlags<T extends NonNullable<ParseArgsConfig["options"]>>(
  argv: string[],
  options: T,
): ReturnType<typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>> {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export function intFlag(value: string | undefined, name: string, opts: { min?: number; default?: number } = {}): number | undefined {
  if (value === undefined) return opts.default;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < (opts.min ?? 0)) {
    throw new UsageError(`--${name} must be an integer >= ${opts.min ?? 0}, got ${JSON.stringify(value)}`);
  }
  return n;
}

/**
 * A storage refusal is an expected failure: one line (the message names the
 * file, the offset and what to do, then the code) and no stack. Exit 4 for a
 * data directory that cannot be read or trusted, 1 for a directory another
 * live process holds. Null for any other error.
 */
export function storageRefusal(e: unknown): { line: string; exitCode: number } | null {
  if (!(e instanceof StorageError)) return null;
  return { line: `${e.message} (${e.code})`, exitCode: e instanceof StorageLockedError ? 1 : 4 };
}

/** Runs a CLI main: usage errors print the message and the hint, exit 2; storage refusals one line. */
export async function runCli(main: () => Promise<void>, helpHint: string): Promise<void> {
  try {
    await main();
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`error: ${e.message}\n${helpHint}\n`);
      process.exit(2);
    }
    const refusal = storageRefusal(e);
    if (refusal) {
      process.stderr.write(`error: ${refusal.line}\n`);
      process.exit(refusal.exitCode);
    }
    process.stderr.write(`error: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  }
}
