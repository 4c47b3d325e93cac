import { IamError } from '../errors.ts';
import type { KeyRing, KeyStatus, PublicJwk } from '../ports.ts';

/** A JWK Set (RFC 7517 §5) of public signing keys. */
export interface Jwks {
  readonly keys: readonly PublicJwk[];
}

/** How long verifiers may cache the JWKS (`Cache-Control: max-age`). */
export const JWKS_MAX_AGE_SECONDS = 300;
/** How long past max-age a verifier may keep using it while it refetches (`stale-while-revalidate`). */
export const JWKS_STALE_WHILE_REVALIDATE_SECONDS = 60;
/**
 * The longest a verifier may rely on a JWKS it fetched: a key must be
 * published at least this long before it signs, and a retired key may still
 * be trusted this long after it leaves the set.
 */
export const JWKS_MAX_STALENESS_SECONDS = JWKS_MAX_AGE_SECONDS + JWKS_STALE_WHILE_REVALIDATE_SECONDS;

const ORDER: Readonly<Record<KeyStatus, number>> = { current: 0, next: 1, previous: 2, replica: 3 };

/**
 * The JWKS to publish: the current key first, then the next and the previous
 * ones, each once. Only public members are copied, so a private `d` handed in
 * by mistake can never be published.
 */
export async function buildJwks(keyRing: Pick<KeyRing, 'published'>): Promise<Jwks> {
  const published = [...(await keyRing.published())].sort((a, b) => ORDER[a.status] - ORDER[b.status]);
  if (published[0]?.status !== 'current') throw new IamError('server_error', 'the key ring has no current key');
  const keys: PublicJwk[] = [];
  const seen = new Set<string>();
  for (const { jwk } of published) {
    if (seen.has(jwk.kid)) continue;
    seen.add(jwk.kid);
    // RFC 7517 §4.2/§4.4: `use` and `alg` are published so verifiers can filter on them.
    keys.push({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, kid: jwk.kid, use: 'sig', alg: 'ES256' });
  }
  return { keys };
}
