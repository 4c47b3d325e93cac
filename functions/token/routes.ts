/**
 * The routes of the `token` function, framework-free so tests call them
 * directly. `index.ts` registers them: the JWKS and discovery documents, and,
 * given `login` deps, `POST /v1/login`, `POST /v1/magic-link` and
 * `POST /v1/magic-link/redeem` (docs/api.md).
 */
import { buildDiscovery, DISCOVERY_PATH, JWKS_PATH } from '../../shared/domain/keys/build-discovery.ts';
import { buildJwks, JWKS_MAX_AGE_SECONDS, JWKS_STALE_WHILE_REVALIDATE_SECONDS } from '../../shared/domain/keys/build-jwks.ts';
import type { KeyRing } from '../../shared/domain/ports.ts';
import type { Handler } from '../../shared/http/types.ts';
import type { Route } from '../../shared/http/router.ts';
import { loginHandler, type LoginRouteDeps } from './login.ts';
import { magicLinkHandler, magicLinkRedeemHandler, type MagicLinkRouteDeps } from './magic-link.ts';

/** What the token routes need. */
export interface TokenRouteDeps {
  readonly keyRing: KeyRing;
  /** `config.issuer`: the `iss` of tokens and the base of every endpoint. */
  readonly issuer: string;
  /** The login and magic-link routes' deps; without them only the documents are served. */
  readonly login?: LoginRouteDeps & MagicLinkRouteDeps;
}

/** The paths of the login routes. */
export const LOGIN_PATH = '/v1/login';
/** Where a magic link is requested. */
export const MAGIC_LINK_PATH = '/v1/magic-link';
/** Where a magic link is redeemed. */
export const MAGIC_LINK_REDEEM_PATH = '/v1/magic-link/redeem';

/**
 * Verifiers may cache the key set 5 minutes, and keep using it 1 more minute
 * while they refetch. Rotation publishes the next key long before it signs
 * (at least this long, see `rotateKeys`), so no verifier meets an unknown
 * kid; and a key retired in an emergency is trusted at most 6 minutes more.
 */
export const JWKS_CACHE_CONTROL = `public, max-age=${JWKS_MAX_AGE_SECONDS}, stale-while-revalidate=${JWKS_STALE_WHILE_REVALIDATE_SECONDS}`;

/** The discovery document changes only with a deploy. */
export const DISCOVERY_CACHE_CONTROL = 'public, max-age=3600';

/** `GET /.well-known/jwks.json`: the current, next and previous public keys. */
export function jwksHandler(deps: Pick<TokenRouteDeps, 'keyRing'>): Handler {
  return async () => ({
    status: 200,
    headers: { 'cache-control': JWKS_CACHE_CONTROL },
    body: await buildJwks(deps.keyRing),
  });
}

/** `GET /.well-known/openid-configuration`: the discovery document, built once. */
export function discoveryHandler(deps: Pick<TokenRouteDeps, 'issuer'>): Handler {
  const body = buildDiscovery(deps.issuer);
  return async () => ({ status: 200, headers: { 'cache-control': DISCOVERY_CACHE_CONTROL }, body });
}

/** Every route of the token function. */
export function tokenRoutes(deps: TokenRouteDeps): Route[] {
  const routes: Route[] = [
    { method: 'GET', path: JWKS_PATH, handler: jwksHandler(deps) },
    { method: 'GET', path: DISCOVERY_PATH, handler: discoveryHandler(deps) },
  ];
  if (deps.login !== undefined) {
    routes.push(
      { method: 'POST', path: LOGIN_PATH, handler: loginHandler(deps.login) },
      { method: 'POST', path: MAGIC_LINK_PATH, handler: magicLinkHandler(deps.login) },
      { method: 'POST', path: MAGIC_LINK_REDEEM_PATH, handler: magicLinkRedeemHandler(deps.login) },
    );
  }
  return routes;
}
