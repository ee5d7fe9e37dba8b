/**
 * One updating line on a terminal's stderr while a check runs longer than a
 * second: which criterion, the seeds done of the total (fault runs report
 * them), the seconds so far. Nothing at all when stderr is not a terminal,
 * so logs and pipes get only the results.
 */
export interface ProgressTarget {
  write: (s: string) => void;
  /** Whether stderr is a terminal. */
  isTTY: boolean;
  /** Its width in columns (80 when unknown). */
  columns?: number;
}

const DELAY_MS = 1000;
const REFRESH_MS = 250;

export class ProgressLine {
  private label = { name: "", title: "" };
  private startedMs = 0;
  private done: number | undefined;
  private total: number | undefined;
  private shown = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly target: ProgressTarget,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** A check starts (`name` short, e.g. `vote #5`): the line appears after a second if it is still running. */
  start(label: { name: string; title: string }): (done: number, total: number) => void {
    this.stop();
    this.label = label;
    this.startedMs = this.clock();
    this.done = this.total = undefined;
    if (this.target.isTTY) {
      this.timer = setInterval(() => this.render(), REFRESH_MS);
      this.timer.unref();
    }
    return (done, total) => {
      this.done = done;
      this.total = total;
      this.render();
    };
  }

  /** Erases the line (before other output, and when the check ends). */
  clear(): void {
    if (!this.shown) return;
    this.target.write("\r\x1b[2K");
    this.shown = false;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.clear();
  }

  private render(): void {
    if (!this.target.isTTY) return;
    const elapsedMs = this.clock() - this.startedMs;
    if (elapsedMs < DELAY_MS) return;
    const seeds = this.total !== undefined ? `seed ${this.done} of ${this.total}, ` : "";
    const text = `  … ${this.label.name} (${seeds}${(elapsedMs / 1000).toFixed(0)} s): ${this.label.title}`;
    const width = Math.max(20, (this.target.columns || 80) - 1);
    this.target.write(`\r\x1b[2K${text.length > width ? `${text.slice(0, width - 1)}…` : text}`);
    this.shown = true;
  }
}
