// File names made from student ids (calendars, report folders): one per
// student on any file system, a case-insensitive one (macOS, Windows) included.
import { createHash } from "node:crypto";

const PLAIN = /^[A-Za-z0-9._-]+$/;
/** Names Windows gives to devices, whatever the extension (`con.ics`, `Aux.notes.ics`). */
const DEVICE = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\.|$)/i;
/** Characters of the id kept in a name with a hash: the file name stays far below 255 bytes. */
const MAX_READABLE = 100;

/** `~` and the first `length` hex digits of the SHA-256 of the exact id. */
function suffix(id: string, length: number): string {
  return `~${createHash("sha256").update(id, "utf8").digest("hex").slice(0, length)}`;
}

/**
 * The id as a file name on its own, when every file system takes it as is:
 * letters, digits, `.`, `_`, `-`, no device name, no leading dot (a hidden
 * file), no trailing dot (Windows drops it), at most 100 characters.
 */
export function portableName(id: string): string | undefined {
  if (!PLAIN.test(id) || id.length > MAX_READABLE || id.startsWith(".") || id.endsWith(".") || DEVICE.test(id)) return undefined;
  return id;
}

/**
 * The id's readable part and `~` and a hash of the exact id: other
 * characters become `_`, a leading dot `_`, a device name loses the dot
 * after it. Two ids never share it, whatever the case.
 */
export function hashedName(id: string, hashLength = 12): string {
  let readable = id.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, MAX_READABLE).replace(/^\./, "_");
  if (DEVICE.test(readable)) readable = readable.replace(".", "_");
  return `${readable}${suffix(id, hashLength)}`;
}

/**
 * A file name per student, `ext` appended, no two the same when case is
 * ignored. A student keeps a name of `kept` (from an earlier run) when it is
 * one this rule can give them and no student before them (in sorted order)
 * holds it; the others are their id when it is portable and no other name
 * equals it but for case, else `hashedName`, and never one of `reserved`
 * (names of earlier runs, of students that may come back), case ignored.
 */
export function studentFileNames(students: Iterable<string>, ext: string, kept: Readonly<Record<string, string>> = {}, reserved: Iterable<string> = []): Map<string, string> {
  const ids = [...new Set(students)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const names = new Map<string, string>();
  const used = new Set<string>();
  const take = (id: string, name: string) => {
    names.set(id, name);
    used.add(name.toLowerCase());
  };
  for (const id of ids) {
    const name = Object.hasOwn(kept, id) ? kept[id] : undefined;
    if (name === undefined || used.has(name.toLowerCase())) continue;
    const plain = portableName(id);
    if ((plain !== undefined && name === plain + ext) || name === hashedName(id) + ext || name === hashedName(id, 64) + ext) take(id, name);
  }
  for (const name of reserved) used.add(name.toLowerCase());
  const rest = ids.filter((id) => !names.has(id));
  const count = new Map<string, number>();
  for (const id of rest) count.set(id.toLowerCase(), (count.get(id.toLowerCase()) ?? 0) + 1);
  for (const id of rest) {
    const plain = portableName(id);
    if (plain !== undefined && count.get(id.toLowerCase()) === 1 && !used.has((plain + ext).toLowerCase())) {
      take(id, plain + ext);
      continue;
    }
    let name = hashedName(id) + ext;
    // Two ids whose 12-digit hashes agree: the whole hash tells them apart.
    if (used.has(name.toLowerCase())) name = hashedName(id, 64) + ext;
    take(id, name);
  }
  return names;
}
