/**
 * The logout token of OpenID Connect Back-Channel Logout 1.0 §2.4: a JWT, explicitly typed
 * `logout+jwt` (§2.4, RFC 8725 §3.11), signed with the tenant's current key like the ID tokens
 * the relying party already validates.
 */
import { LOGOUT_TOKEN_SECONDS } from '../config.js';

export { LOGOUT_TOKEN_SECONDS };
export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
export const LOGOUT_TOKEN_TYPE = 'logout+jwt';

export function logoutTokenClaims(args: {
  issuer: string;
  clientId: string;
  /** The same pairwise `sub` as in this application's ID tokens. */
  sub: string;
  sid: string | null;
  /** Stable across retries of one delivery, so the receiver can drop duplicates (Back-Channel Logout 1.0 §2.6). */
  jti: string;
  nowSeconds: number;
}): Record<string, unknown> {
  // §2.4: iss, aud, iat, exp, jti, events, and sub and/or sid; a nonce MUST NOT be present.
  return {
    iss: args.issuer,
    aud: args.clientId,
    iat: args.nowSeconds,
    exp: args.nowSeconds + LOGOUT_TOKEN_SECONDS,
    jti: args.jti,
    sub: args.sub,
    ...(args.sid ? { sid: args.sid } : {}),
    events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
  };
}
