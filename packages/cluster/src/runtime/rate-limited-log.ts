/**
 * Log lines of one kind at most once per `everyMs`: the lines held back
 * meanwhile are counted and said with the next one ("... (and 3 more like
 * it since the last such line)"). For what another program can repeat as
 * fast as it can send (a refused line, a connection past a bound), where a
 * line each would fill the log without bound.
 */
export class RateLimitedLog {
  private readonly kinds = new Map<string, { lastMs: number; suppressed: number }>();

  constructor(
    private readonly log: (line: string) => void,
    private readonly now: () => number,
    private readonly everyMs: number,
  ) {}

  line(kind: string, text: string): void {
    const now = this.now();
    const state = this.kinds.get(kind);
    if (state && now - state.lastMs < this.everyMs) {
      state.suppressed++;
      return;
    }
    const more = state && state.suppressed > 0 ? ` (and ${state.suppressed} more like it since the last such line)` : "";
    this.kinds.set(kind, { lastMs: now, suppressed: 0 });
    this.log(`${text}${more}`);
  }
}
