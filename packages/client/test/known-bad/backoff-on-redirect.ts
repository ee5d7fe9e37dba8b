/**
 * Known-bad: a redirect (error 11 naming the leader) is treated like "no
 * leader": the client backs off before it goes to the leader, and counts it
 * as a retry. Nothing is applied twice; every redirect costs a backoff.
 */
import { classify, KvClient, type ClientOptions, type RetryRule } from "../../src/index.js";

export const classifyWithBackoffOnRedirect: ClientOptions["classify"] = (result, ctx): RetryRule => {
  const rule = classify(result, ctx);
  return rule.id === "redirect" ? { ...rule, action: "retry-same" } : rule;
};

export function createClient(options: ClientOptions): KvClient {
  return new KvClient({ ...options, classify: classifyWithBackoffOnRedirect });
}
