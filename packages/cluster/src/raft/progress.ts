/**
 * What a leader knows about one follower's log (etcd's Progress).
 *
 * - probe: the leader does not know where the follower's log matches; it
 *   sends one AppendEntries at a time and waits (paused) for the answer or
 *   the next heartbeat.
 * - replicate: the logs match up to `match`; the leader pipelines appends,
 *   advancing `next` optimistically, with at most `maxInflight` unacknowledged.
 * - snapshot: the entries the follower needs are compacted away; a snapshot is
 *   on its way and the leader waits for its answer.
 */
export type ProgressState = "probe" | "replicate" | "snapshot";

/** A Progress as plain data. */
export interface ProgressData {
  match: number;
  next: number;
  state: ProgressState;
  paused: boolean;
  inflight: number[];
  pendingSnapshot: number;
  snapshotOffset: number;
  snapshotWaitTicks: number;
  recentActive: boolean;
  sentEntries: boolean;
}

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = "probe";
  /** probe: an append is out and unanswered. */
  paused = false;
  /** replicate: the last index of each unacknowledged append, oldest first. */
  inflight: number[] = [];
  /** snapshot: the index of the snapshot being sent, the offset of the next chunk, and ticks waited for an answer. */
  pendingSnapshot = 0;
  snapshotOffset = 0;
  snapshotWaitTicks = 0;
  /** Heard from since the leader's last check-quorum round. */
  recentActive = true;
  /**
   * replicate: an append with entries went out since the leader's last
   * heartbeat round, so the next round skips this follower (that append
   * restarted its election timer, as a heartbeat would have).
   */
  sentEntries = false;

  constructor(next: number) {
    this.next = next;
  }

  exportState(): ProgressData {
    const { match, next, state, paused, pendingSnapshot, snapshotOffset, snapshotWaitTicks, recentActive, sentEntries } = this;
    return { match, next, state, paused, inflight: [...this.inflight], pendingSnapshot, snapshotOffset, snapshotWaitTicks, recentActive, sentEntries };
  }

  static fromState(data: ProgressData): Progress {
    const pr = new Progress(data.next);
    pr.match = data.match;
    pr.state = data.state;
    pr.paused = data.paused;
    pr.inflight = [...data.inflight];
    pr.pendingSnapshot = data.pendingSnapshot;
    pr.snapshotOffset = data.snapshotOffset;
    pr.snapshotWaitTicks = data.snapshotWaitTicks;
    pr.recentActive = data.recentActive;
    pr.sentEntries = data.sentEntries;
    return pr;
  }

  becomeProbe(next: number): void {
    this.state = "probe";
    this.sentEntries = false;
    this.next = next;
    this.paused = false;
    this.inflight = [];
  }

  becomeReplicate(): void {
    this.state = "replicate";
    this.sentEntries = false;
    this.next = this.match + 1;
    this.paused = false;
    this.inflight = [];
  }

  becomeSnapshot(index: number): void {
    this.state = "snapshot";
    this.sentEntries = false;
    this.pendingSnapshot = index;
    this.snapshotOffset = 0;
    this.snapshotWaitTicks = 0;
    this.paused = false;
    this.inflight = [];
  }

  /** The follower acknowledged everything up to `index`. Returns whether match advanced. */
  acknowledge(index: number): boolean {
    const advanced = index > this.match;
    if (advanced) this.match = index;
    if (this.next < this.match + 1) this.next = this.match + 1;
    while (this.inflight.length > 0 && this.inflight[0]! <= this.match) this.inflight.shift();
    return advanced;
  }
}
