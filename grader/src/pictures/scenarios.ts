// The course's pictures, each drawn from a real run of the simulator: the
// reference node cores and the reference retrying client on simulated time,
// with the faults placed by hand (a scenario) and a fixed seed, so the same
// code gives the same bytes. A scenario checks that its run shows what the
// picture claims (the reply dropped, the retry answered from the session, ...)
// and throws if it does not, rather than draw a picture of something else.
import {
  DEFAULT_CONFIG,
  SIM_DEFAULTS,
  renderSequenceSvg,
  renderTimelineSvg,
  runInProcess,
  type MessageTone,
  type NemesisOp,
  type RunArtifacts,
  type RunConfig,
  type SequenceNote,
  type TimelineMarker,
  type TimelineSpan,
  type TraceEntry,
  type TracedMessage,
} from "@dslab/sim";

export interface Picture {
  /** File name under the pictures directory. */
  file: string;
  /** What it shows, one line (`grader lesson pictures` prints it). */
  about: string;
  render: () => Promise<string>;
}

const isMessage = (e: TraceEntry): e is TracedMessage => e.kind === "message";

function scenarioError(picture: string, what: string): Error {
  return new Error(`picture ${picture}: the scenario's run no longer shows ${what}; the simulator or the reference changed, so the scenario (its seed or its fault times) must be updated`);
}

/** The run's command line, with the hand-placed schedule named (the seed alone does not replay a scenario). */
function caption(config: RunConfig, schedule: readonly NemesisOp[]): string {
  const faults = schedule.filter((op) => op.op !== "heal").map((op) => `${op.op}@${op.atMs}ms`);
  return `kv-sim in-process, seed "${config.seed}", ${config.nodes} nodes, reference cores and client${faults.length ? `; faults placed by hand: ${faults.join(", ")}` : "; no faults"}`;
}

async function run(config: RunConfig, schedule: NemesisOp[], logs?: string[]): Promise<RunArtifacts> {
  return runInProcess(config, { tracePeerMessages: true, schedule, ...(logs ? { onLog: (l: string) => logs.push(l) } : {}) });
}

const ONE_CLIENT: RunConfig = { ...DEFAULT_CONFIG, nodes: 3, rate: 4, concurrency: 1, workload: "exactly-once", nemesis: [] };

/** The client endpoint's name for its long client_id, so a label fits. */
function shortIds(text: string, clients: Record<string, string>): string {
  let out = text;
  for (const [endpoint, id] of Object.entries(clients)) out = out.split(id).join(endpoint);
  return out;
}

// --- A lost reply answered from the session -------------------------------

export const lostReply: Picture = {
  file: "lost-reply-answered-from-session.svg",
  about: "message diagram: the leader's reply is dropped, the client's retry (same client_id and seq) is answered from the session, not applied again",
  async render() {
    const name = this.file;
    const config: RunConfig = { ...ONE_CLIENT, seed: "lost-reply", timeLimitS: 2, nemesis: ["lose-reply"] };
    const schedule: NemesisOp[] = [
      { atMs: 1000, op: "lose-reply", probability: 1 },
      { atMs: 1200, op: "lose-reply", probability: 0 },
      { atMs: 2000, op: "heal" },
    ];
    const logs: string[] = [];
    const a = await run(config, schedule, logs);
    const messages = a.trace.entries.filter(isMessage);
    const lost = messages.find((m) => m.fate === "dropped-lost-reply");
    if (!lost) throw scenarioError(name, "a dropped reply");
    const request = messages.find((m) => m.msgId === lost.inReplyTo && m.dest === lost.src && m.src === lost.dest);
    if (!request || request.clientId === undefined) throw scenarioError(name, "the request of the dropped reply");
    const sessionReply = messages.find((m) => m.fromSession === true && m.sentAtMs > lost.sentAtMs && m.dest === request.src && m.seq === request.seq);
    if (!sessionReply) throw scenarioError(name, "a retry answered from the session");
    const leader = request.dest;
    const dedup = logs.find((l) => l.startsWith(`${sessionReply.src} [dedup] client ${request.clientId} seq ${request.seq} `));
    if (!dedup) throw scenarioError(name, `the leader's [dedup] line for seq ${request.seq}`);
    const fromMs = request.sentAtMs;
    const toMs = sessionReply.sentAtMs;
    const client = request.src;
    const clients = a.results!.clients;
    const entries = a.trace.entries.filter((e) => {
      if (e.kind === "fault") return e.atMs >= fromMs - 150 && e.atMs <= toMs;
      if (e.sentAtMs < fromMs || e.sentAtMs > toMs) return false;
      // The client's messages, and the leader's replication of the write (not its heartbeats).
      if (e.src === client || e.dest === client) return true;
      if (e.sentAtMs > lost.sentAtMs) return false;
      return (e.type === "raft_append" && Array.isArray(e.body.entries) && e.body.entries.length > 0) || (e.type === "raft_append_ok" && e.dest === leader);
    });
    const nodeIds = a.nodeIds;
    return renderSequenceSvg({
      title: `A lost reply, answered from the session (seq ${request.seq})`,
      caption: caption(config, schedule),
      columns: [
        { id: client, label: `client ${client}`, sublabel: `client_id ${clients[client]?.slice(0, 8) ?? "?"}…` },
        ...nodeIds.map((id) => ({ id, sublabel: id === leader ? "leader" : "follower" })),
      ],
      entries,
      label: (m) => {
        const retry = m.src === client && m.seq === request.seq && m !== request ? ` (retry ${messages.filter((r) => r.src === client && r.seq === request.seq && r.sentAtMs < m.sentAtMs).length})` : "";
        return shortIds(labelFor(m), clients) + retry;
      },
      notes: [{ column: sessionReply.src, after: messages.find((m) => m.src === client && m.dest === sessionReply.src && m.msgId === sessionReply.inReplyTo) ?? sessionReply, text: shortIds(dedup.slice(sessionReply.src.length + 1), clients) }],
    });
  },
};

