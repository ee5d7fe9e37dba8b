// Dispatches `grader <command>` to a subcommand; usage errors exit 2, input
// files that cannot be read or parsed exit 4, anything else is a bug and is
// thrown on to the shell (exit 70 with the stack).
//
// Only the dispatched command's module is imported (commands/index.ts):
// `grader --help` and a usage error load no command code.
import { CliError, exitCodeHelp, unknownCommand } from "@dslab/protocol/cli";
import { EXIT, parse, UsageError, type Io } from "./args.js";
import { COMMANDS, type CommandEntry } from "./commands/index.js";

/** The lesson asked for cannot be used (its regexes cannot run): reported in one line, exit 2. */
const USAGE_ERROR_CODES = new Set(["USAGE", "LESSON_PROOF_CONFIG"]);
/** An input file that cannot be read or parsed, rather than a bug: reported in one line, exit 4. */
const INPUT_ERROR_CODES = new Set(["NOT_A_FILE", "LESSONS_DIR", "GRADES_FILE", "COMPLETIONS_HEADER", "ENOENT", "EACCES", "EISDIR", "ENOTDIR"]);

/** The command column of the help: as wide as the longest command. */
const NAME_WIDTH = Math.max(12, ...COMMANDS.map((c) => c.name.length));

export const MAIN_HELP = `Usage: grader <command> [options]

Lessons, proof checks, gradebook and review schedules for the dslab course.

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(NAME_WIDTH)} ${c.summary}`).join("\n")}

Every command reads the course from --lessons DIR (default: lessons, here or in
the nearest parent directory that has one) and takes --json, --help and
--version. Run \`grader <command> --help\` for details.

${exitCodeHelp()}
`;

function findCommand(argv: string[]): { entry: CommandEntry; rest: string[] } | undefined {
  for (const c of COMMANDS) {
    const words = c.name.split(" ");
    if (words.every((w, i) => argv[i] === w)) return { entry: c, rest: argv.slice(words.length) };
  }
  return undefined;
}

export async function main(argv: string[], io: Io): Promise<number> {
  if (argv.length === 0 || argv[0] === "--help" || argv[0] === "-h" || argv[0] === "help") {
    io.stdout(MAIN_HELP);
    return argv.length === 0 ? EXIT.usage : EXIT.ok;
  }
  const found = findCommand(argv);
  if (!found) {
    // `grader lesson` or `grader lesson --help`: the one command that starts with that word.
    const family = COMMANDS.filter((c) => c.name.startsWith(`${argv[0]} `));
    if (family.length > 0) {
      if (argv.includes("--help") || argv.includes("-h")) {
        const commands = await Promise.all(family.map((c) => c.load()));
        io.stdout(`${commands.map((c) => c.help).join("\n")}\n${exitCodeHelp()}\n`);
        return EXIT.ok;
      }
      const helps = family.map((c) => `\`grader ${c.name} --help\``);
      io.stderr(`grader: ${JSON.stringify(argv.slice(0, 2).join(" "))} is not a command; use ${family.map((c) => `\`grader ${c.name}\``).join(" or ")} (see ${helps.join(" or ")}, or \`grader ${argv[0]} --help\` for ${family.length > 1 ? "all of them" : "it"})\n`);
      return EXIT.usage;
    }
    const words = [...new Set(COMMANDS.map((c) => c.name.split(" ")[0]!))];
    io.stderr(`grader: ${unknownCommand(argv[0]!, words).message}\nRun \`grader --help\` for usage.\n`);
    return EXIT.usage;
  }
  const command = await found.entry.load();
  try {
    const { values, positionals } = parse(command, found.rest);
    if (values.help) {
      io.stdout(`${command.help}\n${exitCodeHelp()}\n`);
      return EXIT.ok;
    }
    return await command.run(values, positionals, io);
  } catch (err) {
    const e = err as Error & { code?: string };
    if (err instanceof CliError && !(err instanceof UsageError)) {
      io.stderr(`grader ${command.name}: ${e.message}\n`);
      return err.exitCode;
    }
    if (err instanceof UsageError || (typeof e.code === "string" && USAGE_ERROR_CODES.has(e.code))) {
      io.stderr(`grader ${command.name}: ${e.message}\n`);
      return EXIT.usage;
    }
    if (typeof e.code === "string" && INPUT_ERROR_CODES.has(e.code)) {
      io.stderr(`grader ${command.name}: ${e.message}\n`);
      return EXIT.badInput;
    }
    throw err;
  }
}
