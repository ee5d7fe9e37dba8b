/**
 * The peer handshake of the TCP shell: mutual challenge-response with
 * HMAC-SHA256 over two fresh nonces, keyed by the cluster secret, which never
 * travels. Lines, in order, on the connection the dialing node opened:
 *
 *   dialer   -> {"type":"peer_hello","node":D,"nonce":Nd}
 *   acceptor -> {"type":"peer_challenge","node":A,"nonce":Na,"proof":HMAC(k, acceptor|A|D|Nd|Na)}
 *   dialer   -> {"type":"peer_auth","proof":HMAC(k, dialer|D|A|Nd|Na)}
 *   acceptor -> {"type":"peer_auth_ok"}
 *
 * Each side's proof covers both nonces, both node ids and its role, so a
 * proof seen on one connection is worth nothing on another (replay), cannot
 * be reflected back, and cannot be used for another node id. Proofs are
 * compared in constant time. Only after `peer_auth_ok` does the dialer send
 * Raft messages; the acceptor takes them from that connection only, and only
 * with `src` equal to the proven id.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { SchemaTable } from "@dslab/protocol";

export const HANDSHAKE_TYPES = ["peer_hello", "peer_challenge", "peer_auth", "peer_auth_ok"] as const;

/** Schemas of the handshake bodies (the shell decodes them like any line). */
export const handshakeSchemas: SchemaTable = {
  peer_hello: { node: { kind: "string" }, nonce: { kind: "string" } },
  peer_challenge: { node: { kind: "string" }, nonce: { kind: "string" }, proof: { kind: "string" } },
  peer_auth: { proof: { kind: "string" } },
  peer_auth_ok: {},
};

export function isHandshakeType(type: string): boolean {
  return (HANDSHAKE_TYPES as readonly string[]).includes(type);
}

/** 32 random bytes as hex. */
export function newNonce(): string {
  return randomBytes(32).toString("hex");
}

const NONCE = /^[0-9a-f]{64}$/;

export function isNonce(value: string): boolean {
  return NONCE.test(value);
}

export interface ProofInput {
  role: "dialer" | "acceptor";
  /** The node that computes the proof. */
  self: string;
  /** The node it proves itself to. */
  other: string;
  dialerNonce: string;
  acceptorNonce: string;
}

export function proof(secret: Buffer, p: ProofInput): string {
  return createHmac("sha256", secret)
    .update(["dslab-peer-auth-v1", p.role, p.self, p.other, p.dialerNonce, p.acceptorNonce].join("\n"))
    .digest("hex");
}

/** Whether `received` is the proof `expected` describes (constant time in the proof's content). */
export function verifyProof(secret: Buffer, expected: ProofInput, received: string): boolean {
  const want = Buffer.from(proof(secret, expected), "hex");
  const got = /^[0-9a-f]{64}$/.test(received) ? Buffer.from(received, "hex") : Buffer.alloc(0);
  return got.length === want.length && timingSafeEqual(got, want);
}
