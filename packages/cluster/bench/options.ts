/** Option checks the cluster's benches share. */

/**
 * A whole number of at least `min` from option `--name`, or the bench stops
 * with a usage error (exit 2) that names the option and what it got.
 */
export function wholeNumber(bench: string, name: string, text: string, min: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < min) {
    console.error(`${bench}: --${name} must be a whole number of at least ${min}; got ${JSON.stringify(text)}`);
    process.exit(2);
  }
  return n;
}
