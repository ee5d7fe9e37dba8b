/**
 * The HTTP front with Idempotency-Key. `kv-cluster start/node
 * --http-port P` calls `startHttpFront` once per node.
 */
export { startHttpFront, HttpFrontServer, type HttpFront, type HttpFrontOptions } from "./server.js";
export { DEFAULT_MAX_HTTP_CONNECTIONS } from "./bounds.js";
export { toHttp, type HttpResponse } from "./responses.js";
export { route, matchPath, type PathMatch, type Route, type RouteResult } from "./routes.js";
export { fingerprint, parseIdempotencyKey, MAX_IDEMPOTENCY_KEY_LENGTH } from "./idempotency-key.js";
