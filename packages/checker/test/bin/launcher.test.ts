/**
 * The launchers (scripts/bins/launch.js) and their builder
 * (scripts/bins/build.js), on a small repository in a temp dir that uses
 * them the way dslab's commands do: a workspace with a `bin` whose launcher
 * names a TypeScript entry. Everything runs as real child processes. The
 * fixture command prints the file V8 is running (the raw call site, before
 * any source map), the text of an imported module, and its own
 * `import.meta.url`, so each test sees which code ran.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeEach, describe, expect, it } from "vitest";

const SCRIPTS = fileURLToPath(new URL("../../../../scripts/bins/", import.meta.url));
const BUILDER = join(SCRIPTS, "build.js");
/** Each command, and whether it is built into a bundle (kv-sim's runs for the command lines that name no module to import). */
const REPO_BINS = { grader: true, "history-check": true, kv: true, "kv-cluster": true, "kv-node": true, "kv-sim": true };

const tmp = mkdtempSync(join(tmpdir(), "dslab-launcher-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const ENTRY = `import { greeting } from "../greeting.js";

function runningFile(): string {
  const saved = Error.prepareStackTrace;
  Error.prepareStackTrace = (_e, frames) => frames;
  const frames = new Error().stack as unknown as NodeJS.CallSite[];
  Error.prepareStackTrace = saved;
  return frames[0]?.getFileName() ?? "";
}

if (process.argv[2] === "throw") throw new Error("thrown on line 11");
process.stdout.write(JSON.stringify({ greeting: greeting(), file: runningFile(), url: import.meta.url }) + "\\n");
`;
const THROW_LINE = 11;

let repo = "";
let n = 0;
const pkg = () => join(repo, "pkg");
const launcher = () => join(pkg(), "bin", "hello.js");
const entry = () => join(pkg(), "src", "cli", "hello.ts");
const greetingFile = () => join(pkg(), "src", "greeting.ts");
const bundle = () => join(pkg(), "dist", "bin", "hello", "hello.js");
const manifest = () => join(pkg(), "dist", "bin", "hello.inputs.json");

function writeGreeting(text: string): void {
  writeFileSync(greetingFile(), `export function greeting(): string {\n  return ${JSON.stringify(text)};\n}\n`);
}

beforeEach(() => {
  repo = join(tmp, `repo-${n++}`);
  mkdirSync(join(pkg(), "bin"), { recursive: true });
  mkdirSync(join(pkg(), "src", "cli"), { recursive: true });
  writeFileSync(join(repo, "package.json"), JSON.stringify({ name: "fixture-root", private: true, type: "module", workspaces: ["pkg"] }));
  writeFileSync(join(pkg(), "package.json"), JSON.stringify({ name: "@fixture/pkg", type: "module", bin: { hello: "./bin/hello.js" } }));
  writeFileSync(
    launcher(),
    `#!/usr/bin/env node\nimport { launch } from ${JSON.stringify(pathToFileURL(join(SCRIPTS, "launch.js")).href)};\n\nawait launch(import.meta.url, "../src/cli/hello.ts");\n`,
  );
  writeFileSync(entry(), ENTRY);
  writeGreeting("hello");
});

function build(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [BUILDER, "--root", repo, ...args], { encoding: "utf8", timeout: 60_000 });
}

function run(...args: string[]): { status: number | null; stdout: string; stderr: string; out: { greeting: string; file: string; url: string } | undefined } {
  const r = spawnSync(process.execPath, [launcher(), ...args], { encoding: "utf8", timeout: 60_000, env: { ...process.env, DSLAB_RUN_SOURCES: "" } });
  const line = r.stdout.trim();
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, out: line === "" ? undefined : JSON.parse(line) };
}

