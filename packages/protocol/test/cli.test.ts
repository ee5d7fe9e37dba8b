/**
 * The shared command-line module: strict parsing with a suggestion for a
 * mistyped option, one line per expected failure, exit 70 and the stack for
 * anything else, --version answered for every command.
 */
import { describe, expect, test } from "vitest";
import { CliError, editDistance, EXIT, exitCodeHelp, EXIT_CODE_TABLE, InputError, intOption, nearest, parseOptions, runMain, UsageError, type Io } from "../src/cli/index.js";

function memoryIo() {
  const out: string[] = [];
  const err: string[] = [];
  let code: number | undefined;
  const io: Io = { stdout: (s) => void out.push(s), stderr: (s) => void err.push(s), exit: (c) => void (code = c) };
  return { io, out, err, code: () => code };
}

describe("parseOptions", () => {
  const options = { seed: { type: "string" }, nodes: { type: "string" }, json: { type: "boolean" } } as const;

  test("a mistyped option is a usage error naming the nearest known option", () => {
    expect(() => parseOptions(["--sed", "7"], options)).toThrow("unknown option --sed (did you mean --seed?)");
    expect(() => parseOptions(["--josn"], options)).toThrow("unknown option --josn (did you mean --json?)");
  });

  test("a word with one dash that is no option is named whole, with how to pass it as an argument", () => {
    const withShort = { help: { type: "boolean", short: "h" }, json: { type: "boolean" } } as const;
    // parseArgs reads -hello as -h -e -l -l -o, and refuses -e.
    expect(() => parseOptions(["put", "k", "-hello"], withShort)).toThrow(/^unknown option -hello \(did you mean --help\? to pass it as an argument, put -- before it: -- -hello\)$/);
    expect(() => parseOptions(["put", "k", "-world"], withShort)).toThrow(/^unknown option -world \(to pass it as an argument, put -- before it: -- -world\)$/);
    expect(() => parseOptions(["put", "k", "-x"], withShort)).toThrow(/^unknown option -x \(to pass it as an argument, put -- before it: -- -x\)$/);
    expect(parseOptions(["put", "k", "--", "-hello"], withShort).positionals).toEqual(["put", "k", "-hello"]);
    expect(() => parseOptions(["-x"], withShort, { positionals: false })).toThrow(/^unknown option -x$/);
  });

  test("an option far from every known one gets no suggestion", () => {
    expect(() => parseOptions(["--frobnicate"], options)).toThrow(/^unknown option --frobnicate$/);
  });

  test("a missing value names the option", () => {
    expect(() => parseOptions(["--seed"], options)).toThrow("--seed: needs a value");
  });

  test("a negative number after a string option is its value, for the command's own check to refuse by name", () => {
    expect(parseOptions(["--nodes", "-1"], options).values.nodes).toBe("-1");
    expect(parseOptions(["--seed", "-0.5", "--json"], options).values).toEqual({ seed: "-0.5", json: true });
    expect(() => intOption(parseOptions(["--nodes", "-1"], options).values.nodes, "nodes", { min: 1 })).toThrow('--nodes: expected an integer >= 1, got "-1"');
  });

  test("a negative number elsewhere is an argument, and after -- everything is", () => {
    expect(parseOptions(["incr", "k", "-1"], options).positionals).toEqual(["incr", "k", "-1"]);
    expect(parseOptions(["--json", "-.5", "--", "-2", "--seed"], options)).toEqual({ values: { json: true }, positionals: ["-.5", "-2", "--seed"] });
    expect(() => parseOptions(["-1"], options, { positionals: false })).toThrow('unexpected argument "-1"');
  });

  test("an option with a short form is named by its long name when it takes no value, or lacks one", () => {
    const withShort = { verbose: { type: "boolean", short: "v" }, out: { type: "string", short: "o" } } as const;
    expect(() => parseOptions(["--verbose=1"], withShort)).toThrow(/^--verbose: takes no value$/);
    expect(() => parseOptions(["-o"], withShort)).toThrow(/^--out: needs a value$/);
    expect(() => parseOptions(["--out"], withShort)).toThrow(/^--out: needs a value$/);
    expect(() => parseOptions(["-o", "-x"], withShort)).toThrow(/^--out: needs a value; one that starts with a dash is written --out=-VALUE$/);
  });

  test("a value that looks like an option and is not a number (--seed -x) is one line saying how to write it", () => {
    expect(() => parseOptions(["--seed", "-x"], options)).toThrow(/^--seed: needs a value; one that starts with a dash is written --seed=-VALUE$/);
  });

  test("an option that takes one value, given twice, is a usage error naming it and both values; a repeatable one collects them", () => {
    expect(() => parseOptions(["--seed", "a", "--json", "--seed=b"], options)).toThrow(/^--seed: given twice \("a", then "b"\); give it once$/);
    expect(() => parseOptions(["--nodes", "-1", "--nodes", "-1"], options)).toThrow(/^--nodes: given twice \("-1", then "-1"\); give it once$/);
    const withShort = { out: { type: "string", short: "o" }, lesson: { type: "string", multiple: true }, verbose: { type: "boolean", short: "v" } } as const;
    expect(() => parseOptions(["-o", "x", "--out", "y"], withShort)).toThrow(/^--out: given twice \("x", then "y"\); give it once$/);
    expect(parseOptions(["--lesson", "a", "--lesson", "b", "-v", "-v"], withShort).values).toEqual({ lesson: ["a", "b"], verbose: true });
    // After --, it is an argument.
    expect(parseOptions(["--seed", "a", "--", "--seed", "b"], options).values.seed).toBe("a");
  });

  test("every parse failure is a UsageError (exit 2)", () => {
    try {
      parseOptions(["--nope"], options);
    } catch (e) {
      expect(e).toBeInstanceOf(UsageError);
      expect((e as CliError).exitCode).toBe(2);
    }
  });
});

