/**
 * The HTTP front's bounds, apart from the server so that `kv-cluster --help`
 * can print them without loading the front.
 */

/** HTTP connections a front keeps open at once (idle keep-alive ones included). */
export const DEFAULT_MAX_HTTP_CONNECTIONS = 1024;
