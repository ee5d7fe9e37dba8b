/**
 * `kv status`: asks every node for its state (the TCP shell answers a
 * `status` message with `status_ok {id, role, term, leader, commitIndex,
 * lastApplied, ...}`) and prints one row per node, like `etcdctl endpoint
 * status`. A node that does not answer gets a row that says why. Every node
 * is asked at once, each within one attempt timeout, and the whole command
 * within --total-ms.
 */
import type { Body } from "@dslab/protocol";
import { EXIT, type Io } from "@dslab/protocol/cli";
import { CLIENT_DEFAULTS } from "../defaults.js";
import { systemClock } from "../deps.js";
import { TcpTransport } from "../transport/tcp.js";
import { TransportError } from "../transport/transport.js";
import { nodeAddress, type KvPlan } from "./args.js";
import { cannotReachAnyNode } from "./hints.js";
import { printable, shown } from "./printable.js";

export interface NodeStatusRow {
  /** The node's id from its answer, else how it was addressed (host:port): what the other commands call it. */
  node: string;
  /** How the node was addressed: host:port. */
  address: string;
  port: number;
  /** The node's own id, from its answer. */
  id: string | null;
  role: string | null;
  term: number | null;
  leader: string | null;
  commit_index: number | null;
  applied_index: number | null;
  /** Why there is no answer. */
  error?: string;
}

function rowOf(address: string, port: number, reply: Body | Error): NodeStatusRow {
  const empty = { node: address, address, port, id: null, role: null, term: null, leader: null, commit_index: null, applied_index: null };
  if (reply instanceof Error) return { ...empty, error: reply.message };
  if (reply.type !== "status_ok") {
    const text = typeof reply.text === "string" ? reply.text : JSON.stringify(reply);
    return { ...empty, error: `answered ${reply.type}${reply.type === "error" ? ` ${String(reply.code)}` : ""}: ${text}` };
  }
  const num = (v: unknown) => (typeof v === "number" ? v : null);
  const str = (v: unknown) => (typeof v === "string" ? v : null);
  const id = str(reply.id);
  return { node: id ?? address, address, port, id, role: str(reply.role), term: num(reply.term), leader: str(reply.leader), commit_index: num(reply.commitIndex), applied_index: num(reply.lastApplied) };
}

/** The rows as a table, columns padded to their widest cell. */
export function formatStatusTable(rows: readonly NodeStatusRow[]): string {
  const header = ["ID", "PORT", "ROLE", "TERM", "LEADER", "COMMIT", "APPLIED"];
  const cell = (v: string | number | null) => (v === null ? "-" : shown(String(v)));
  const body = rows.map((r) => [cell(r.id), cell(r.port), cell(r.role), cell(r.term), cell(r.leader), cell(r.commit_index), cell(r.applied_index)]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  const lines = [line(header), ...body.map((b, i) => line(b) + (rows[i]!.error ? `  no answer: ${shown(rows[i]!.error!)}` : ""))];
  return lines.join("\n") + "\n";
}

export async function runStatus(plan: KvPlan, io: Io): Promise<number> {
  const transport = new TcpTransport({ nodes: plan.nodes, host: plan.host, followMembers: plan.followMembers });
  // Each node within one attempt timeout, and the whole command within --total-ms, as an operation.
  const deadlineMs = systemClock.now() + (plan.totalMs ?? CLIENT_DEFAULTS.maxTotalMs);
  const timeoutMs = () => Math.max(1, Math.min(plan.timeoutMs ?? CLIENT_DEFAULTS.attemptTimeoutMs, deadlineMs - systemClock.now()));
  /** Ports whose connection was refused (nothing listens there): when every port given is one, nothing of a cluster is running there. */
  const refused = new Set<number>();
  /** One row per node, each asked as `node` and shown at `address`. */
  const ask = (nodes: Array<{ node: string; address: string; port: number }>): Promise<NodeStatusRow[]> => {
    const withinMs = timeoutMs();
    return Promise.all(
      nodes.map(async ({ node, address, port }) =>
        rowOf(
          address,
          port,
          await transport.send(node, { type: "status" }, withinMs).catch((e: unknown) => {
            if (e instanceof TransportError && e.failure === "refused" && transport.wrongProtocol(port) === undefined) refused.add(port);
            return e instanceof Error ? e : new Error(String(e));
          }),
        ),
      ),
    );
  };
  let rows: NodeStatusRow[];
  try {
    rows = await ask(Object.entries(plan.nodes).map(([node, port]) => ({ node, address: node, port })));
    // A node's status lists where its cluster's members listen: with --port,
    // the members no given port reached are asked too, so one port shows the
    // whole cluster (with --nodes the transport learns no member's port).
    const asked = new Set(Object.values(plan.nodes));
    const members: Array<{ node: string; address: string; port: number }> = [];
    for (const [node, port] of transport.knownNodes()) {
      if (asked.has(port)) continue;
      asked.add(port);
      members.push({ node, address: nodeAddress(plan.host, port), port });
    }
    members.sort((a, b) => a.node.localeCompare(b.node, "en", { numeric: true }));
    rows = [...rows, ...(await ask(members))];
  } finally {
    transport.close();
  }
  const given = Object.values(plan.nodes);
  if (given.every((port) => refused.has(port))) io.stderr(`${cannotReachAnyNode(plan.host, given)}\n`);
  if (plan.json) io.stdout(`${printable(JSON.stringify({ nodes: rows }))}\n`);
  else io.stdout(formatStatusTable(rows));
  return rows.every((r) => r.error === undefined) ? EXIT.ok : EXIT.negative;
}
