/**
 * An error thrown by code under test (a workbook stub not written yet, a
 * known-bad variant, a module named by --core or --client) is the fault of
 * the module that threw it, not of kv-sim nor of a trace file: it is told as
 * exit 2, as a usage error is, in two lines, which module threw (its file and the
 * option, or the default, that chose it) with the error, then where in that
 * module's files it was thrown, without kv-sim's own frames.
 */
import { resolve } from "node:path";
import { moduleFrame, shownPath } from "@dslab/cluster";
import { CliError, EXIT } from "@dslab/protocol/cli";

/**
 * Code under test failed (a --bin that cannot start, a module that throws or
 * breaks its contract): exit 2 as a usage error, since the command line named
 * that code, but the command line itself is right, so no "Run `kv-sim
 * --help` for usage." follows the message.
 */
export class CodeUnderTestError extends CliError {
  override readonly name = "CodeUnderTestError";
  readonly code = "E_CODE_UNDER_TEST";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, EXIT.usage, options);
  }
}

/** A module of the user's that a command runs, and what chose it ("--store", "the default workbook", ...). */
export interface ModuleSource {
  file: string;
  option: string;
  /** The retrying client: the engine's complaints about a client's replies are its fault. */
  client?: boolean;
}

/** The modules a run's configuration names: --core, --client. */
export function moduleSources(config: { core?: string; client?: string }): ModuleSource[] {
  return [
    ...(config.core !== undefined ? [{ file: config.core, option: "--core" }] : []),
    ...(config.client !== undefined ? [{ file: config.client, option: "--client", client: true }] : []),
  ];
}

/**
 * The usage error for `e` if code under test threw it, naming which of
 * `modules` did (the one whose file the throwing frame is in; the only one;
 * else all of them); undefined if no frame is in a module of the user's
 * (then it is kv-sim's own error, or a bad input's).
 */
export function codeUnderTestThrew(e: unknown, modules: readonly ModuleSource[]): CodeUnderTestError | undefined {
  if (!(e instanceof Error) || e instanceof CliError) return undefined;
  const named = (m: ModuleSource) => `${m.option}: ${shownPath(m.file)}`;
  if ((e as { code?: unknown }).code === "E_CLIENT_CONTRACT") {
    const client = modules.find((m) => m.client);
    return new CodeUnderTestError(`${client ? named(client) : "--client"}: ${e.message}`, { cause: e });
  }
  const frame = moduleFrame(e);
  if (frame === undefined) return undefined;
  const owner = modules.find((m) => resolve(m.file) === frame.file) ?? (modules.length === 1 ? modules[0] : undefined);
  const who = owner ? named(owner) : modules.length > 0 ? `one of ${modules.map(named).join(", ")}` : "a module named by --core or --client";
  return new CodeUnderTestError(`${who}: threw ${e.name}: ${e.message}\n  at ${frame.at}`, { cause: e });
}
