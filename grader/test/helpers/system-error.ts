/**
 * Node's own error object for a failed system call, as fs builds it (code,
 * errno, syscall and the system's description), for testing how a message
 * words an error that cannot be produced on demand.
 */
import { getSystemErrorMap } from "node:util";

export function systemError(code: string, syscall = "read"): NodeJS.ErrnoException {
  const entry = [...getSystemErrorMap()].find(([, [name]]) => name === code);
  const err: NodeJS.ErrnoException = new Error(`${code}: ${entry?.[1][1] ?? "unknown error"}, ${syscall}`);
  err.code = code;
  if (entry) err.errno = entry[0];
  err.syscall = syscall;
  return err;
}
