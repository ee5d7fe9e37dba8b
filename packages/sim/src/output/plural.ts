/** A count and its noun, in the singular for one: `plural(1, "node")` is "1 node", `plural(3, "node")` "3 nodes". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
