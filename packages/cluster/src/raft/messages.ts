/**
 * Peer message bodies (Raft RPCs) and their schemas. Every peer body type is
 * prefixed `raft_`, so a node tells peer traffic from client traffic by the
 * type alone. The codec validates the top-level fields with `raftSchemas`;
 * the core trusts the shape of log entries inside `raft_append`, since only
 * peers of the same cluster send them.
 */
import { clientSchemas, type Body, type SchemaTable } from "@dslab/protocol";
import type { LogEntry } from "../contract.js";

/** RequestVote (§5.2), or a pre-vote (§9.6 of Ongaro's thesis) when `pre_vote` is set. */
export interface RequestVoteBody extends Body {
  type: "raft_request_vote";
  /** The term the candidate campaigns for (for a pre-vote: its term + 1, not yet adopted). */
  term: number;
  candidate: string;
  last_log_index: number;
  last_log_term: number;
  pre_vote?: boolean;
}

export interface RequestVoteOkBody extends Body {
  type: "raft_request_vote_ok";
  term: number;
  granted: boolean;
  pre_vote?: boolean;
}

/** AppendEntries (§5.3): entries to append after `prev_log_index`, or a heartbeat when empty. */
export interface AppendBody extends Body {
  type: "raft_append";
  term: number;
  leader: string;
  prev_log_index: number;
  prev_log_term: number;
  entries: LogEntry[];
  leader_commit: number;
  /** ReadIndex: a leadership check round; the follower echoes it in its answer. */
  read_ctx?: number;
}

export interface AppendOkBody extends Body {
  type: "raft_append_ok";
  term: number;
  success: boolean;
  /** On success: the follower's log matches the leader's up to here. */
  match_index: number;
  /** On failure: the prev_log_index that did not match (lets the leader ignore stale rejections). */
  reject_index?: number;
  /** Fast backtracking hint: the term of the follower's conflicting entry (0: the follower's log is too short). */
  conflict_term?: number;
  /** Fast backtracking hint: the first index of conflict_term in the follower's log, or its last index + 1. */
  conflict_index?: number;
  /** The append's read_ctx, echoed: an answer in the leader's term confirms its leadership for that round. */
  read_ctx?: number;
}

/**
 * InstallSnapshot (§7), in chunks: the snapshot's data as JSON text, cut into
 * pieces that fit a line, sent one at a time (each waits for its ack).
 */
export interface SnapshotBody extends Body {
  type: "raft_snapshot";
  term: number;
  leader: string;
  last_included_index: number;
  last_included_term: number;
  node_ids: string[];
  /** Where this chunk starts in the snapshot's JSON text (characters). */
  offset: number;
  /** A piece of JSON.stringify(snapshot.data). */
  chunk: string;
  /** The last chunk: the follower installs the snapshot. */
  done: boolean;
}

export interface SnapshotOkBody extends Body {
  type: "raft_snapshot_ok";
  term: number;
  /** The follower's log matches the leader's up to here (the snapshot index once installed). */
  match_index: number;
  /** While a snapshot is still arriving: the offset of the next chunk the follower needs. */
  next_offset?: number;
  /** The snapshot index the next_offset refers to. */
  snapshot_index?: number;
}

export type RaftBody = RequestVoteBody | RequestVoteOkBody | AppendBody | AppendOkBody | SnapshotBody | SnapshotOkBody;

export const RAFT_BODY_TYPES = [
  "raft_request_vote",
  "raft_request_vote_ok",
  "raft_append",
  "raft_append_ok",
  "raft_snapshot",
  "raft_snapshot_ok",
] as const;

export function isRaftBody(body: Body): body is RaftBody {
  return (RAFT_BODY_TYPES as readonly string[]).includes(body.type);
}

/** Schemas of the peer bodies, for `decodeLine(line, { schemas })`. */
export const raftSchemas: SchemaTable = {
  raft_request_vote: {
    term: { kind: "nonnegint" },
    candidate: { kind: "string" },
    last_log_index: { kind: "nonnegint" },
    last_log_term: { kind: "nonnegint" },
    pre_vote: { kind: "boolean", optional: true },
  },
  raft_request_vote_ok: {
    term: { kind: "nonnegint" },
    granted: { kind: "boolean" },
    pre_vote: { kind: "boolean", optional: true },
  },
  raft_append: {
    term: { kind: "nonnegint" },
    leader: { kind: "string" },
    prev_log_index: { kind: "nonnegint" },
    prev_log_term: { kind: "nonnegint" },
    entries: { kind: "array" },
    leader_commit: { kind: "nonnegint" },
    read_ctx: { kind: "nonnegint", optional: true },
  },
  raft_append_ok: {
    term: { kind: "nonnegint" },
    success: { kind: "boolean" },
    match_index: { kind: "nonnegint" },
    reject_index: { kind: "nonnegint", optional: true },
    conflict_term: { kind: "nonnegint", optional: true },
    conflict_index: { kind: "nonnegint", optional: true },
    read_ctx: { kind: "nonnegint", optional: true },
  },
  raft_snapshot: {
    term: { kind: "nonnegint" },
    leader: { kind: "string" },
    last_included_index: { kind: "nonnegint" },
    last_included_term: { kind: "nonnegint" },
    node_ids: { kind: "string[]" },
    offset: { kind: "nonnegint" },
    chunk: { kind: "string" },
    done: { kind: "boolean" },
  },
  raft_snapshot_ok: {
    term: { kind: "nonnegint" },
    match_index: { kind: "nonnegint" },
    next_offset: { kind: "nonnegint", optional: true },
    snapshot_index: { kind: "nonnegint", optional: true },
  },
};

/** Everything a node accepts on its wire: client bodies plus peer bodies. */
export const nodeSchemas: SchemaTable = { ...clientSchemas, ...raftSchemas };
