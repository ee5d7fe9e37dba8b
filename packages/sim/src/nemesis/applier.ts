/**
 * Fires a nemesis schedule against a cluster and its network on a timeline.
 * The cluster side is an interface (`FaultTarget`) implemented by the
 * in-process cluster and by the process-mode router, so one schedule runs in
 * both modes.
 */
import type { Prng } from "@dslab/protocol";
import type { Timeline } from "../world/scheduler.js";
import type { PacketSimulator } from "../network/packet-simulator.js";
import { isolate } from "../network/partition.js";
import type { MessageTrace } from "../network/trace.js";
import { describeNemesisOp, endsFault, type NemesisOp } from "./schedule.js";

export interface FaultTarget {
  readonly nodeIds: readonly string[];
  /** The node that most nodes believe leads, or null. */
  leader(): string | null;
  kill(node: string): void;
  restart(node: string): void;
  pause(node: string): void;
  resume(node: string): void;
  isDown(node: string): boolean;
  setClock(node: string, offsetMs: number, drift: number): void;
  /** Restore every node clock to its initial skew. */
  resetClocks(): void;
}

export interface AppliedFault {
  atMs: number;
  label: string;
  nodes: string[];
  /** It ends a fault rather than starting one: a partition healed, a node restarted or resumed, a probability back to 0, the final heal. */
  ends: boolean;
}

export class NemesisApplier {
  private readonly slots = new Map<string, string>();
  readonly applied: AppliedFault[] = [];

  constructor(
    private readonly opts: {
      timeline: Timeline;
      network: PacketSimulator;
      target: FaultTarget;
      prng: Prng;
      trace: MessageTrace;
      /** Called for every fault that took effect (the history records it as a nemesis op). */
      onFault?: (fault: AppliedFault) => void;
    },
  ) {}

  /** Schedule every operation on the timeline. */
  install(schedule: readonly NemesisOp[]): void {
    for (const op of schedule) this.opts.timeline.at(op.atMs, () => this.fire(op));
  }

  private resolve(target: string): string {
    const { target: cluster, prng } = this.opts;
    if (target !== "leader") return target;
    return cluster.leader() ?? prng.pick(cluster.nodeIds);
  }

  fire(op: NemesisOp): void {
    const { network, target } = this.opts;
    let nodes: string[] = [];
    let label = describeNemesisOp(op);
    switch (op.op) {
      case "partition-start": {
        const p = op.shape === "isolate-leader" ? isolate(this.resolve("leader"), target.nodeIds) : op.partition;
        network.faults.partition = p;
        label = `partition ${p.label}`;
        nodes = [...target.nodeIds];
        break;
      }
      case "partition-stop":
        network.faults.partition = null;
        break;
      case "kill": {
        const node = this.resolve(op.target);
        if (target.isDown(node)) return;
        this.slots.set(op.slot, node);
        target.kill(node);
        label = `SIGKILL ${node}${op.target === "leader" ? " (leader)" : ""}`;
        nodes = [node];
        break;
      }
      case "restart": {
        const node = this.slots.get(op.slot);
        if (!node) return;
        this.slots.delete(op.slot);
        target.restart(node);
        label = `restart ${node}`;
        nodes = [node];
        break;
      }
      case "pause": {
        const node = this.resolve(op.target);
        if (target.isDown(node)) return;
        this.slots.set(op.slot, node);
        target.pause(node);
        label = `pause ${node}${op.target === "leader" ? " (leader)" : ""}`;
        nodes = [node];
        break;
      }
      case "resume": {
        const node = this.slots.get(op.slot);
        if (!node) return;
        this.slots.delete(op.slot);
        target.resume(node);
        label = `resume ${node}`;
        nodes = [node];
        break;
      }
      case "duplicate":
        network.faults.duplicateProbability = op.probability;
        break;
      case "lose-reply":
        network.faults.loseReplyProbability = op.probability;
        break;
      case "loss":
        network.faults.lossProbability = op.probability;
        break;
      case "delay":
        network.faults.latencyFactor = op.latencyFactor;
        break;
      case "replay": {
        const replayed: string[] = [];
        for (let i = 0; i < op.count; i++) {
          const m = network.replayOldRequest(op.minAgeMs, op.maxAgeMs);
          // The client by its endpoint name (c7), as the diagrams label it; its 128-bit id would not fit a label.
          if (m) replayed.push(`${m.body.type} ${m.src}/${String(m.body.seq)} -> ${m.dest}`);
        }
        if (replayed.length === 0) return;
        label = `late replay: ${replayed.join(", ")}`;
        break;
      }
      case "clock":
        target.setClock(op.node, op.offsetMs, op.drift);
        nodes = [op.node];
        break;
      case "heal":
        this.healAll();
        nodes = [...target.nodeIds];
        break;
    }
    this.record(label, nodes, endsFault(op));
  }

  /** Undo every fault: network quiet, killed nodes restarted, paused nodes resumed, clocks reset. */
  healAll(): void {
    const { network, target } = this.opts;
    network.faults.partition = null;
    network.faults.duplicateProbability = 0;
    network.faults.loseReplyProbability = 0;
    network.faults.lossProbability = 0;
    network.faults.latencyFactor = 1;
    for (const [slot, node] of [...this.slots]) {
      if (slot.startsWith("k")) target.restart(node);
      else target.resume(node);
      this.slots.delete(slot);
    }
    target.resetClocks();
  }

  private record(label: string, nodes: string[], ends: boolean): void {
    const atMs = this.opts.timeline.now();
    const fault: AppliedFault = { atMs, label, nodes, ends };
    this.applied.push(fault);
    this.opts.trace.fault(atMs, label, nodes);
    this.opts.onFault?.(fault);
  }
}
