/**
 * The refresh grant (`POST /v1/token`, `grant_type=refresh_token`) and RFC
 * 7009 revocation (`POST /v1/revoke`). Stub while the use cases land.
 */
import type { Route } from '../../shared/http/router.ts';

/** What the token routes of the refresh function need. */
export interface TokenRefreshRouteDeps {
  readonly placeholder?: never;
}

/** The refresh and revoke routes. */
export function tokenRefreshRoutes(_deps: TokenRefreshRouteDeps): Route[] {
  return [];
}
