/**
 * The one line kv says on stderr when no node given could be connected to:
 * the same for an operation and for `kv status`.
 */
export function cannotReachAnyNode(host: string, ports: readonly number[]): string {
  return `kv: cannot reach any node (is \`kv-cluster start\` running?): could not connect to ${host} port${ports.length > 1 ? "s" : ""} ${ports.join(", ")}`;
}
