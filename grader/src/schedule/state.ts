// SEQUENCE bookkeeping across regenerations: the out dir keeps, per UID, the
// last sequence and a fingerprint of the event. Pure functions over the state.
import { createHash } from "node:crypto";
import type { OutputRecord } from "../fs/outputs.js";
import type { IcsEvent } from "./ics.js";

export interface EventState {
  student: string;
  sequence: number;
  fingerprint: string;
  /** Kept so a review dropped from the input can be published as cancelled. */
  date: string;
  summary: string;
  description: string;
}

export interface ScheduleState {
  version: 1;
  events: Record<string, EventState>;
  /** Student -> their calendar's file name, so that a student keeps it when a new id differs from theirs only by case. */
  calendars?: Record<string, string>;
  /** Calendar file -> its student and the SHA-256 of what was written: proves a calendar left under an earlier name is the grader's, unchanged. */
  outputs?: OutputRecord;
}

export const STATE_FILE = ".schedule-state.json";

export function emptyState(): ScheduleState {
  return { version: 1, events: {} };
}

export function fingerprint(e: Omit<IcsEvent, "sequence" | "uid">): string {
  return createHash("sha256").update(JSON.stringify([e.date, e.summary, e.description, e.url ?? "", e.status])).digest("hex").slice(0, 16);
}

export interface DraftEvent extends Omit<IcsEvent, "sequence"> {
  student: string;
}

/**
 * Gives each event its SEQUENCE: unchanged events keep theirs, changed ones go
 * up by one; events in the old state that are gone come back as CANCELLED.
 */
export function sequenceEvents(drafts: readonly DraftEvent[], previous: ScheduleState): { events: (IcsEvent & { student: string })[]; state: ScheduleState } {
  const state: ScheduleState = { version: 1, events: {} };
  const out: (IcsEvent & { student: string })[] = [];
  const present = new Set<string>();
  for (const d of drafts) {
    present.add(d.uid);
    const fp = fingerprint(d);
    const prev = previous.events[d.uid];
    const sequence = prev === undefined ? 0 : prev.fingerprint === fp ? prev.sequence : prev.sequence + 1;
    out.push({ ...d, sequence });
    state.events[d.uid] = { student: d.student, sequence, fingerprint: fp, date: d.date, summary: d.summary, description: d.description };
  }
  for (const [uid, prev] of Object.entries(previous.events)) {
    if (present.has(uid)) continue;
    const cancelled = { uid, student: prev.student, date: prev.date, summary: prev.summary, description: prev.description, status: "CANCELLED" as const };
    const fp = fingerprint(cancelled);
    const sequence = prev.fingerprint === fp ? prev.sequence : prev.sequence + 1;
    out.push({ ...cancelled, sequence });
    state.events[uid] = { ...prev, sequence, fingerprint: fp };
  }
  state.events = Object.fromEntries(Object.entries(state.events).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return { events: out, state };
}
