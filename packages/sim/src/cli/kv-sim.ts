/**
 * kv-sim: run the cluster under a seeded fault schedule with retrying
 * clients, check the history, write the pictures; or a swarm of seeds.
 *
 *   kv-sim run --seed 7 --nodes 3 --time-limit-s 30 --rate 100 --concurrency 8 \
 *     --workload exactly-once --nemesis partition,kill,duplicate,lose-reply,pause --out out/seed-7
 *   kv-sim swarm --seeds 1000 --jobs 2
 *
 * Exit codes (Maelstrom's): 0 valid, 1 invalid, 2 unknown, 3 usage or set-up
 * error (nothing was run), 4 an error after the run (outputs not written) or a
 * bug (the stack is printed).
 */
import { runCommand, RUN_HELP } from "./run-command.js";
import { swarmCommand, swarmWorkerCommand, SWARM_HELP } from "./swarm-command.js";
import { UsageError } from "./args.js";

const HELP = `kv-sim: a seeded, fault-injecting harness for the key-value cluster

Usage:
  kv-sim run   [options]   one run: faults, heal, liveness, checkers, outputs
  kv-sim swarm [options]   many in-process seeds; failing seeds with their replay commands
  kv-sim <command> --help  options of a command

Exit codes: 0 valid, 1 invalid, 2 unknown (a checker ran out of budget), 3 usage or
set-up error (a --bin that cannot start, an --out that cannot be written; nothing was
run), 4 the outputs could not be written after a valid run, or a bug (stack printed).
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "run":
      return runCommand(rest);
    case "swarm":
      return swarmCommand(rest);
    case "swarm-worker":
      return swarmWorkerCommand(rest);
    case undefined:
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(HELP + "\n" + RUN_HELP + "\n" + SWARM_HELP);
      return command === undefined ? 3 : 0;
    default:
      throw new UsageError(`unknown command "${command}": expected run or swarm (see kv-sim --help)`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    // Usage and set-up errors (a --bin that cannot start, an --out that cannot be written): one line, no stack.
    if (e instanceof Error && (e instanceof UsageError || (e as { code?: unknown }).code === "E_SETUP" || e.message.startsWith("--"))) {
      process.stderr.write(`kv-sim: ${e.message}\n`);
      process.exitCode = 3;
    } else {
      process.stderr.write(`kv-sim: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 4;
    }
  },
);
