/**
 * The cluster secret: the key the nodes of one cluster prove to each other
 * when a peer connection opens (see peer-auth.ts). It never travels.
 *
 * File: `<data-dir>/cluster.secret`, one line of 64 hex characters (32 random
 * bytes), mode 0600. `kv-cluster start` creates it when it is missing and
 * keeps it otherwise, so nodes restarted later with `kv-cluster node` read
 * the same one. `--secret-file FILE` names another file with the same rules:
 * a regular file of at least 32 characters of text (surrounding whitespace
 * ignored) and at most 64 KiB, readable by its owner only.
 *
 * A symbolic link to nothing in the secret's place is said as such, naming
 * where it points: `start` never creates the secret through it (the file is
 * created with O_EXCL, which fails on any symbolic link, so nothing is ever
 * written wherever the link points, inside or outside the data directory).
 */
import { randomBytes } from "node:crypto";
import { promises as fsp } from "node:fs";
import { readRegularFile, ReadRegularError } from "@dslab/protocol/cli";
import path from "node:path";
import { DirectoryError, ensureDirectory } from "../storage/directory.js";

export const SECRET_FILE_NAME = "cluster.secret";
/** Shortest secret accepted, in characters: a guessable secret proves nothing. */
export const MIN_SECRET_CHARS = 32;
/** Largest secret file read: a secret is one line; a larger file is refused unread. */
export const MAX_SECRET_FILE_BYTES = 64 * 1024;

export class ClusterSecretError extends Error {
  override readonly name = "ClusterSecretError";
  readonly code = "E_CLUSTER_SECRET";
}

export function defaultSecretFile(dataDir: string): string {
  return path.join(path.resolve(dataDir), SECRET_FILE_NAME);
}

/**
 * The secret in `file`, creating the file (mode 0600, a fresh random secret)
 * when it does not exist yet. Returns whether it was created.
 */
export async function ensureClusterSecret(file: string): Promise<{ secret: Buffer; created: boolean }> {
  try {
    // One level at a time: Node's recursive mkdir never returns under /proc (storage/directory.ts).
    await ensureDirectory(path.dirname(file));
  } catch (e) {
    if (!(e instanceof DirectoryError)) throw e;
    throw new ClusterSecretError(`cannot create the cluster secret ${file}: ${e.message}`);
  }
  const fresh = `${randomBytes(32).toString("hex")}\n`;
  try {
    // "wx" (O_CREAT | O_EXCL): never overwrite a secret other nodes may already use, and never
    // follow a symbolic link, dangling or not: open fails with EEXIST on one, and the read below names it.
    await fsp.writeFile(file, fresh, { flag: "wx", mode: 0o600 });
    return { secret: Buffer.from(fresh.trim(), "utf8"), created: true };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") {
      throw new ClusterSecretError(`cannot create the cluster secret ${file}: ${(e as Error).message}`);
    }
  }
  return { secret: await readClusterSecret(file, { createdByStart: true }), created: false };
}

export interface ReadSecretOptions {
  /** `file` is the data directory's own secret, which `kv-cluster start` creates when it is missing (so the advice may say so). */
  createdByStart?: boolean;
  /** The option that named `file` (`--secret-file`), when the user named it: a missing file is then said as that option's. */
  namedBy?: string;
}

/** The secret in `file`; a ClusterSecretError that says what to do when it is missing, a symbolic link to nothing, too short or readable by others. */
export async function readClusterSecret(file: string, opts: ReadSecretOptions = {}): Promise<Buffer> {
  let text: string;
  let mode: number;
  try {
    // Only a regular file: a named pipe is refused at once instead of waiting for a writer, a device unread.
    const read = await readRegularFile(file, { maxBytes: MAX_SECRET_FILE_BYTES, label: "the cluster secret" });
    text = read.bytes.toString("utf8");
    mode = read.stats.mode;
  } catch (e) {
    if (!(e instanceof ReadRegularError)) throw e;
    if (e.code === "ENOENT") {
      const dangling = await danglingLink(file);
      if (dangling !== null) {
        const fix = opts.createdByStart ? "remove the link (`kv-cluster start` then creates a new secret in the data directory)" : "remove the link";
        throw new ClusterSecretError(`${file} is a symbolic link to ${dangling.shown}, which ${dangling.chain ? "is a symbolic link to nothing in turn" : "does not exist"}; ${fix} or point it at the cluster's secret file`);
      }
      if (opts.namedBy !== undefined) {
        throw new ClusterSecretError(
          `${file}: no cluster secret: the file ${opts.namedBy} names does not exist. Create it (at least ${MIN_SECRET_CHARS} characters, readable by its owner only: ` +
            `openssl rand -hex 32 > FILE && chmod 600 FILE) and give every node the same file, or leave out ${opts.namedBy} and \`kv-cluster start\` creates DIR/cluster.secret`,
        );
      }
      throw new ClusterSecretError(
        `${file}: no cluster secret. Peers prove this secret to each other; \`kv-cluster start\` creates it in the data directory, or pass --secret-file FILE (the same file for every node)`,
      );
    }
    if (e.code === "NOT_A_FILE" || e.code === "TOO_LARGE") throw new ClusterSecretError(`${file}: ${e.message}`);
    throw new ClusterSecretError(`${file}: cannot read the cluster secret: ${e.message}`);
  }
  if ((mode & 0o077) !== 0 && process.platform !== "win32") {
    throw new ClusterSecretError(
      `${file}: the cluster secret is readable by others (mode ${(mode & 0o777).toString(8)}); run chmod 600 ${JSON.stringify(file)}`,
    );
  }
  const secret = text.trim();
  if (secret.length < MIN_SECRET_CHARS) {
    throw new ClusterSecretError(`${file}:1: the cluster secret has ${secret.length} characters; it needs at least ${MIN_SECRET_CHARS}`);
  }
  return Buffer.from(secret, "utf8");
}

/**
 * Where `file` points when it is a symbolic link: its target as written
 * (with the path it resolves to when relative), and whether that target is
 * itself a link (to nothing, since opening `file` found nothing). Null when
 * `file` is not a symbolic link.
 */
async function danglingLink(file: string): Promise<{ shown: string; chain: boolean } | null> {
  let target: string;
  try {
    target = await fsp.readlink(file);
  } catch {
    return null;
  }
  const resolved = path.resolve(path.dirname(file), target);
  const chain = await fsp.lstat(resolved).then((s) => s.isSymbolicLink(), () => false);
  return { shown: path.isAbsolute(target) ? target : `${target} (${resolved})`, chain };
}
