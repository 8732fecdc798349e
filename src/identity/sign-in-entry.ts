import type { FastifyRequest } from 'fastify';
import { GRAPH_RESOURCE_APP_ID } from '../core/permissions.js';
import type { SignIn } from '../core/sign-in.js';
import type { ClientAttempt } from './client-auth.js';
import { newGuid } from '../crypto/random.js';
import type { Services } from '../services.js';
import { correlationIdOf } from './error-response.js';
import { AADSTS, type OAuthError } from './oauth-errors.js';
import { passwordRefusalError, type PasswordCheck } from './password-sign-in.js';

/** How the user signed in; decides isInteractive, clientAppUsed and authenticationProtocol. */
export type SignInWay =
  /** The password on the sign-in page, or an SSO cookie honoured at /authorize. */
  | 'browser'
  /** The device sign-in page: a password refused there, or the approval. */
  | 'deviceCode'
  /** The ROPC grant (a password sent to /token). */
  | 'ropc'
  /** A refresh-token redemption: non-interactive. */
  | 'refresh'
  /** A client-credentials (app-only) token request: a service principal's sign-in, no user. */
  | 'servicePrincipal';

const WAYS: Record<SignInWay, Pick<SignIn, 'isInteractive' | 'clientAppUsed' | 'authenticationProtocol'>> = {
  browser: { isInteractive: true, clientAppUsed: 'Browser', authenticationProtocol: 'oAuth2' },
  deviceCode: { isInteractive: true, clientAppUsed: 'Browser', authenticationProtocol: 'deviceCode' },
  ropc: { isInteractive: true, clientAppUsed: 'Mobile Apps and Desktop clients', authenticationProtocol: 'ropc' },
  refresh: { isInteractive: false, clientAppUsed: 'Mobile Apps and Desktop clients', authenticationProtocol: 'oAuth2' },
  servicePrincipal: { isInteractive: false, clientAppUsed: 'Mobile Apps and Desktop clients', authenticationProtocol: 'oAuth2' },
};

/** Longest User-Agent kept: enough for every browser's, bounded for a hostile one. */
const MAX_USER_AGENT = 512;

/**
 * One sign-in log entry from the request that made the attempt: the client address by the
 * trusted-proxy rule (req.ip, src/app.ts) unless IP recording is off, the User-Agent, and the
 * correlation id the client was answered with. `user` may be a bare id (a refused refresh token
 * whose user the store did not read): the recorder fills in the names. Every Graph permission is
 * Microsoft Graph's, so that is the resource.
 */
export function signInEntry(
  req: FastifyRequest,
  services: Services,
  a: {
    user: { id: string; tenantId: string; userPrincipalName?: string; displayName?: string };
    app: { appId: string; displayName: string };
    how: SignInWay;
    error: OAuthError | null;
  },
): SignIn {
  const ua = req.headers['user-agent'];
  return {
    id: newGuid(),
    tenantId: a.user.tenantId,
    createdAt: services.clock.now(),
    userId: a.user.id,
    userPrincipalName: a.user.userPrincipalName ?? '',
    userDisplayName: a.user.displayName ?? '',
    appId: a.app.appId,
    appDisplayName: a.app.displayName,
    ipAddress: services.config.signIns.recordIpAddress ? req.ip : null,
    userAgent: typeof ua === 'string' && ua !== '' ? ua.slice(0, MAX_USER_AGENT) : null,
    ...WAYS[a.how],
    correlationId: correlationIdOf(req),
    errorCode: a.error ? a.error.aadsts : 0,
    failureReason: a.error ? a.error.description : null,
    resourceId: GRAPH_RESOURCE_APP_ID,
    resourceDisplayName: 'Microsoft Graph',
  };
}

/**
 * A client-credentials request's entry (Graph's servicePrincipal sign-in): the client as far as
 * `attempt` got (an unknown client id, AADSTS700016, is logged with it as appId and an empty
 * servicePrincipalId), the resource once the scope named one (null before), no user. Null when
 * the request never named a well-formed client id: nobody to log against.
 */
export function servicePrincipalEntry(
  req: FastifyRequest,
  services: Services,
  a: { attempt: ClientAttempt; resource: { id: string; displayName: string } | null; error: OAuthError | null },
): SignIn | null {
  const app = a.attempt.app;
  const appId = app?.appId ?? a.attempt.clientId;
  if (appId === undefined) return null;
  const nobody = { id: '', tenantId: services.tenant.id, userPrincipalName: '', displayName: '' };
  const entry = signInEntry(req, services, {
    user: nobody,
    app: { appId, displayName: app?.displayName ?? '' },
    how: 'servicePrincipal',
    error: a.error,
  });
  entry.resourceId = a.resource?.id ?? null;
  entry.resourceDisplayName = a.resource?.displayName ?? null;
  entry.servicePrincipal = {
    id: app?.appId ?? '',
    name: app?.displayName ?? '',
    clientCredentialType: a.attempt.secretPresented ? 'clientSecret' : 'none',
    credentialKeyId: a.attempt.keyId ?? null,
  };
  return entry;
}

/** The longest user name typed that a log entry keeps (a userPrincipalName has at most 113 characters). */
const MAX_TYPED_NAME = 256;

/**
 * A refused password attempt's entry: against the account when it exists (the AADSTS code it was
 * refused with); for a user name that does not exist, an entry with an empty userId, the name as
 * typed and AADSTS50034, as Entra logs it
 * (https://learn.microsoft.com/entra/identity-platform/reference-error-codes). The client is still
 * answered 50126, the answer of a wrong password, so it cannot tell which accounts exist; the
 * log is for administrators. A refusal of the source address alone (no account read) has none.
 */
export function refusedPasswordEntry(
  req: FastifyRequest,
  services: Services,
  a: { checked: Extract<PasswordCheck, { ok: false }>; username: string; app: { appId: string; displayName: string }; how: SignInWay },
): SignIn | null {
  const { checked } = a;
  if (checked.user)
    return signInEntry(req, services, { user: checked.user, app: a.app, how: a.how, error: passwordRefusalError(checked.reason) });
  if (checked.reason !== 'bad_credentials') return null;
  // Typed by anyone: bounded, and without what PostgreSQL text cannot hold (U+0000, lone surrogates).
  const typed = a.username.slice(0, MAX_TYPED_NAME).replace(/\p{Cs}|\u0000/gu, '\uFFFD');
  const unknown = { id: '', tenantId: services.tenant.id, userPrincipalName: typed, displayName: '' };
  return signInEntry(req, services, { user: unknown, app: a.app, how: a.how, error: AADSTS.userGone() });
}
