/**
 * The seed is the bug report: one master seed derives every
 * sub-stream. Each consumer gets its own labelled fork, so adding draws to one
 * stream (say, the workload) never shifts another (say, the network).
 */
import { createPrng, type Prng } from "@dslab/protocol";

export interface WorldSeeds {
  /** The master seed, as typed on the command line. */
  readonly master: string;
  /** Latency, loss, duplication and reordering draws. */
  readonly network: Prng;
  /** The fault schedule. */
  readonly nemesis: Prng;
  /** Which operation each client process sends next, keys and values. */
  readonly workload: Prng;
  /** Per-node clock skew and drift. */
  readonly clocks: Prng;
  /** Election jitter for one incarnation of a node (a restart is a new life with its own stream). */
  node(nodeId: string, life: number): Prng;
  /** Backoff jitter and client_id for one client. */
  client(clientName: string): Prng;
}

export function createWorldSeeds(master: string | number): WorldSeeds {
  const root = createPrng(String(master));
  return {
    master: String(master),
    network: root.fork("network"),
    nemesis: root.fork("nemesis"),
    workload: root.fork("workload"),
    clocks: root.fork("clocks"),
    node: (nodeId, life) => root.fork(`node/${nodeId}/life/${life}`),
    client: (clientName) => root.fork(`client/${clientName}`),
  };
}
