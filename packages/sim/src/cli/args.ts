/**
 * A small argument parser: `--name value`, `--name=value`, repeatable
 * options, boolean flags. Errors name the option and what was expected.
 */
export class UsageError extends Error {
  override readonly name = "UsageError";
  readonly code = "E_USAGE";
}

export interface ParsedArgs {
  options: Map<string, string[]>;
  flags: Set<string>;
  positional: string[];
}

export function parseArgs(argv: readonly string[], spec: { options: readonly string[]; flags: readonly string[] }): ParsedArgs {
  const options = new Map<string, string[]>();
  const flags = new Set<string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--")) {
      if (arg === "-h") flags.add("help");
      else positional.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    if (spec.flags.includes(name)) {
      flags.add(name);
      continue;
    }
    if (!spec.options.includes(name)) {
      throw new UsageError(`unknown option --${name}; see --help`);
    }
    const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined) throw new UsageError(`--${name} needs a value`);
    options.set(name, [...(options.get(name) ?? []), value]);
  }
  return { options, flags, positional };
}

export function getString(a: ParsedArgs, name: string): string | undefined {
  const v = a.options.get(name);
  return v?.[v.length - 1];
}

export function getNumber(a: ParsedArgs, name: string, opts: { integer?: boolean; min?: number } = {}): number | undefined {
  const s = getString(a, name);
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isFinite(n) || (opts.integer && !Number.isInteger(n)) || (opts.min !== undefined && n < opts.min)) {
    throw new UsageError(`--${name}: expected ${opts.integer ? "an integer" : "a number"}${opts.min !== undefined ? ` >= ${opts.min}` : ""}, got "${s}"`);
  }
  return n;
}

export function getList(a: ParsedArgs, name: string): string[] {
  return (a.options.get(name) ?? []).flatMap((v) => v.split(",")).map((s) => s.trim()).filter(Boolean);
}
