/**
 * The self-service session routes (`GET /v1/sessions`,
 * `DELETE /v1/sessions/:session_id`, `POST /v1/sessions/revoke-others`).
 * Stub: filled by the session-routes work.
 */
import type { Route } from '../../shared/http/router.ts';

/** What the session routes need (filled by the session-routes work). */
export interface SessionRouteDeps {
  readonly placeholder?: never;
}

/** The session routes. */
export function sessionRoutes(_deps: SessionRouteDeps): Route[] {
  return [];
}
