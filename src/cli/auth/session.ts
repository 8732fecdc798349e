/**
 * The signed-in CLI session as a token provider for the SDK: the cached access token while it is
 * fresh, else a silent refresh (rotated refresh token saved) or, for app-only, a new client
 * credentials token. A refused refresh means the CLI's own sign-in was revoked or expired: that
 * becomes the one sentence telling the user to log in again, never a stack trace.
 */
import type { TokenProvider } from '../../sdk/index.js';
import { CliError, EXIT, SIGNED_OUT_SENTENCE } from '../cli-error.js';
import { OAuthError, clientCredentials, redeemRefreshToken, type TokenResponse } from './oauth.js';
import { withProfileLock } from './profile-lock.js';
import { readProfileSettings } from './profiles.js';
import { readSession, writeSession, type CachedSession } from './token-cache.js';

/** Refresh a little before expiry, so a token does not expire on its way to the server. */
const EARLY_MS = 120_000;

export async function requireSession(env: NodeJS.ProcessEnv): Promise<CachedSession> {
  const session = await readSession(env);
  if (!session) {
    // A profile that signed in before remembers its server (commands/login.ts).
    const known = (await readProfileSettings(env)) !== null;
    throw new CliError(`not signed in; run '${loginCommand(env, known ? '' : ' --server URL')}' first`, EXIT.SIGNED_OUT);
  }
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

const fresh = (s: CachedSession) => s.expiresAt - EARLY_MS > Date.now();

/** The login command for this profile, e.g. `portcullis login --profile work`. */
export function loginCommand(env: NodeJS.ProcessEnv, more = ''): string {
  const profile = env.PORTCULLIS_PROFILE?.trim();
  return `portcullis login${profile && profile !== 'default' ? ` --profile ${profile}` : ''}${more}`;
}

/**
 * Under the profile's lock (auth/profile-lock.ts), the session as saved now — another process may
 * have renewed it while this one waited — and a renewal only if that one is still not usable.
 * `stale` is the access token the server refused, if any: a saved token other than it is newer.
 */
async function renewLocked(env: NodeJS.ProcessEnv, mine: CachedSession, stale: string | null): Promise<CachedSession> {
  return withProfileLock(env, async () => {
    const saved = (await readSession(env)) ?? mine;
    const renewedElsewhere = saved.accessToken !== mine.accessToken && saved.accessToken !== stale;
    if (renewedElsewhere && fresh(saved)) return saved;
    const next = applyTokens(saved, await renew(saved));
    await writeSession(env, next);
    return next;
  });
}

/** A TokenProvider over the cached session; it re-saves the session after every renewal. */
export function sessionTokenProvider(env: NodeJS.ProcessEnv, initial: CachedSession): TokenProvider {
  let session = initial;
  let renewing: Promise<string> | null = null;
  return async ({ forceRefresh }) => {
    if (!forceRefresh && fresh(session)) return session.accessToken;
    // Concurrent callers (bulk batches in flight) share one renewal: a rotated refresh token
    // must be redeemed once, or the second redemption would revoke the family (RFC 9700 §4.14.2).
    renewing ??= (async () => {
      try {
        session = await renewLocked(env, session, forceRefresh ? session.accessToken : null);
        return session.accessToken;
      } finally {
        renewing = null;
      }
    })();
    return renewing;
  };
}
