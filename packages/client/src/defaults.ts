/**
 * The client's default bounds, in a module of their own (no imports) so that
 * `kv --help` can print them without loading the client.
 */

/** The defaults, as the course teaches them: at most 5 retries, backoff from 100 ms doubling to a 5 s cap (DEFAULT_BACKOFF). */
export const CLIENT_DEFAULTS = {
  attemptTimeoutMs: 1_000,
  maxRetries: 5,
  maxRedirects: 8,
  maxTotalMs: 30_000,
};
