/**
 * How a plug scenario starts from the command line (`npm run <name>` in
 * week-12/, `npx tsx week-12/plug/<name>.ts` at the repository root): the
 * convention of every dslab command, through @dslab/protocol/cli: strict
 * options (an unknown or mistyped one is a usage error naming the nearest,
 * exit 2), `-h`/`--help`, `--version`, and one line per error. An error thrown by the workbook's code is the scenario's
 * news, not a bug of the script: its stack is printed and the exit code is 1.
 */
import { CliError, EXIT, parseOptions, processIo, readPackageVersion, runMain, type Io, type OptionSpec, type ParsedOptions } from "@dslab/protocol/cli";

export interface Script<T extends OptionSpec> {
  /** The first word of every error line, e.g. `lost-reply`. */
  name: string;
  /** The text `--help` prints. */
  help: string;
  options: T;
  main(values: ParsedOptions<T>["values"], io: Io): Promise<number>;
}

export async function runScript<T extends OptionSpec>(script: Script<T>): Promise<void> {
  const io = processIo(process);
  const options = { ...script.options, help: { type: "boolean", short: "h" } } as const;
  await runMain(
    { name: script.name, version: readPackageVersion(new URL(import.meta.url)) },
    async (argv) => {
      const { values } = parseOptions(argv, options, { positionals: false });
      if ((values as { help?: boolean }).help === true) {
        io.stdout(script.help);
        return EXIT.ok;
      }
      try {
        return await script.main(values as ParsedOptions<T>["values"], io);
      } catch (e) {
        if (e instanceof CliError) throw e;
        io.stderr(`${script.name}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
        return EXIT.negative;
      }
    },
    process.argv.slice(2),
    io,
  );
}
