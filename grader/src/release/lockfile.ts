/**
 * A package-lock.json (lockfileVersion 3) cut down to a smaller root
 * package.json: the entries the new root and its workspaces reach, found the
 * way Node resolves a name (the nearest `node_modules/<name>` walking up
 * from the dependent's location), nothing else. Versions, integrity hashes
 * and flags are kept as locked, so `npm ci` installs exactly what the full
 * repository installs, minus what the release does not need.
 */
import { InputError } from "@dslab/protocol/cli";

export interface LockEntry {
  name?: string;
  version?: string;
  link?: boolean;
  resolved?: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [key: string]: unknown;
}

export interface Lockfile {
  name: string;
  version?: string;
  lockfileVersion: number;
  requires?: boolean;
  packages: Record<string, LockEntry>;
  [key: string]: unknown;
}

export interface RootManifest {
  name: string;
  version?: string;
  workspaces?: string[];
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  engines?: Record<string, string>;
  [key: string]: unknown;
}

export class LockfileError extends InputError {}

/** The parent location Node looks in next: `a/node_modules/b` -> `a`, `node_modules/b` -> ``. */
function parentOf(location: string): string | undefined {
  if (location === "") return undefined;
  const i = location.lastIndexOf("/node_modules/");
  return i < 0 ? "" : location.slice(0, i);
}

function resolveFrom(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  for (let loc: string | undefined = from; loc !== undefined; loc = parentOf(loc)) {
    const candidate = `${loc === "" ? "" : `${loc}/`}node_modules/${name}`;
    if (packages[candidate] !== undefined) return candidate;
  }
  return undefined;
}

/** The lock for `root` (whose workspaces must be a subset of the full lock's). */
export function pruneLockfile(full: Lockfile, root: RootManifest): Lockfile {
  if (full.lockfileVersion < 2) throw new LockfileError(`package-lock.json has lockfileVersion ${full.lockfileVersion}; regenerate it with npm 7 or later`);
  const packages = full.packages;
  const workspaces = root.workspaces ?? [];
  for (const ws of workspaces) {
    if (packages[ws] === undefined) throw new LockfileError(`workspace ${ws} is not in package-lock.json; run npm install in the repository first`);
  }
  const rootEntry: LockEntry = { name: root.name };
  if (root.version !== undefined) rootEntry.version = root.version;
  if (workspaces.length > 0) rootEntry.workspaces = workspaces;
  for (const field of ["dependencies", "devDependencies", "optionalDependencies"] as const) {
    if (root[field] !== undefined && Object.keys(root[field]).length > 0) rootEntry[field] = root[field];
  }
  if (root.engines !== undefined) rootEntry.engines = root.engines;

  const keep = new Set<string>([""]);
  const queue: string[] = [];
  const visit = (location: string) => {
    if (keep.has(location)) return;
    keep.add(location);
    queue.push(location);
  };
  const edgesOf = (location: string, entry: LockEntry, withDev: boolean) => {
    const required = { ...entry.dependencies, ...(withDev ? entry.devDependencies : {}) };
    for (const name of Object.keys(required)) {
      const found = resolveFrom(packages, location, name);
      if (found === undefined) throw new LockfileError(`${location || "the root"} needs ${name}, which package-lock.json does not hold; run npm install in the repository first`);
      visit(found);
    }
    for (const name of Object.keys(entry.optionalDependencies ?? {})) {
      const found = resolveFrom(packages, location, name);
      if (found !== undefined) visit(found);
    }
    for (const name of Object.keys(entry.peerDependencies ?? {})) {
      const found = resolveFrom(packages, location, name);
      if (found !== undefined) visit(found);
      else if (entry.peerDependenciesMeta?.[name]?.optional !== true) throw new LockfileError(`${location} needs the peer ${name}, which package-lock.json does not hold`);
    }
  };

  edgesOf("", rootEntry, true);
  for (const ws of workspaces) visit(ws);
  // npm links every workspace into node_modules, depended on or not.
  for (const [location, entry] of Object.entries(packages)) {
    if (entry.link === true && typeof entry.resolved === "string" && workspaces.includes(entry.resolved)) visit(location);
  }
  while (queue.length > 0) {
    const location = queue.shift()!;
    const entry = packages[location]!;
    if (entry.link === true) {
      if (typeof entry.resolved !== "string" || packages[entry.resolved] === undefined) throw new LockfileError(`${location} links to ${String(entry.resolved)}, which package-lock.json does not hold`);
      if (!workspaces.includes(entry.resolved)) throw new LockfileError(`${location} links to ${entry.resolved}, which is not a workspace of the release; add it to the release's workspaces`);
      visit(entry.resolved);
      continue;
    }
    // A workspace installs its devDependencies too; an installed package only its dependencies.
    edgesOf(location, entry, workspaces.includes(location));
  }

  const out: Record<string, LockEntry> = {};
  for (const [location, entry] of Object.entries(packages)) {
    if (!keep.has(location)) continue;
    out[location] = location === "" ? rootEntry : entry;
  }
  const { packages: _ignored, ...header } = full;
  return { ...header, name: root.name, ...(root.version !== undefined ? { version: root.version } : {}), packages: out };
}
