/**
 * `runSandboxed`: one untrusted command, run with limits on wall time, CPU
 * time, memory, output and processes, in a directory of its own, as an
 * unprivileged user when the grader is root. Whatever the command does (loop,
 * fork, allocate, print, crash, daemonize), the call resolves with a result
 * that says how it ended; it rejects only when the sandbox itself cannot be
 * set up (a `SandboxError`, code `SANDBOX_SETUP`).
 *
 * How a run is built (each layer only where detect.ts found it works):
 *
 *     sh -c 'join the cgroups; exec "$@"'      root, in a new session and process group
 *       exec unshare --net --mount sh -c ...    loopback only; private root-only /tmp, /var/tmp, /dev/shm
 *       exec prlimit --core=0 --cpu=S:S+1 ...  rlimits set on itself, inherited by all below
 *         exec setpriv --reuid=65534 ...       drops to the sandbox user, no new privileges
 *           exec COMMAND ARGS                  the submission
 *
 * One pid all the way down, so the process group, the cgroups and the rlimits
 * are in place before the first instruction of the submission runs. A
 * watchdog samples the tree every `pollMs` (cgroup files, else `/proc`), and
 * the first limit crossed is the one reported. At a limit, and again when the
 * main process ends, the whole tree is killed: the process group, every
 * process in the run's cgroups (frozen first, so a fork loop cannot outrun
 * the kill), and every process found in `/proc` below the main one or
 * carrying the run's marker variable (a double-forked daemon in its own
 * session). The call returns only once none of them is alive.
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { basename, resolve } from "node:path";
import { RunCgroup, sleep } from "./cgroup.js";
import { DEFAULT_SANDBOX_GID, DEFAULT_SANDBOX_UID, describeMechanisms, detectCapabilities, type SandboxCapabilities } from "./detect.js";
import { countUserTasks, findRunProcesses, readStat, type ProcStat } from "./proc.js";

export type SandboxLimit = "wall" | "cpu" | "memory" | "output" | "processes";

export interface SandboxLimits {
  wallMs: number;
  /** CPU time of the whole tree, exited processes included. */
  cpuMs: number;
  /** Memory of the whole tree (resident; the cgroup also charges page cache and reclaims it first). */
  memoryBytes: number;
  /** stdout and stderr together; past it the run is killed and the text ends with a truncation marker. */
  outputBytes: number;
  /** Tasks alive at once, threads included, as the kernel counts them for pids.max and RLIMIT_NPROC: a Node process takes about 10, a shell or Python 1. */
  processes: number;
  /** Largest file the run may write (RLIMIT_FSIZE, where prlimit exists); default 256 MiB. */
  fileBytes?: number;
}

export interface SandboxOptions {
  command: string;
  args?: readonly string[];
  /** Where the command runs; it must be reachable by the sandbox user (see layout.ts). */
  cwd: string;
  /** The command's whole environment besides PATH, LANG, HOME and TMPDIR defaults: the grader's own is not passed on. */
  env?: Readonly<Record<string, string>>;
  stdin?: string | Buffer;
  limits: SandboxLimits;
  /**
   * The user the command runs as when the grader is root (default 65534,
   * nobody). Without a pids cgroup, RLIMIT_NPROC counts every process of that
   * uid on the machine: runs in parallel then each need a uid of their own.
   */
  uid?: number;
  gid?: number;
  /**
   * Turn a mechanism off (to run on what a poorer machine has, or to test the
   * fallbacks); `netns: false` leaves the run on the machine's network,
   * `mountns: false` on the machine's /tmp.
   */
  use?: { cgroup?: boolean; prlimit?: boolean; setpriv?: boolean; netns?: boolean; mountns?: boolean };
  /**
   * A directory the command needs besides `cwd` (the grader's checkout, whose
   * runner and packages it loads): when it lies under one of the directories
   * the run gets private mounts over (/tmp, ...), it is bound back at its own
   * path, as `cwd` is, instead of vanishing under the cover.
   */
  keepVisible?: string;
  /** Watchdog period (default 50 ms). */
  pollMs?: number;
}

