/**
 * kv-sim: run the cluster under a seeded fault schedule with retrying
 * clients, check the history, write the pictures; or a swarm of seeds.
 *
 *   kv-sim run --seed 7 --nodes 3 --time-limit-s 30 --rate 100 --concurrency 8 \
 *     --workload exactly-once --nemesis partition,kill,duplicate,lose-reply,pause
 *   kv-sim swarm --seeds 1000 --jobs 2
 *
 * Exit codes are the dslab table (`@dslab/protocol/cli`): 0 valid, 1 invalid,
 * 2 usage error (also code under test that cannot start or load, or that
 * throws: a --bin, --core or --client, a workbook's piece), 3 unknown (a checker ran out of budget), 4 the outputs
 * cannot be written (checked before the run, or lost after it), 70 a bug.
 */
import { CliError, exitCodeHelp, unknownCommand, UsageError, type Io } from "@dslab/protocol/cli";
import { runCommand, RUN_HELP } from "./run-command.js";
import { swarmCommand, swarmWorkerCommand, SWARM_HELP } from "./swarm-command.js";
import { replayCommand, searchCommand, SEARCH_HELP } from "./search-command.js";
import { exploreCommand, EXPLORE_HELP } from "./explore-command.js";
import { CodeUnderTestError, codeUnderTestThrew } from "./module-error.js";

export const HELP = `kv-sim: a seeded, fault-injecting harness for the key-value cluster

Usage:
  kv-sim run   [options]   one run: faults, heal, liveness, checkers, outputs
  kv-sim swarm [options]   many in-process seeds; failing seeds with their replay commands
  kv-sim search [options]  every reachable state of a small scenario; the shortest trace to a violation
  kv-sim replay TRACE      re-run a search's trace file event by event
  kv-sim explore [options] step through a scenario in the browser; walk a trace to its violation
  kv-sim <command> --help  options of a command
  kv-sim --version         the version

${exitCodeHelp()}
Here: 1 invalid, 3 unknown (a checker ran out of budget or had nothing to
judge); 2 also for code under test that cannot start or load or that throws
(a --bin, --core or --client; the workbook's piece search, replay and
explore run, such as a stub not written yet): the module, the option or
default that chose it, the error and the line it came from are printed; 4 an
--out that cannot be written (checked before the run) or outputs lost after
it, a trace file that cannot be read.
`;

/**
 * A failure deep in a run that names a command-line option (`--bin: cannot
 * start ...`), or an error thrown by code under test that the command did
 * not attribute itself (module-error.ts): the command line's module is at
 * fault, not kv-sim. Exit 2, without the pointer to --help: the command
 * line is right, the code it names is not.
 */
function asCodeUnderTestError(e: unknown): unknown {
  if (e instanceof CliError || !(e instanceof Error)) return e;
  if ((e as { code?: unknown }).code === "E_SETUP" || /^--(bin|core|client): /.test(e.message)) return new CodeUnderTestError(e.message, { cause: e });
  return codeUnderTestThrew(e, []) ?? e;
}

const COMMANDS = ["run", "swarm", "search", "replay", "explore"];

export async function main(argv: string[], io: Io): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "run":
        return await runCommand(rest, io);
      case "swarm":
        return await swarmCommand(rest, io);
      case "search":
        return await searchCommand(rest, io);
      case "replay":
        return await replayCommand(rest, io);
      case "explore":
        return await exploreCommand(rest, io);
      case "swarm-worker":
        return await swarmWorkerCommand(rest, io);
      case undefined:
        throw new UsageError(`missing command: one of ${COMMANDS.join(", ")}`);
      case "help":
      case "--help":
      case "-h":
        io.stdout(HELP + "\n" + RUN_HELP + "\n" + SWARM_HELP + "\n" + SEARCH_HELP + "\n" + EXPLORE_HELP);
        return 0;
      default:
        throw unknownCommand(command, COMMANDS);
    }
  } catch (e) {
    throw asCodeUnderTestError(e);
  }
}
