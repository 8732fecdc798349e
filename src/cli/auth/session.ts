/**
 * The signed-in CLI session as a token provider for the SDK: the cached access token while it is
 * fresh, else a silent refresh (rotated refresh token saved) or, for app-only, a new client
 * credentials token. A refused refresh means the CLI's own sign-in was revoked or expired: that
 * becomes the one sentence telling the user to log in again, never a stack trace.
 */
import type { TokenProvider } from '../../sdk/index.js';
import { CliError, EXIT, SIGNED_OUT_SENTENCE } from '../cli-error.js';
import { OAuthError, clientCredentials, redeemRefreshToken, type TokenResponse } from './oauth.js';
import { readSession, writeSession, type CachedSession } from './token-cache.js';

/** Refresh a little before expiry, so a token does not expire on its way to the server. */
const EARLY_MS = 120_000;

export async function requireSession(env: NodeJS.ProcessEnv): Promise<CachedSession> {
  const session = await readSession(env);
  if (!session) throw new CliError("not signed in; run 'portcullis login --server URL' first", EXIT.SIGNED_OUT);
  return session;
}

export function applyTokens(session: CachedSession, t: TokenResponse): CachedSession {
  return {
    ...session,
    accessToken: t.access_token,
    expiresAt: Date.now() + Number(t.expires_in) * 1000,
    // Entra may or may not rotate; keep the old one when no new one came back.
    refreshToken: t.refresh_token ?? session.refreshToken,
  };
}

async function renew(session: CachedSession): Promise<TokenResponse> {
  try {
    if (session.kind === 'app') {
      if (!session.clientSecret) throw new CliError(SIGNED_OUT_SENTENCE, EXIT.SIGNED_OUT);
      return await clientCredentials(session.tokenEndpoint, session.clientId, session.clientSecret, session.scope);
    }
    if (!session.refreshToken) throw new CliError(SIGNED_OUT_SENTENCE, EXIT.SIGNED_OUT);
    return await redeemRefreshToken(session.tokenEndpoint, session.clientId, session.refreshToken, session.scope);
  } catch (e) {
    // invalid_grant (AADSTS50173 revoked, 700082 expired, 50057 disabled) or a rotated-away secret.
    if (e instanceof OAuthError && ['invalid_grant', 'invalid_client', 'unauthorized_client', 'interaction_required'].includes(e.error)) {
      throw new CliError(SIGNED_OUT_SENTENCE, EXIT.SIGNED_OUT);
    }
    throw e;
  }
}

/** A TokenProvider over the cached session; it re-saves the session after every renewal. */
export function sessionTokenProvider(env: NodeJS.ProcessEnv, initial: CachedSession): TokenProvider {
  let session = initial;
  let renewing: Promise<string> | null = null;
  return async ({ forceRefresh }) => {
    if (!forceRefresh && session.expiresAt - EARLY_MS > Date.now()) return session.accessToken;
    // Concurrent callers (bulk batches in flight) share one renewal: a rotated refresh token
    // must be redeemed once, or the second redemption would revoke the family (RFC 9700 §4.14.2).
    renewing ??= (async () => {
      try {
        session = applyTokens(session, await renew(session));
        await writeSession(env, session);
        return session.accessToken;
      } finally {
        renewing = null;
      }
    })();
    return renewing;
  };
}
