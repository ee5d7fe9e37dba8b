// Why a file could not be read or written, in words: the one wording every
// command and every module of the grader uses, the rare system errors too.
import { getSystemErrorMap } from "node:util";

/** What a failed read or write is called in the words of SYSTEM_REASONS. */
const OPERATION = {
  read: { doing: "reading", done: "read" },
  write: { doing: "writing", done: "written" },
} as const;

/**
 * What each system error means for a file that was not read or written, in
 * words: the rare ones too, so no command shows the system's own
 * `EIO: i/o error, read` with its call and path.
 */
const SYSTEM_REASONS: Record<string, (op: "read" | "write") => string> = {
  EIO: (op) => `${OPERATION[op].doing} it failed with an input/output error (of the disk, network share or device it is on)`,
  ENAMETOOLONG: () => "its name is too long for the file system",
  EPERM: (op) => `the system does not permit ${OPERATION[op].doing} it`,
  EISDIR: () => "it is a directory, not a regular file",
  ENXIO: () => "the device it is on is not there",
  ENODEV: () => "the device it is on is not there",
  EMFILE: () => "too many files are open in this process to open it",
  ENFILE: () => "too many files are open on this system to open it",
  ENOMEM: (op) => `the system ran out of memory while ${OPERATION[op].doing} it`,
  EBUSY: () => "the system holds it busy",
  EAGAIN: (op) => `it was not ready to be ${OPERATION[op].done}; try again`,
  EINTR: (op) => `its ${op} was interrupted; try again`,
  ETIMEDOUT: (op) => `${OPERATION[op].doing} it timed out (the network file system it is on did not answer)`,
  ESTALE: () => "the network file system it is on no longer knows it (a stale file handle)",
  EOVERFLOW: (op) => `it is too large for the system to ${op}`,
  EFBIG: (op) => `it is too large for the system to ${op}`,
  EINVAL: (op) => `the system refused the ${op} as invalid`,
  ENOSPC: () => "the disk it is on is full",
  EDQUOT: () => "the disk quota of its owner is used up",
  EROFS: () => "the file system it is on is read-only",
};

/**
 * Why a file could not be read (or, with `op` "write", written), in words,
 * whatever the failure; every command says it this way. A path that is not
 * a regular file as ReadRegularError says it (`it is a FIFO (named pipe), not
 * a regular file`), `no such file`, `permission denied`, the rare system
 * errors from SYSTEM_REASONS, and any other one from the system's description
 * of its code (`the system could not read it: cross-device link not permitted
 * (EXDEV)`), never the system's message with its call and path.
 */
export function unreadableReason(err: unknown, op: "read" | "write" = "read"): string {
  const e = (err ?? {}) as NodeJS.ErrnoException;
  const code = typeof e.code === "string" ? e.code : undefined;
  if (code === "NOT_A_FILE" && typeof e.message === "string") return e.message;
  if (code === "ENOENT") return "no such file";
  if (code === "EACCES") return "permission denied";
  if (code === "ENOTDIR") return "a parent is not a directory";
  if (code === "ELOOP") return "it is a loop of symbolic links";
  if (code !== undefined && Object.hasOwn(SYSTEM_REASONS, code)) return SYSTEM_REASONS[code]!(op);
  // By its code, not its errno: an error that wraps the system's (ReadRegularError) carries the code alone.
  const described = code === undefined ? undefined : systemDescription(code);
  if (described !== undefined) return `the system could not ${op} it: ${described} (${code})`;
  return code !== undefined && /^E[A-Z0-9]+$/.test(code) ? `the system could not ${op} it (${code})` : `the system could not ${op} it`;
}

/** The system's description of an error code (`cross-device link not permitted` for EXDEV), if it knows the code. */
function systemDescription(code: string): string | undefined {
  for (const [name, description] of getSystemErrorMap().values()) if (name === code) return description;
  return undefined;
}
