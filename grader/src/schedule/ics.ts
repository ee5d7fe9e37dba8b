// Not the `ics` npm package: ics 3.12 folds at 75 characters, not octets, and leaves VALARM DESCRIPTION and X-WR-CALNAME unescaped.
// RFC 5545 iCalendar, written by hand so the output is byte-stable: CRLF lines
// folded at 75 octets, escaped text, all-day events with a display alarm.

export interface IcsEvent {
  uid: string;
  sequence: number;
  /** `YYYY-MM-DD`: the event covers this whole day. */
  date: string;
  summary: string;
  description: string;
  url?: string;
  /** CANCELLED for a review that is no longer scheduled. */
  status: "CONFIRMED" | "CANCELLED";
}

export interface IcsCalendar {
  name: string;
  /** UTC timestamp `YYYYMMDDTHHMMSSZ` derived from the input, never from the wall clock. */
  dtstamp: string;
  events: readonly IcsEvent[];
}

export const PRODID = "-//dslab//grader review schedule//EN";

/** TEXT escaping (RFC 5545 3.3.11); control characters but tab, which TEXT cannot hold, become U+FFFD. */
export function escapeText(s: string): string {
  return s
    .replace(/\\/g, "\\\\")
    .replace(/;/g, "\\;")
    .replace(/,/g, "\\,")
    .replace(/\r?\n/g, "\\n")
    .replace(/[\u0000-\u0008\u000a-\u001f\u007f]/g, "\ufffd");
}

/** Folds a content line to at most 75 octets per line, never splitting a UTF-8 character. */
export function foldLine(line: string): string {
  const enc = new TextEncoder();
  if (enc.encode(line).length <= 75) return line;
  const parts: string[] = [];
  let current = "";
  let octets = 0;
  let limit = 75;
  for (const ch of line) {
    const n = enc.encode(ch).length;
    if (octets + n > limit) {
      parts.push(current);
      current = "";
      octets = 0;
      limit = 74; // continuation lines start with one space
    }
    current += ch;
    octets += n;
  }
  parts.push(current);
  return parts.join("\r\n ");
}

function compactDate(date: string): string {
  return date.replace(/-/g, "");
}

function nextDay(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

export function renderCalendar(cal: IcsCalendar): string {
  const lines = [
    "BEGIN:VCALENDAR",
    "VERSION:2.0",
    `PRODID:${PRODID}`,
    "CALSCALE:GREGORIAN",
    "METHOD:PUBLISH",
    `X-WR-CALNAME:${escapeText(cal.name)}`,
  ];
  for (const e of cal.events) {
    lines.push(
      "BEGIN:VEVENT",
      `UID:${e.uid}`,
      `SEQUENCE:${e.sequence}`,
      `DTSTAMP:${cal.dtstamp}`,
      `DTSTART;VALUE=DATE:${compactDate(e.date)}`,
      `DTEND;VALUE=DATE:${compactDate(nextDay(e.date))}`,
      `SUMMARY:${escapeText(e.summary)}`,
      `DESCRIPTION:${escapeText(e.description)}`,
    );
    if (e.url) lines.push(`URL:${e.url}`);
    lines.push(`STATUS:${e.status}`, "TRANSP:TRANSPARENT");
    if (e.status === "CONFIRMED") {
      // 09:00 on the review day (all-day events start at local midnight).
      lines.push("BEGIN:VALARM", "ACTION:DISPLAY", `DESCRIPTION:${escapeText(e.summary)}`, "TRIGGER;RELATED=START:PT9H", "END:VALARM");
    }
    lines.push("END:VEVENT");
  }
  lines.push("END:VCALENDAR");
  return lines.map(foldLine).join("\r\n") + "\r\n";
}
