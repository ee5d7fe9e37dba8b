/**
 * kv: the command-line client. Parsing lives in args.ts; this file answers
 * --help, and hands `status` to status.ts and an operation to operation.ts,
 * each imported only when asked for, so `kv --help` loads neither the client
 * nor the sockets. kv.ts binds it to the process.
 */
import { EXIT as CLI_EXIT, type Io } from "@dslab/protocol/cli";
import { HELP, parseKvArgs } from "./args.js";

export const EXIT = { ok: CLI_EXIT.ok, failed: CLI_EXIT.negative, usage: CLI_EXIT.usage, unknown: CLI_EXIT.unknown } as const;

/** Runs `kv ARGV`; a usage error is thrown as a UsageError, a bug as whatever it is. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const plan = parseKvArgs(argv);
  if (plan.status) return (await import("./status.js")).runStatus(plan, io);
  if (plan.help || !plan.operation) {
    io.stdout(`${HELP}\n`);
    return EXIT.ok;
  }
  const { operation } = plan;
  return (await import("./operation.js")).runOperation({ ...plan, operation }, io);
}
