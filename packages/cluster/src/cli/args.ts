/** Small helpers for the CLIs: parse flags, print usage errors people can act on. */
import { parseArgs, type ParseArgsConfig } from "node:util";

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

/** Runs a CLI main: usage errors print the message and the hint, exit 2. */
export async function runCli(main: () => Promise<void>, helpHint: string): Promise<void> {
  try {
    await main();
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`error: ${e.message}\n${helpHint}\n`);
      process.exit(2);
    }
    process.stderr.write(`error: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  }
}