function labelFor(m: TracedMessage): string {
  const b = m.body;
  if (m.type === "error") return `error ${String(b.code)}${typeof b.leader === "string" ? `: the leader is ${b.leader}` : ""}`;
  if (m.type === "raft_append") return `append entries (${Array.isArray(b.entries) ? b.entries.length : 0})`;
  if (m.type === "raft_append_ok") return "append ok";
  if (m.type === "raft_request_vote") return `${b.pre_vote ? "pre-vote" : "request vote"} term ${String(b.term)}`;
  if (m.type === "raft_request_vote_ok") return `${b.pre_vote ? "pre-vote" : "vote"} ${b.granted ? "granted" : "refused"} (term ${String(b.term)})`;
  const value = m.type === "append" || m.type === "write" ? ` ${JSON.stringify(b.value)}` : "";
  return `${m.type}${value}${m.seq !== undefined ? ` seq ${m.seq}` : ""}`;
}

// --- A retry across a leader crash ----------------------------------------

export const retryAcrossCrash: Picture = {
  file: "retry-across-leader-crash.svg",
  about: "timeline: the leader applies a write, its reply is lost and the leader is killed; the attempt times out, the client backs off, a follower redirects it to the new leader, which answers the retry (same client_id and seq) from its session",
  async render() {
    const name = this.file;
    const config: RunConfig = { ...ONE_CLIENT, seed: "leader-crash", timeLimitS: 3, nemesis: ["kill", "lose-reply"] };
    const schedule: NemesisOp[] = [
      { atMs: 1050, op: "lose-reply", probability: 1 },
      { atMs: 1095, op: "kill", target: "leader", slot: "k1" },
      { atMs: 1100, op: "lose-reply", probability: 0 },
      { atMs: 2500, op: "restart", slot: "k1" },
      { atMs: 3000, op: "heal" },
    ];
    const logs: string[] = [];
    const a = await run(config, schedule, logs);
    const entries = a.trace.entries;
    const kill = entries.find((e) => e.kind === "fault" && e.label.startsWith("SIGKILL"));
    if (!kill || kill.kind !== "fault") throw scenarioError(name, "the leader's kill");
    const killed = kill.nodes[0]!;
    const messages = entries.filter(isMessage);
    // The reply that reached the client, if any.
    const replyTo = (m: TracedMessage): TracedMessage | undefined => messages.find((r) => r.src === m.dest && r.dest === m.src && r.inReplyTo === m.msgId && r.deliveredAtMs !== undefined);
    const lost = messages.find((m) => m.fate === "dropped-lost-reply" && m.src === killed && m.sentAtMs < kill.atMs);
    const first = lost && messages.find((m) => m.src === lost.dest && m.dest === lost.src && m.msgId === lost.inReplyTo);
    if (!lost || !first || first.seq === undefined) throw scenarioError(name, `a reply of ${killed} lost before the kill`);
    const attempts = messages.filter((m) => m.src === first.src && m.clientId === first.clientId && m.seq === first.seq && m.fate !== "duplicate" && m.fate !== "replayed");
    const last = attempts[attempts.length - 1]!;
    const lastReply = replyTo(last);
    const redirect = attempts.map(replyTo).find((r) => r?.type === "error" && typeof r.body.leader === "string");
    if (attempts.length < 3 || !redirect || lastReply?.type !== `${first.type}_ok` || lastReply.fromSession !== true) {
      throw scenarioError(name, "a timed-out attempt, a redirect and a retry answered from the session");
    }
    const clients = a.results!.clients;
    const dedup = logs.find((l) => l.startsWith(`${lastReply.src} [dedup] client ${first.clientId} seq ${first.seq} `));
    if (!dedup) throw scenarioError(name, `the new leader's [dedup] line for seq ${first.seq}`);
    const timeoutMs = SIM_DEFAULTS.client.attemptTimeoutMs;
    const spans: TimelineSpan[] = [];
    const client = first.src;
    spans.push({ lane: "op", fromMs: first.sentAtMs, toMs: lastReply.deliveredAtMs!, kind: "operation", label: `${first.type} ${JSON.stringify(first.body.key)} seq ${first.seq}: ok after ${attempts.length} attempts, applied once` });
    attempts.forEach((m, i) => {
      const r = replyTo(m);
      const end = r?.deliveredAtMs ?? m.sentAtMs + timeoutMs;
      const outcome =
        r === undefined
          ? `timeout (${m.fate === "dropped-node-down" ? `${m.dest} is down` : "applied; reply lost"})`
          : r.type === "error"
            ? `redirect to ${String(r.body.leader)}`
            : r.fromSession
              ? "ok, from the session"
              : "ok";
      spans.push({ lane: "attempts", fromMs: m.sentAtMs, toMs: end, kind: r === undefined || r.type === "error" ? "attempt-failed" : "attempt-ok", label: `#${i + 1} → ${m.dest}: ${outcome}` });
      const next = attempts[i + 1];
      if (next && next.sentAtMs - end > 1) spans.push({ lane: "attempts", fromMs: end, toMs: next.sentAtMs, kind: "backoff", label: `backoff ${Math.round(next.sentAtMs - end)} ms` });
    });
    const fromMs = Math.floor((first.sentAtMs - 100) / 50) * 50;
    const toMs = Math.ceil((lastReply.deliveredAtMs! + 100) / 50) * 50;
    // Every fault of the window, on the node it hits (a network fault: across every lane).
    const markers: TimelineMarker[] = entries
      .filter((e): e is Extract<TraceEntry, { kind: "fault" }> => e.kind === "fault" && e.atMs >= fromMs && e.atMs <= toMs)
      .map((f) => ({ atMs: f.atMs, ...(f.nodes.length === 1 ? { lane: f.nodes[0]! } : {}), kind: "fault" as const, label: f.label }));
    markers.push({ atMs: lastReply.sentAtMs, lane: lastReply.src, kind: "event", label: `${lastReply.src} ${shortIds(dedup.slice(lastReply.src.length + 1), clients)}` });
    const restart = entries.find((e) => e.kind === "fault" && e.label.startsWith("restart") && e.atMs > kill.atMs);
    spans.push({ lane: killed, fromMs: kill.atMs, toMs: restart?.kind === "fault" ? restart.atMs : toMs, kind: "down", label: `${killed} down (killed)` });
    // Each term's leader, from its first append entries (the trace holds the node-to-node traffic).
    const leaderSince = new Map<string, { node: string; atMs: number }>();
    for (const m of messages) {
      if (m.type !== "raft_append") continue;
      const term = String(m.body.term);
      if (!leaderSince.has(term)) leaderSince.set(term, { node: m.src, atMs: m.sentAtMs });
    }
    const terms = [...leaderSince.entries()].sort((x, y) => x[1].atMs - y[1].atMs);
    terms.forEach(([term, l], i) => {
      const end = l.node === killed && l.atMs < kill.atMs ? kill.atMs : (terms[i + 1]?.[1].atMs ?? toMs);
      if (end < fromMs) return;
      spans.push({ lane: l.node, fromMs: l.atMs, toMs: end, kind: "leader", label: `leader, term ${term}` });
      if (l.atMs > kill.atMs) markers.push({ atMs: l.atMs, lane: l.node, kind: "event", label: `${l.node} elected leader for term ${term}` });
    });
    if (!terms.some(([, l]) => l.atMs > kill.atMs && l.atMs < last.sentAtMs)) throw scenarioError(name, "a new leader elected before the answered retry");
    return renderTimelineSvg({
      title: `A retry across a leader crash (${first.type} seq ${first.seq}, client ${client})`,
      caption: caption(config, schedule),
      lanes: [
        { id: "op", label: `${client}: operation` },
        { id: "attempts", label: `${client}: attempts` },
        ...a.nodeIds.map((id) => ({ id, label: id })),
      ],
      fromMs,
      toMs,
      spans,
      markers: markers.sort((x, y) => x.atMs - y.atMs),
    });
  },
};