describe("intOption", () => {
  test("names the option, the range and what was given", () => {
    expect(intOption("3", "nodes", { min: 1 })).toBe(3);
    expect(intOption(undefined, "nodes", { min: 1 })).toBeUndefined();
    expect(() => intOption("x", "nodes", { min: 1 })).toThrow('--nodes: expected an integer >= 1, got "x"');
    expect(() => intOption("70000", "port", { min: 1, max: 65535 })).toThrow('--port: expected an integer from 1 to 65535, got "70000"');
  });
});

describe("editDistance and nearest", () => {
  test("count a swap of neighbours as one edit", () => {
    expect(editDistance("josn", "json")).toBe(1);
    expect(editDistance("sed", "seed")).toBe(1);
    expect(editDistance("", "abc")).toBe(3);
  });

  test("suggest only a candidate near enough for the word's length", () => {
    expect(nearest("rn", ["run", "swarm"])).toBe("run");
    expect(nearest("xyz", ["run", "swarm"])).toBeUndefined();
  });
});

describe("runMain", () => {
  const spec = { name: "demo", version: "1.2.3" };

  test("answers --version with the command's name and version", async () => {
    const m = memoryIo();
    await runMain(spec, async () => 9, ["run", "--version"], m.io);
    expect(m.out.join("")).toBe("demo 1.2.3\n");
    expect(m.code()).toBe(0);
  });

  test("reports a usage error in one line starting with the command's name, exit 2", async () => {
    const m = memoryIo();
    await runMain(spec, async () => { throw new UsageError("--nodes: expected an integer >= 1, got \"x\""); }, [], m.io);
    expect(m.err.join("")).toBe('demo: --nodes: expected an integer >= 1, got "x"\nRun `demo --help` for usage.\n');
    expect(m.code()).toBe(2);
  });

  test("reports an input error without a stack, exit 4", async () => {
    const m = memoryIo();
    await runMain(spec, async () => { throw new InputError("cannot read h.edn: no such file"); }, [], m.io);
    expect(m.err.join("")).toBe("demo: cannot read h.edn: no such file\n");
    expect(m.code()).toBe(4);
  });

  test("reports anything else as a bug with its stack, exit 70", async () => {
    const m = memoryIo();
    await runMain(spec, async () => { throw new RangeError("broken invariant"); }, [], m.io);
    expect(m.err.join("")).toMatch(/^demo: internal error \(a bug[^\n]*\nRangeError: broken invariant\n\s+at /);
    expect(m.code()).toBe(EXIT.internal);
  });

  test("passes the main's own exit code through", async () => {
    const m = memoryIo();
    await runMain(spec, async () => EXIT.unknown, [], m.io);
    expect(m.code()).toBe(3);
  });
});

describe("the exit-code table", () => {
  test("has one row per code, in order, and the help text lists every row", () => {
    expect(EXIT_CODE_TABLE.map((r) => r.code)).toEqual([0, 1, 2, 3, 4, 70]);
    const help = exitCodeHelp();
    for (const r of EXIT_CODE_TABLE) expect(help).toMatch(new RegExp(`^ +${r.code}  ${r.meaning.split(" ")[0]}`, "m"));
  });
});