export interface SandboxResult {
  status: "ok" | "exit" | "signal" | "limit";
  limit?: SandboxLimit;
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** The output limit was reached and the text was cut (the cut stream ends with `TRUNCATION_MARKER`). */
  outputTruncated: boolean;
  cpuMs: number;
  /** The largest sum of the tree's resident set sizes seen by the watchdog (a page shared by two processes counts twice). */
  maxRssBytes: number;
  wallMs: number;
  /** Processes still alive when the main one ended, killed then (a daemon, a background job). */
  leftoverProcesses: number;
  /** The uid the command ran as. */
  uid: number;
  /** Which mechanism held each limit in this run. */
  mechanisms: ReturnType<typeof describeMechanisms>;
}

/** Appended to the stream that crossed the output limit. */
export const TRUNCATION_MARKER = "\n[dslab sandbox: output truncated at the output limit]\n";
/** The environment variable that marks every process of a run, so one that left the tree is still found. */
export const MARKER_VARIABLE = "DSLAB_SANDBOX_RUN";

export class SandboxError extends Error {
  override readonly name = "SandboxError";
  readonly code = "SANDBOX_SETUP";
}

const DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin";
/**
 * The set-up stages report a failure on fd 3, a pipe only the grader reads;
 * the last stage closes it before the submission starts, so a submission
 * cannot pass its own failure off as the sandbox's.
 */
const SETUP_FD = 3;
/**
 * Runs as root inside the run's new namespaces, then execs the rest. Network
 * (`$1` is the path of `ip`, or `-`): loopback up. Mounts (`$2` is 1): the
 * world-writable directories get private tmpfs mounts that only root may
 * write, and the run's directory (`$3`) and the directory to keep visible
 * (`$4`, may be empty), when one lay under them, are bound back at the same
 * path, each from a descriptor opened before the cover
 * (`--no-canonicalize`, so the kernel follows `/proc/self/fd/9` to the
 * covered directory itself, not to its path).
 */
