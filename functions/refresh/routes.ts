/**
 * The route registry of the `refresh` function: the token routes
 * (`POST /v1/token` with `grant_type=refresh_token`, `POST /v1/revoke`, in
 * `token-routes.ts`) and the self-service session routes (`/v1/sessions…`, in
 * `session-routes.ts`). Each module owns its deps; `index.ts` builds both.
 */
import type { Route } from '../../shared/http/router.ts';
import { sessionRoutes, type SessionRouteDeps } from './session-routes.ts';
import { tokenRefreshRoutes, type TokenRefreshRouteDeps } from './token-routes.ts';

/** What the `refresh` function's routes need; a group without deps is not served. */
export interface RefreshFunctionDeps {
  /** The refresh grant and RFC 7009 revocation. */
  readonly token?: TokenRefreshRouteDeps;
  /** The self-service session routes. */
  readonly sessions?: SessionRouteDeps;
}

/** Every route of the `refresh` function. */
export function refreshFunctionRoutes(deps: RefreshFunctionDeps): Route[] {
  return [
    ...(deps.token === undefined ? [] : tokenRefreshRoutes(deps.token)),
    ...(deps.sessions === undefined ? [] : sessionRoutes(deps.sessions)),
  ];
}