function builtOk(): void {
  const b = build();
  expect(b.stderr).toBe("");
  expect(b.status).toBe(0);
  expect(b.stdout).toMatch(/^build-bins: hello: pkg\/dist\/bin\/hello\/hello\.js \(\d+ inputs, /);
}

describe("a command's launcher", () => {
  it("runs the compiled bundle when it was built from exactly the files now on disk", () => {
    builtOk();
    const r = run();
    expect(r.status).toBe(0);
    expect(r.out).toEqual({ greeting: "hello", file: pathToFileURL(bundle()).href, url: pathToFileURL(entry()).href });
  });

  it("runs the sources when there is no bundle yet", () => {
    const r = run();
    expect(r.status).toBe(0);
    expect(r.out).toEqual({ greeting: "hello", file: pathToFileURL(entry()).href, url: pathToFileURL(entry()).href });
  });

  it("runs the sources, as edited, when a source changed after the build", () => {
    builtOk();
    writeGreeting("edited after the build");
    const r = run();
    expect(r.out).toEqual({ greeting: "edited after the build", file: pathToFileURL(entry()).href, url: pathToFileURL(entry()).href });
  });

  it("runs the sources when a source is replaced by one of the same size dated before the build", () => {
    builtOk();
    const before = statSync(greetingFile());
    writeGreeting("HELLO");
    const anHourEarlier = new Date(before.mtimeMs - 3_600_000);
    utimesSync(greetingFile(), anHourEarlier, anHourEarlier);
    expect(statSync(greetingFile()).size).toBe(before.size);
    expect(run().out).toMatchObject({ greeting: "HELLO", file: pathToFileURL(entry()).href });
  });

  it("runs the sources when the bundle or its manifest is gone, and the bundle again once rebuilt", () => {
    builtOk();
    rmSync(bundle());
    expect(run().out?.file).toBe(pathToFileURL(entry()).href);
    builtOk();
    expect(run().out?.file).toBe(pathToFileURL(bundle()).href);
    rmSync(manifest());
    expect(run().out?.file).toBe(pathToFileURL(entry()).href);
  });

  it("runs the sources when the bundle itself was altered after the build", () => {
    builtOk();
    writeFileSync(bundle(), readFileSync(bundle(), "utf8").replace("hello", "HELLO"));
    expect(run().out).toMatchObject({ greeting: "hello", file: pathToFileURL(entry()).href });
  });

  it("splits a part imported on demand into a chunk, and runs the sources when a chunk was altered after the build", () => {
    writeFileSync(entry(), ENTRY.replace(`import { greeting } from "../greeting.js";`, `const { greeting } = await import("../greeting.js");`));
    builtOk();
    expect(run().out).toMatchObject({ greeting: "hello", file: pathToFileURL(bundle()).href });
    const chunks = readdirSync(dirname(bundle())).filter((f) => /^chunk-.*\.js$/.test(f));
    expect(chunks.length).toBeGreaterThan(0);
    expect(readFileSync(bundle(), "utf8")).not.toContain(`"hello"`);
    const chunk = join(dirname(bundle()), chunks[0]!);
    writeFileSync(chunk, readFileSync(chunk, "utf8").replace(`"hello"`, `"HELLO"`));
    expect(run().out).toMatchObject({ greeting: "hello", file: pathToFileURL(entry()).href });
  });

  it("runs the sources when DSLAB_RUN_SOURCES=1, even with a fresh bundle", () => {
    builtOk();
    const r = spawnSync(process.execPath, [launcher()], { encoding: "utf8", timeout: 60_000, env: { ...process.env, DSLAB_RUN_SOURCES: "1" } });
    expect(JSON.parse(r.stdout).file).toBe(pathToFileURL(entry()).href);
  });

  it("always runs the sources of a command whose launcher says compiled: false, which the builder then skips", () => {
    writeFileSync(launcher(), readFileSync(launcher(), "utf8").replace(`"../src/cli/hello.ts")`, `"../src/cli/hello.ts", { compiled: false })`));
    const b = build();
    expect(b.status).toBe(0);
    expect(b.stdout).toBe("");
    expect(build("hello").stdout).toBe("build-bins: hello: runs from its sources (its launcher says compiled: false)\n");
    expect(run().out?.file).toBe(pathToFileURL(entry()).href);
  });

  describe("with a sourcesFor predicate: the bundle unless the command line names a module to import", () => {
    /** The fixture's predicate: `--module FILE` names a module. With `fork`, the command also starts itself (`child`) and another command (`other`), and prints what each ran. */
    const PREDICATE_LAUNCHER = (launchJs: string) => `#!/usr/bin/env node
import { launch } from ${JSON.stringify(launchJs)};

function namesModule(argv) {
  return argv.includes("--module");
}

await launch(import.meta.url, "../src/cli/hello.ts", { sourcesFor: namesModule });
`;
    const otherLauncher = () => join(pkg(), "bin", "other.js");
    const otherEntry = () => join(pkg(), "src", "cli", "other.ts");
    const FORKING_ENTRY = ENTRY.replace(
      `process.stdout.write(`,
      `import { execFileSync } from "node:child_process";
const children = process.argv.includes("fork")
  ? [process.argv[1]!, process.argv[1]!.replace(/hello\.js$/, "other.js")].map((bin) => JSON.parse(execFileSync(process.execPath, [bin, "child"], { encoding: "utf8" }).trim().split(String.fromCharCode(10)).at(-1)!).file)
  : [];
process.stdout.write(JSON.stringify(children) + "\\n");
process.stdout.write(`,
    );

    beforeEach(() => {
      writeFileSync(launcher(), PREDICATE_LAUNCHER(pathToFileURL(join(SCRIPTS, "launch.js")).href));
      writeFileSync(join(pkg(), "package.json"), JSON.stringify({ name: "@fixture/pkg", type: "module", bin: { hello: "./bin/hello.js", other: "./bin/other.js" } }));
      writeFileSync(otherLauncher(), readFileSync(launcher(), "utf8").replace("hello.ts", "other.ts"));
      writeFileSync(otherEntry(), ENTRY);
    });

    /** The command's lines: the files its children ran (when it forks), then its own output. */
    function runForking(...args: string[]): { children: string[]; file: string } {
      const r = spawnSync(process.execPath, [launcher(), ...args], { encoding: "utf8", timeout: 60_000, env: { ...process.env, DSLAB_RUN_SOURCES: "", DSLAB_SOURCES_OF: "" } });
      expect(r.stderr).toBe("");
      const [children, own] = r.stdout.trim().split("\n");
      return { children: JSON.parse(children!), file: JSON.parse(own!).file };
    }

    it("is built like a launcher without options", () => {
      const b = build();
      expect(b.stderr).toBe("");
      expect(b.status).toBe(0);
      expect(b.stdout).toMatch(/^build-bins: hello: pkg\/dist\/bin\/hello\/hello\.js \(\d+ inputs, /m);
      expect(statSync(bundle()).isFile()).toBe(true);
    });

    it("runs the fresh bundle for a command line the predicate says names no module, and the sources for one it says does", () => {
      builtOk();
      expect(run().out).toEqual({ greeting: "hello", file: pathToFileURL(bundle()).href, url: pathToFileURL(entry()).href });
      expect(run("--module", "x.ts").out).toEqual({ greeting: "hello", file: pathToFileURL(entry()).href, url: pathToFileURL(entry()).href });
      // The bundle is still fresh: the command line alone chose the sources.
      expect(run().out?.file).toBe(pathToFileURL(bundle()).href);
    });

    it("runs the sources as they now read for a command line that names a module, with the bundle left as built", () => {
      builtOk();
      const built = readFileSync(bundle(), "utf8");
      writeGreeting("edited after the build");
      expect(run("--module", "x.ts").out).toMatchObject({ greeting: "edited after the build", file: pathToFileURL(entry()).href });
      expect(readFileSync(bundle(), "utf8")).toBe(built);
    });

    it("runs the sources in the copies of the command its sources-run starts, whose own command lines name no module; other commands keep their bundles", () => {
      writeFileSync(entry(), FORKING_ENTRY);
      builtOk();
      expect(runForking("fork")).toEqual({ children: [pathToFileURL(bundle()).href, pathToFileURL(join(pkg(), "dist", "bin", "other", "other.js")).href], file: pathToFileURL(bundle()).href });
      expect(runForking("fork", "--module", "x.ts")).toEqual({ children: [pathToFileURL(entry()).href, pathToFileURL(join(pkg(), "dist", "bin", "other", "other.js")).href], file: pathToFileURL(entry()).href });
    });
  });

  it("prints a stack trace from the bundle with the TypeScript file and line", () => {
    builtOk();
    expect(run().out?.file).toBe(pathToFileURL(bundle()).href);
    const r = run("throw");
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`thrown on line ${THROW_LINE}`);
    expect(r.stderr).toContain(`${entry()}:${THROW_LINE}:`);
  });
});

describe("the bundle builder", () => {
  it("reports a command that does not compile with its file and line, and leaves it to run from its sources", () => {
    builtOk();
    writeFileSync(greetingFile(), "export function greeting(): string {\n  return (;\n}\n");
    const strict = build();
    expect(strict.status).toBe(1);
    expect(strict.stderr).toContain(`build-bins: hello not compiled, it runs from its TypeScript sources through tsx: ${relative(process.cwd(), greetingFile())}:2:11: Unexpected ";"`);
    const lenient = build("--warn-only");
    expect(lenient.status).toBe(0);
    expect(lenient.stderr).toContain("build-bins: hello not compiled");
    writeGreeting("fixed");
    expect(run().out).toMatchObject({ greeting: "fixed", file: pathToFileURL(entry()).href });
  });

  it("refuses a module that uses import.meta other than as import.meta.url, saying where", () => {
    writeFileSync(greetingFile(), `export function greeting(): string {\n  return import.meta.dirname;\n}\n`);
    const r = build();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${relative(process.cwd(), greetingFile())}:2:1: import.meta is used other than as import.meta.url, which the bundle cannot keep`);
  });

  it("refuses a launcher that does not name its TypeScript entry, saying which file", () => {
    writeFileSync(launcher(), "#!/usr/bin/env node\nconsole.log('hi');\n");
    const r = build();
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`build-bins: ${launcher()}: no launch(import.meta.url, "<entry>.ts") call naming the command's TypeScript entry (its options, if any: { compiled: false } or { sourcesFor: NAME })\n`);
  });

  it("refuses a launcher whose launch options it cannot read (a predicate written inline rather than named), saying which file", () => {
    writeFileSync(launcher(), readFileSync(launcher(), "utf8").replace(`"../src/cli/hello.ts")`, `"../src/cli/hello.ts", { sourcesFor: (argv) => argv.length > 0 })`));
    const r = build();
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`build-bins: ${launcher()}: no launch(import.meta.url, "<entry>.ts") call naming the command's TypeScript entry (its options, if any: { compiled: false } or { sourcesFor: NAME })\n`);
  });

  it("finds every dslab command's launcher, its TypeScript entry and whether it runs a bundle", async () => {
    const { findBins } = (await import(pathToFileURL(BUILDER).href)) as { findBins: () => Array<{ name: string; launcher: string; source: string; compiled: boolean }> };
    const bins = findBins();
    expect(Object.fromEntries(bins.map((b) => [b.name, b.compiled]))).toEqual(REPO_BINS);
    for (const b of bins) expect(statSync(b.source).isFile(), b.source).toBe(true);
  });
});