const PRIVATE_DIRS = ["/tmp", "/var/tmp", "/dev/shm", "/run/lock"];
const NAMESPACE_STAGE = [
  "net=$1; tmp=$2; cwd=$3; keep=$4; shift 4",
  `fail() { echo "$1" >&${3}; exit 125; }`,
  `if [ "$net" != - ]; then "$net" link set lo up 2>&3 || fail "cannot bring up loopback in the run's network namespace"; fi`,
  'if [ "$tmp" = 1 ]; then',
  '  exec 9<"$cwd" || fail "cannot open $cwd"',
  '  if [ -n "$keep" ]; then exec 8<"$keep" || fail "cannot open $keep"; fi',
  `  for d in ${PRIVATE_DIRS.join(" ")}; do [ -d "$d" ] || continue; mount -t tmpfs -o size=64k,mode=0755,nosuid,nodev tmpfs "$d" 2>&3 || fail "cannot mount a private $d"; done`,
  `  case "$cwd/" in ${PRIVATE_DIRS.map((d) => `${d}/*`).join("|")}) { mkdir -p "$cwd" && mount --no-canonicalize --bind /proc/self/fd/9 "$cwd"; } 2>&3 || fail "cannot bind $cwd back under the private directories";; esac`,
  `  if [ -n "$keep" ]; then case "$keep/" in ${PRIVATE_DIRS.map((d) => `${d}/*`).join("|")}) { mkdir -p "$keep" && mount --no-canonicalize --bind /proc/self/fd/8 "$keep"; } 2>&3 || fail "cannot bind $keep back under the private directories";; esac; exec 8<&-; fi`,
  "  exec 9<&-",
  '  cd "$cwd" || fail "cannot enter $cwd"',
  "fi",
  'exec "$@" 3>&-',
].join("\n");
function joinCgroups(last: boolean): string {
  return `while [ "$1" != -- ]; do echo $$ 2>&${SETUP_FD} > "$1" || { echo "cannot join the cgroup $1" >&${SETUP_FD}; exit 125; }; shift; done; shift; exec "$@"${last ? ` ${SETUP_FD}>&-` : ""}`;
}

function isNode(command: string): boolean {
  const name = basename(command);
  return command === process.execPath || name === "node" || name === "nodejs";
}

export async function runSandboxed(options: SandboxOptions): Promise<SandboxResult> {
  validate(options);
  const { limits } = options;
  const caps = detectCapabilities();
  const used: SandboxCapabilities = {
    ...caps,
    cgroups: options.use?.cgroup === false ? undefined : caps.cgroups,
    prlimit: options.use?.prlimit === false ? undefined : caps.prlimit,
    setpriv: options.use?.setpriv === false ? undefined : caps.setpriv,
    netns: options.use?.netns === false ? undefined : caps.netns,
    mountns: options.use?.mountns === false ? false : caps.mountns,
  };
  const cwd = resolve(options.cwd);
  const uid = used.setpriv ? (options.uid ?? DEFAULT_SANDBOX_UID) : (process.getuid?.() ?? -1);
  const gid = used.setpriv ? (options.gid ?? DEFAULT_SANDBOX_GID) : (process.getgid?.() ?? -1);
  const cg = used.cgroups ? RunCgroup.create(used.cgroups, limits) : undefined;
  const effective: SandboxCapabilities = { ...used, cgroups: cg && used.cgroups ? { version: used.cgroups.version, parents: cg.dirs } : undefined };
  const node = isNode(options.command);
  // RLIMIT_NPROC counts every process of the uid and is ignored for root: only as the sandbox user, only without pids.max.
  const nproc = used.prlimit !== undefined && used.setpriv !== undefined && !cg?.dirs.pids;
  // Under RLIMIT_NPROC a run at `processes` tasks cannot grow, and a fork loop there exits at once on the refused
  // fork before a sample can see more: reaching the limit is the limit. Elsewhere the watchdog kills above it.
  const tasksCeiling = nproc ? limits.processes : limits.processes + 1;

  const argv: string[] = [];
  const procsFiles = cg?.procsFiles() ?? [];
  const namespaces = [...(used.netns ? ["--net"] : []), ...(used.mountns ? ["--mount"] : [])];
  if (procsFiles.length > 0) argv.push("/bin/sh", "-c", joinCgroups(namespaces.length === 0), "dslab-sandbox", ...procsFiles, "--");
  if (namespaces.length > 0) argv.push("unshare", ...namespaces, "--", "/bin/sh", "-c", NAMESPACE_STAGE, "dslab-sandbox", used.netns ?? "-", used.mountns ? "1" : "0", cwd, options.keepVisible ?? "");
  const setupStages = procsFiles.length > 0 || namespaces.length > 0;
  if (used.prlimit) {
    const cpuS = Math.max(1, Math.ceil(limits.cpuMs / 1000));
    argv.push(used.prlimit, "--core=0", `--cpu=${cpuS}:${cpuS + 1}`, `--fsize=${limits.fileBytes ?? 256 * 2 ** 20}`);
    if (nproc) argv.push(`--nproc=${limits.processes}`);
    // Node reserves far more address space than it uses: RLIMIT_AS would stop it starting.
    if (!cg?.dirs.memory && !node) argv.push(`--as=${limits.memoryBytes}`);
    argv.push("--");
  }
  if (used.setpriv) argv.push(used.setpriv, `--reuid=${uid}`, `--regid=${gid}`, "--clear-groups", "--no-new-privs", "--");
  argv.push(options.command);
  if (node) argv.push(`--max-old-space-size=${Math.max(16, Math.floor(limits.memoryBytes / 2 ** 20))}`);
  argv.push(...(options.args ?? []));

  const marker = `${MARKER_VARIABLE}=${randomUUID()}`;
  const env: Record<string, string> = { PATH: DEFAULT_PATH, LANG: "C.UTF-8", HOME: cwd, TMPDIR: cwd, ...options.env };
  env[MARKER_VARIABLE] = marker.slice(MARKER_VARIABLE.length + 1);

  const started = Date.now();
  let limitHit: SandboxLimit | undefined;
  let maxRssBytes = 0;
  let cpuSeenMs = 0;
  const lastCpuMs = new Map<number, number>();
  const known = new Map<number, number>();

  const child = spawn(argv[0]!, argv.slice(1), { cwd, env, detached: true, stdio: setupStages ? ["pipe", "pipe", "pipe", "pipe"] : ["pipe", "pipe", "pipe"] });
  const spawnError = new Promise<Error>((resolve) => child.once("error", resolve));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  const rootPid = child.pid;

  // Output: both streams share one budget; bytes past it are dropped, so the grader's memory stays bounded.
  const chunks = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  let outputBytes = 0;
  let truncatedStream: "stdout" | "stderr" | undefined;
  const closed: Promise<void>[] = [];
  for (const name of ["stdout", "stderr"] as const) {
    const stream = child[name];
    closed.push(new Promise((resolve) => stream.once("close", resolve)));
    stream.on("error", () => {});
    stream.on("data", (chunk: Buffer) => {
      const room = limits.outputBytes - outputBytes;
      if (room > 0) chunks[name].push(chunk.length <= room ? chunk : chunk.subarray(0, room));
      outputBytes += chunk.length;
      if (outputBytes > limits.outputBytes && truncatedStream === undefined) {
        truncatedStream = name;
        hit("output");
      }
    });
  }
  let setupFailure = "";
  const setupPipe = child.stdio[SETUP_FD];
  if (setupPipe && "on" in setupPipe) {
    setupPipe.on("error", () => {});
    setupPipe.on("data", (chunk: Buffer) => {
      if (setupFailure.length < 4096) setupFailure += chunk.toString("utf8");
    });
    closed.push(new Promise((resolve) => setupPipe.once("close", resolve)));
  }
  child.stdin.on("error", () => {});
  child.stdin.end(options.stdin ?? "");

  const tree = (): ProcStat[] => {
    if (rootPid === undefined) return [];
    const pids = cg && Object.keys(cg.dirs).length > 0 ? cg.pids() : undefined;
    const stats = pids ? pids.map(readStat).filter((s): s is ProcStat => s !== undefined) : effective.proc ? findRunProcesses(rootPid, marker, known) : [];
    if (pids && !stats.some((s) => s.pid === rootPid)) {
      // Before the wrapper joins its cgroups the main process is outside them.
      const s = readStat(rootPid);
      if (s) stats.push(s);
    }
    return stats;
  };

  /** One look at the tree; `mainReaped`: the main process has just been reaped and counts as the one task it was at least. */
  const sample = (mainReaped = false): ProcStat[] => {
    const live = tree().filter((s) => s.state !== "Z" && s.state !== "X");
    let rss = 0;
    let tasks = mainReaped ? 1 : 0;
    for (const s of live) {
      rss += s.rssBytes;
      tasks += s.threads;
      known.set(s.pid, s.startTicks);
      lastCpuMs.set(s.pid, s.cpuMs);
    }
    // RLIMIT_NPROC is per uid: the kernel counts every task of the uid, zombies included, so the watchdog does too.
    if (nproc && effective.proc) tasks = Math.max(tasks, countUserTasks(uid) + (mainReaped ? 1 : 0));
    maxRssBytes = Math.max(maxRssBytes, rss);
    let cpu = 0;
    for (const ms of lastCpuMs.values()) cpu += ms;
    cpuSeenMs = Math.max(cpuSeenMs, cg?.cpuMs() ?? cpu);
    if (limitHit === undefined && !mainDone) {
      // The process count first: a fork loop's many small processes also add up to a large RSS sum.
      // Memory: the cgroup's anonymous memory where there is one (shared pages counted once), else the sum of RSS.
      if (tasks >= tasksCeiling || cg?.processLimitHit()) hit("processes");
      else if ((cg?.anonBytes() ?? rss) > limits.memoryBytes || cg?.oomKilled()) hit("memory");
      else if (cpuSeenMs > limits.cpuMs) hit("cpu");
    }
    return live;
  };

  let killing: Promise<number> | undefined;
  let mainDone = false;
  function hit(limit: SandboxLimit): void {
    if (limitHit !== undefined || mainDone) return;
    limitHit = limit;
    killing ??= killTree();
  }

  /** Kills every process of the run; resolves to how many were alive. */
  async function killTree(): Promise<number> {
    if (rootPid === undefined) return 0;
    const others = (zombies = false): number[] => {
      const dead = (state: string | undefined) => !zombies && (state === "Z" || state === "X");
      const live = (effective.proc ? findRunProcesses(rootPid, marker, known) : []).filter((s) => !dead(s.state)).map((s) => s.pid);
      const inCgroup = cg ? cg.pids().filter((p) => !dead(readStat(p)?.state)) : [];
      return [...new Set([...live, ...inCgroup])].filter((p) => p !== rootPid);
    };
    const alive = others().length;
    if (!mainDone) signal(rootPid);
    try {
      process.kill(-rootPid, "SIGKILL");
    } catch {
      // The group is already empty.
    }
    const deadline = Date.now() + 5000;
    for (;;) {
      if (cg && !cg.killAll()) {
        const frozen = await cg.freeze(true, 500);
        for (const pid of cg.pids()) signal(pid);
        if (frozen) await cg.freeze(false);
      }
      const live = others();
      if (live.length === 0) break;
      for (const pid of live) signal(pid);
      if (Date.now() > deadline) break;
      await sleep(10);
    }
    // Killed processes stay zombies until init reaps them, and a zombie still counts toward its uid's
    // RLIMIT_NPROC: wait (briefly) until they are gone, so that the next run of that uid starts clean.
    while (others(true).length > 0 && Date.now() < deadline) await sleep(10);
    return alive;
  }

  const poll = setInterval(() => {
    try {
      sample();
    } catch {
      // A sample that fails (a file vanished mid-read) is skipped; the next one runs.
    }
  }, options.pollMs ?? 50);
  const wall = setTimeout(() => hit("wall"), limits.wallMs);

  try {
    const first = await Promise.race([exited, spawnError]);
    if (first instanceof Error) throw new SandboxError(`cannot start ${JSON.stringify(argv[0])}: ${first.message}`, { cause: first });
    const { code, signal: sig } = first;
    try {
      sample(true);
    } catch {
      // As in the poll.
    }
    mainDone = true;
    clearInterval(poll);
    clearTimeout(wall);
    // The main process ended (by itself or killed): whatever it left behind goes too.
    const fromLimit = killing ? await killing : 0;
    const leftover = await killTree();
    const leftoverProcesses = limitHit ? 0 : Math.max(leftover, fromLimit);
    // Pipes close once every holder is dead; a holder that escaped cannot keep the run open.
    let giveUp: NodeJS.Timeout | undefined;
    const pipesClosed = await Promise.race([Promise.all(closed).then(() => true), new Promise<boolean>((resolve) => (giveUp = setTimeout(() => resolve(false), 2000)))]);
    clearTimeout(giveUp);
    if (!pipesClosed) {
      child.stdout.destroy();
      child.stderr.destroy();
      (setupPipe as { destroy?: () => void } | null | undefined)?.destroy?.();
    }
    const wallMs = Date.now() - started;
    const cpuMs = Math.round(Math.max(cpuSeenMs, cg?.cpuMs() ?? 0));
    const oom = cg?.oomKilled() ?? false;
    let stdout = Buffer.concat(chunks.stdout).toString("utf8");
    let stderr = Buffer.concat(chunks.stderr).toString("utf8");
    if (truncatedStream === "stdout") stdout += TRUNCATION_MARKER;
    if (truncatedStream === "stderr") stderr += TRUNCATION_MARKER;
    if (code === 125 && setupFailure !== "") throw new SandboxError(`the sandbox could not be set up: ${setupFailure.trim()}`);

    let limit = limitHit;
    if (limit === undefined) {
      if (sig === "SIGXCPU" || (sig === "SIGKILL" && cpuMs >= limits.cpuMs)) limit = "cpu";
      else if (oom) limit = "memory";
      else if (node && /JavaScript heap out of memory|Reached heap limit/.test(stderr)) limit = "memory";
      else if (!node && used.prlimit && !cg?.dirs.memory && /MemoryError|std::bad_alloc|Cannot allocate memory/.test(stderr)) limit = "memory";
    }
    const status: SandboxResult["status"] = limit ? "limit" : sig ? "signal" : code === 0 ? "ok" : "exit";
    return {
      status,
      ...(limit ? { limit } : {}),
      exitCode: code,
      signal: sig,
      stdout,
      stderr,
      outputTruncated: truncatedStream !== undefined,
      cpuMs,
      maxRssBytes,
      wallMs,
      leftoverProcesses,
      uid,
      mechanisms: describeMechanisms(effective, uid),
    };
  } finally {
    clearInterval(poll);
    clearTimeout(wall);
    if (cg) {
      await killTree();
      await cg.remove().catch(() => {});
    }
  }

  function signal(pid: number): void {
    if (pid === process.pid || pid <= 1) return;
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
}

function validate(o: SandboxOptions): void {
  const l = o.limits;
  for (const key of ["wallMs", "cpuMs", "memoryBytes", "outputBytes", "processes"] as const) {
    const v = l[key];
    if (!Number.isFinite(v) || v <= 0) throw new SandboxError(`limits.${key}: expected a positive number, got ${String(v)}`);
  }
  if (typeof o.command !== "string" || o.command === "") throw new SandboxError("command: expected a non-empty string");
}
