/**
 * Opaque tokens: refresh tokens, `mfa_token`s and magic-link tokens.
 *
 * Form: `<kind>.<tenant_id>.<secret>`, where the secret is 256 random bits in
 * base64url (43 characters). The tenant id routes a request that carries only
 * the token (`POST /v1/token`, `/v1/mfa/verify`, `/v1/magic-link/redeem`) to
 * its region's database; the kind prefix keeps one kind from being taken for
 * another and lets secret scanners recognise leaked tokens. Only the SHA-256
 * of the whole string is stored; the value never is.
 */
import { base64urlEncode } from '../keys/base64url.ts';
import type { Random } from '../ports.ts';
import { TenantIdSchema } from '../tenants/tenant.ts';
import * as v from 'valibot';

/** The kinds of opaque token. */
export type OpaqueTokenKind = 'rt' | 'mfa' | 'ml';

/** The random bytes of every opaque token: 256 bits. */
export const OPAQUE_TOKEN_BYTES = 32;

const FORM = /^(rt|mfa|ml)\.([a-z0-9-]{1,63})\.([A-Za-z0-9_-]{43})$/;

/** A freshly made token: the value for the client and the hash to store. */
export interface IssuedOpaqueToken {
  readonly token: string;
  readonly hash: string;
}

/** Makes a new opaque token of `kind` for `tenantId`. */
export async function issueOpaqueToken(random: Random, kind: OpaqueTokenKind, tenantId: string): Promise<IssuedOpaqueToken> {
  const bytes = random.bytes(OPAQUE_TOKEN_BYTES);
  if (bytes.length !== OPAQUE_TOKEN_BYTES) throw new Error(`Random returned ${bytes.length} bytes, not ${OPAQUE_TOKEN_BYTES}`);
  const token = `${kind}.${tenantId}.${base64urlEncode(bytes)}`;
  return { token, hash: await hashOpaqueToken(token) };
}

/**
 * Reads the tenant out of a token of `kind`, or `undefined` when the string is
 * not such a token (wrong kind, malformed). Says nothing about validity: only
 * a stored hash does.
 */
export function parseOpaqueToken(token: string, kind: OpaqueTokenKind): { readonly tenantId: string } | undefined {
  const m = FORM.exec(token);
  if (m === null || m[1] !== kind) return undefined;
  const tenantId = m[2] as string;
  return v.is(TenantIdSchema, tenantId) ? { tenantId } : undefined;
}

/**
 * The stored form of a token: base64url SHA-256 of its UTF-8 bytes. A plain
 * hash suffices: the input has 256 bits of entropy, so it cannot be guessed
 * from the hash (unlike a password).
 */
export async function hashOpaqueToken(token: string): Promise<string> {
  return sha256base64url(token);
}

/** base64url SHA-256 of a string's UTF-8 bytes (Web Crypto, a platform built-in). */
export async function sha256base64url(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return base64urlEncode(new Uint8Array(digest));
}