describe("the launchers' shell prologue", () => {
  const REPO = fileURLToPath(new URL("../../../../", import.meta.url));
  const PACKAGE_OF: Record<keyof typeof REPO_BINS, string> = { grader: "grader", "history-check": "packages/checker", kv: "packages/client", "kv-cluster": "packages/cluster", "kv-node": "packages/cluster", "kv-sim": "packages/sim" };
  const launchers = Object.entries(PACKAGE_OF).map(([name, dir]) => join(REPO, dir, "bin", `${name}.js`));

  it("starts every command without Node reading the certificates NODE_EXTRA_CA_CERTS names", () => {
    // Node warns on stderr when it cannot read the file the variable names: a
    // command started through the prologue never tries.
    for (const file of launchers) {
      const r = spawnSync(file, ["--version"], { encoding: "utf8", timeout: 60_000, env: { ...process.env, NODE_EXTRA_CA_CERTS: join(tmp, "no-such-bundle.pem") } });
      expect(r.stderr, file).toBe("");
      expect(r.status, file).toBe(0);
    }
    const plain = spawnSync(process.execPath, ["-e", "0"], { encoding: "utf8", env: { ...process.env, NODE_EXTRA_CA_CERTS: join(tmp, "no-such-bundle.pem") } });
    expect(plain.stderr).toContain("no-such-bundle.pem");
  });

  it("hands the command's own children the NODE_EXTRA_CA_CERTS the user set, and no trace of the prologue", () => {
    const source = "process.stdout.write(JSON.stringify([process.env.NODE_EXTRA_CA_CERTS ?? null, process.env.DSLAB_EXTRA_CA_CERTS ?? null]));\n";
    writeFileSync(entry(), source);
    const prologue = readFileSync(join(REPO, "packages/client/bin/kv.js"), "utf8").split("\n").slice(0, 2).join("\n");
    writeFileSync(launcher(), `${prologue}\nimport { launch } from ${JSON.stringify(pathToFileURL(join(SCRIPTS, "launch.js")).href)};\n\nawait launch(import.meta.url, "../src/cli/hello.ts");\n`);
    chmodSync(launcher(), 0o755);
    const withCerts = spawnSync(launcher(), [], { encoding: "utf8", timeout: 60_000, env: { ...process.env, NODE_EXTRA_CA_CERTS: "/etc/ssl/certs/ca-certificates.crt" } });
    expect(withCerts.stderr).toBe("");
    expect(JSON.parse(withCerts.stdout)).toEqual(["/etc/ssl/certs/ca-certificates.crt", null]);
    const env = { ...process.env };
    delete env.NODE_EXTRA_CA_CERTS;
    const without = spawnSync(launcher(), [], { encoding: "utf8", timeout: 60_000, env });
    expect(JSON.parse(without.stdout)).toEqual([null, null]);
  });
});
