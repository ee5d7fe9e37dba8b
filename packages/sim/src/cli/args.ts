/**
 * kv-sim's options on the dslab convention (`@dslab/protocol/cli`): strict
 * parsing with a suggestion for a mistyped option, `--name value` or
 * `--name=value`, list options that may be repeated (`getList`), boolean
 * flags. Errors name the option and what was expected; an option of one
 * value given twice is one of them.
 */
import { numberOption, parseOptions, UsageError, type OptionSpec } from "@dslab/protocol/cli";

export { UsageError };

export interface ParsedArgs {
  options: Map<string, string[]>;
  flags: Set<string>;
  positional: string[];
}

/**
 * `command` names the subcommand in the refusal of a stray argument, and
 * `takes` what it takes (default "only options"): `unexpected argument
 * "extra": kv-sim run takes only options (kv-sim run --help lists them)`.
 */
export function parseArgs(argv: readonly string[], spec: { command?: string; takes?: string; options: readonly string[]; flags: readonly string[] }): ParsedArgs {
  const config: OptionSpec = {};
  for (const name of spec.options) config[name] = { type: "string", multiple: true };
  for (const name of spec.flags) config[name] = name === "help" ? { type: "boolean", short: "h" } : { type: "boolean" };
  let values: ReturnType<typeof parseOptions>["values"];
  try {
    ({ values } = parseOptions(argv, config, { positionals: false }));
  } catch (e) {
    if (spec.command !== undefined && e instanceof UsageError && e.message.startsWith("unexpected argument ")) {
      throw new UsageError(`${e.message}: kv-sim ${spec.command} takes ${spec.takes ?? "only options"} (kv-sim ${spec.command} --help lists them)`, { cause: e });
    }
    throw e;
  }
  const options = new Map<string, string[]>();
  const flags = new Set<string>();
  for (const [name, value] of Object.entries(values)) {
    if (Array.isArray(value)) options.set(name, value.map(String));
    else if (value === true) flags.add(name);
  }
  return { options, flags, positional: [] };
}

/**
 * An option that takes one value. Given twice (`--seed 1 --seed 2`) it is a
 * usage error naming it, as for every dslab command: which one was meant
 * cannot be told. (Every option is parsed as repeatable so that `getList`
 * can collect a list option's values.)
 */
export function getString(a: ParsedArgs, name: string): string | undefined {
  const v = a.options.get(name);
  if (v !== undefined && v.length > 1) throw new UsageError(`--${name}: given twice (${JSON.stringify(v[0])}, then ${JSON.stringify(v[1])}); give it once`);
  return v?.[0];
}

export function getNumber(a: ParsedArgs, name: string, opts: { integer?: boolean; min?: number } = {}): number | undefined {
  return numberOption(getString(a, name), name, opts);
}

export function getList(a: ParsedArgs, name: string): string[] {
  return (a.options.get(name) ?? []).flatMap((v) => v.split(",")).map((s) => s.trim()).filter(Boolean);
}

/** An option that names a file or a command: given empty (`--bin ""`), it is a usage error, never the same as not given. */
export function getNonEmpty(a: ParsedArgs, name: string, what: string): string | undefined {
  const v = getString(a, name);
  if (v !== undefined && v.trim() === "") throw new UsageError(`--${name}: empty; give ${what}, or leave the option out`);
  return v;
}
