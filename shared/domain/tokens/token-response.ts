/** The token body of `POST /v1/login`, `/v1/magic-link/redeem`, `/v1/mfa/verify` and `/v1/token` (SPEC section 3). */
import { ACCESS_TOKEN_TTL_SECONDS } from './mint-access-token.ts';

/** `200 {access_token, token_type:"Bearer", expires_in:900, refresh_token, session_id}`. */
export interface TokenResponse {
  readonly access_token: string;
  readonly token_type: 'Bearer';
  readonly expires_in: typeof ACCESS_TOKEN_TTL_SECONDS;
  readonly refresh_token: string;
  readonly session_id: string;
}

/** Builds the token body. */
export function tokenResponse(accessToken: string, refreshToken: string, sessionId: string): TokenResponse {
  return {
    access_token: accessToken,
    token_type: 'Bearer',
    expires_in: ACCESS_TOKEN_TTL_SECONDS,
    refresh_token: refreshToken,
    session_id: sessionId,
  };
}