// --- A split vote ----------------------------------------------------------

export const splitVote: Picture = {
  file: "split-vote.svg",
  about: "message diagram: the first election of 4 nodes: two candidates in term 1 split the votes 2-2, nobody wins, a randomized timeout starts term 2 and it elects a leader",
  async render() {
    const name = this.file;
    // Found by trying seeds "split-vote-1" to "split-vote-300" on 4 nodes: in this one the first election
    // splits (n1 and n4 in term 1) and one of the two candidates wins the next term.
    const config: RunConfig = { ...DEFAULT_CONFIG, seed: "split-vote-158", nodes: 4, timeLimitS: 1.5, rate: 1, concurrency: 1, workload: "exactly-once", nemesis: [] };
    const schedule: NemesisOp[] = [{ atMs: 1500, op: "heal" }];
    const a = await run(config, schedule);
    const messages = a.trace.entries.filter(isMessage);
    const votes = messages.filter((m) => m.type === "raft_request_vote" && !m.body.pre_vote);
    const candidates = new Map<number, Set<string>>();
    for (const v of votes) {
      const term = Number(v.body.term);
      if (!candidates.has(term)) candidates.set(term, new Set());
      candidates.get(term)!.add(v.src);
    }
    const split = [...candidates.entries()].find(([, s]) => s.size >= 2);
    if (!split) throw scenarioError(name, "two candidates in one term");
    const [term] = split;
    const winner = messages.find((m) => m.type === "raft_append" && Number(m.body.term) > term);
    if (!winner || messages.some((m) => m.type === "raft_append" && Number(m.body.term) === term)) throw scenarioError(name, `no leader in term ${term} and a leader in a later term`);
    const nextTerm = Number(winner.body.term);
    // The pre-vote rounds before each term are left out: the picture is about the votes of the terms.
    const isVote = (m: TracedMessage): boolean => (m.type === "raft_request_vote" || m.type === "raft_request_vote_ok") && m.body.pre_vote !== true;
    const firstAppend = new Map<string, TracedMessage>();
    for (const m of messages) if (m.type === "raft_append" && m.src === winner.src && Number(m.body.term) === nextTerm && !firstAppend.has(m.dest)) firstAppend.set(m.dest, m);
    const entries = messages.filter((m) => (isVote(m) && Number(m.body.term) <= nextTerm) || [...firstAppend.values()].includes(m));
    const [a1, a2] = [...split[1]].sort();
    const votesFor = (c: string): string[] => [c, ...entries.filter((m) => m.type === "raft_request_vote_ok" && m.dest === c && Number(m.body.term) === term && m.body.granted === true).map((m) => m.src)];
    const lastReplyTo = (c: string): TracedMessage | undefined => entries.filter((m) => m.type === "raft_request_vote_ok" && m.dest === c && Number(m.body.term) === term).pop();
    const majority = Math.floor(a.nodeIds.length / 2) + 1;
    const notes: SequenceNote[] = [];
    for (const c of [a1!, a2!]) {
      const v = votesFor(c);
      if (v.length >= majority) throw scenarioError(name, `a split vote in term ${term} (${c} has a majority)`);
      const after = lastReplyTo(c);
      if (after) notes.push({ column: c, after, text: `term ${term}: ${v.length} of ${a.nodeIds.length} votes (${v.join(", ")}), needs ${majority}` });
    }
    const startNext = entries.find((m) => m.type === "raft_request_vote" && Number(m.body.term) === nextTerm);
    if (startNext) notes.push({ column: startNext.src, after: startNext, at: "send", text: `election timeout: ${startNext.src} starts term ${nextTerm}` });
    const tone = (m: TracedMessage): MessageTone => {
      if (m.type === "raft_request_vote_ok") return m.body.granted === true ? "reply" : "error";
      if (m.type === "raft_request_vote") return Number(m.body.term) === term && m.src === a2 ? "session" : "request";
      return "peer";
    };
    return renderSequenceSvg({
      title: `A split vote: term ${term} has two candidates (${a1}, ${a2}), term ${nextTerm} elects ${winner.src}`,
      caption: `${caption(config, schedule)}; pre-vote rounds not drawn`,
      columns: a.nodeIds.map((id) => ({
        id,
        sublabel: [split[1].has(id) ? `candidate in term ${term}` : "", id === winner.src ? `leader of term ${nextTerm}` : ""].filter(Boolean).join(", ") || "follower",
      })),
      entries,
      label: labelFor,
      tone,
      notes,
    });
  },
};

export const PICTURES: readonly Picture[] = [lostReply, retryAcrossCrash, splitVote];
