/**
 * OAuth 2.0 errors of the identity surface. Each class fixes the wire `error` code and HTTP
 * status (RFC 6749 §5.2); each instance carries the AADSTS number and text Entra uses
 * (https://learn.microsoft.com/entra/identity-platform/reference-error-codes), and optionally Entra's `suberror`.
 */
export abstract class OAuthError extends Error {
  abstract readonly error: string;
  readonly status: number = 400;
  constructor(
    readonly aadsts: number,
    readonly description: string,
    readonly suberror?: string,
  ) {
    super(`AADSTS${aadsts}: ${description}`);
  }
}

export class InvalidRequest extends OAuthError {
  readonly error = 'invalid_request';
}
export class InvalidGrant extends OAuthError {
  readonly error = 'invalid_grant';
}
export class InvalidClient extends OAuthError {
  readonly error = 'invalid_client';
  override readonly status = 401;
}
export class UnauthorizedClient extends OAuthError {
  readonly error = 'unauthorized_client';
}
export class UnsupportedGrantType extends OAuthError {
  readonly error = 'unsupported_grant_type';
}
export class UnsupportedResponseType extends OAuthError {
  readonly error = 'unsupported_response_type';
}
export class InvalidScope extends OAuthError {
  readonly error = 'invalid_scope';
}
/** Entra's error for a resource it cannot find (AADSTS500011); not in RFC 6749 but sent on the wire. */
export class InvalidResource extends OAuthError {
  readonly error = 'invalid_resource';
}
export class ConsentRequired extends OAuthError {
  readonly error = 'consent_required';
}
export class LoginRequired extends OAuthError {
  readonly error = 'login_required';
}
export class InteractionRequired extends OAuthError {
  readonly error = 'interaction_required';
}
export class AuthorizationPending extends OAuthError {
  readonly error = 'authorization_pending';
}
export class AuthorizationDeclined extends OAuthError {
  readonly error = 'authorization_declined';
}
export class ExpiredToken extends OAuthError {
  readonly error = 'expired_token';
}
export class SlowDown extends OAuthError {
  readonly error = 'slow_down';
}
export class AccessDenied extends OAuthError {
  readonly error = 'access_denied';
}
/** RFC 7009 §2.2.1: the server does not support revoking this type of token. */
export class UnsupportedTokenType extends OAuthError {
  readonly error = 'unsupported_token_type';
}
export class ServerError extends OAuthError {
  readonly error = 'server_error';
  override readonly status = 500;
}
/**
 * RFC 6749 §5.2 / Entra's token error table (https://learn.microsoft.com/entra/identity-platform/reference-error-codes): the server is temporarily unable
 * to handle the request; clients retry. Sent with 503 and Retry-After (RFC 9110 §10.2.3), which
 * MSAL honours (x-ms-lib-capability=retry-after; error table: https://learn.microsoft.com/entra/identity-platform/reference-error-codes).
 */
export class TemporarilyUnavailable extends OAuthError {
  readonly error = 'temporarily_unavailable';
  override readonly status: number = 503;
  constructor(
    aadsts: number,
    description: string,
    readonly retryAfterSeconds: number,
  ) {
    super(aadsts, description);
  }
}

/**
 * Too many failed attempts from this client or source (client-secret and device-code guessing,
 * core/lockout.ts): 429 Too Many Requests with Retry-After (RFC 6585 §4), which MSAL honours like
 * a 503. The OAuth `error` stays `temporarily_unavailable`, the closest RFC 6749 code.
 */
export class Throttled extends TemporarilyUnavailable {
  override readonly status = 429;
}

/** A duration as .NET writes a TimeSpan: `[d.]hh:mm:ss`. */
function timeSpan(totalSeconds: number): string {
  const two = (n: number) => String(n).padStart(2, '0');
  const days = Math.floor(totalSeconds / 86400);
  const rest = `${two(Math.floor((totalSeconds % 86400) / 3600))}:${two(Math.floor((totalSeconds % 3600) / 60))}:${two(totalSeconds % 60)}`;
  return days > 0 ? `${days}.${rest}` : rest;
}

/** Entra's texts, in one place so tests and docs/identity-endpoints.md ("Errors") can check them. */
export const AADSTS = {
  tenantNotFound: (t: string) =>
    new InvalidRequest(
      90002,
      `Tenant '${t}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
    ),
  missingParameter: (name: string) => new InvalidRequest(900144, `The request body must contain the following parameter: '${name}'.`),
  missingQueryParameter: (name: string) => new InvalidRequest(900144, `The request must contain the following parameter: '${name}'.`),
  /** A parameter holding U+0000: no OAuth value legitimately does, and the store could not hold it. */
  malformedParameter: (name: string) =>
    new InvalidRequest(
      9002313,
      `Invalid request. Request is malformed or invalid. The parameter '${name.slice(0, 100)}' contains a character that is not allowed.`,
    ),
  duplicateParameter: (name: string) =>
    new InvalidRequest(90015, `Requested query string is too long or contains the parameter '${name}' more than once.`),
  malformedBody: () =>
    new InvalidRequest(900144, 'The request body must be application/x-www-form-urlencoded and contain the request parameters.'),
  bodyTooLarge: () => new InvalidRequest(90014, 'The request body is too large.'),
  unknownClient: (clientId: string, tenant: string) =>
    new UnauthorizedClient(
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.`,
    ),
  invalidClientId: (clientId: string) => new InvalidRequest(700038, `${clientId} is not a valid application identifier.`),
  clientSecretRequired: () =>
    new InvalidClient(7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."),
  /** https://learn.microsoft.com/entra/identity-platform/reference-error-codes: InvalidClientCredentialExpired. */
  expiredClientSecret: (appId: string) =>
    new InvalidClient(
      7000222,
      `The provided client secret keys for app '${appId}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.`,
    ),
  invalidClientSecret: (appId: string) =>
    new InvalidClient(
      7000215,
      `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${appId}'.`,
    ),
  unsupportedGrantType: (g: string) => new UnsupportedGrantType(70003, `The app requested an unsupported grant type '${g}'.`),
  redirectUriMismatch: (uri: string, appId: string) =>
    new InvalidRequest(
      50011,
      `The redirect URI '${uri}' specified in the request does not match the redirect URIs configured for the application '${appId}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal.`,
    ),
  invalidScope: (scope: string) =>
    new InvalidScope(
      70011,
      `The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope ${scope} is not valid.`,
    ),
  /** AADSTS70011 for a scope whose resource part is neither a URI nor a GUID. */
  invalidScopeFormat: (scope: string) =>
    new InvalidScope(
      70011,
      `The provided value for the input parameter 'scope' is not valid. The scope ${scope} is not valid. The scope format is invalid. Scope must be in a valid URI form <https://example/scope> or a valid Guid <guid/scope>.`,
    ),
  unknownResource: (resource: string, tenant: string) =>
    new InvalidResource(
      500011,
      `The resource principal named ${resource} was not found in the tenant named ${tenant}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
    ),
  /** AADSTS28000: a token request names permissions of two resources (a token has one audience). */
  multipleResources: (scopes: string) =>
    new InvalidScope(
      28000,
      `Provided value for the input parameter scope is not valid because it contains more than one resource. Scope ${scopes.slice(0, 300)} is not valid.`,
    ),
  /** AADSTS501051: client credentials for an API none of whose application roles the client holds. */
  appRoleNotAssigned: (client: { appId: string; displayName: string }, resource: { appId: string; displayName: string }) =>
    new InvalidGrant(
      501051,
      `Application '${client.appId}'(${client.displayName}) is not assigned to a role for the application '${resource.appId}'(${resource.displayName}).`,
    ),
  clientCredentialsScope: (scope: string) =>
    new InvalidScope(
      1002012,
      `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
    ),
  notConsented: (appId: string, scopes: string, appName?: string) =>
    new InvalidGrant(
      65001,
      `The user or administrator has not consented to use the application with ID '${appId}'${appName === undefined ? '' : ` named '${appName}'`}. Send an interactive authorization request for this user and resource. Missing permissions: ${scopes}.`,
      'consent_required',
    ),
  /** On-behalf-of (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-on-behalf-of-flow): the assertion is not one of our access tokens. */
  invalidAssertion: (reason: string) => new InvalidGrant(50013, `Assertion failed signature validation. [Reason - ${reason}]`),
  assertionAudience: (aud: string, appId: string) =>
    new InvalidGrant(
      50013,
      `Assertion audience does not match the Client app presenting the assertion. The audience in the assertion was '${aud.slice(0, 200)}' and the expected audience is '${appId}' or one of the Application Uris of this application with App ID '${appId}'.`,
    ),
  assertionExpired: (now: number, exp: number) =>
    new InvalidGrant(
      500133,
      `Assertion is not within its valid time range. Ensure that the access token is not expired before using it for user assertion, or request a new token. Current time: ${new Date(now).toISOString()}, expiry time of assertion ${new Date(exp * 1000).toISOString()}.`,
    ),
  idTokenAssertion: () => new InvalidGrant(240002, "Input id_token cannot be used as 'urn:ietf:params:oauth:grant-type:jwt-bearer' grant."),
  appOnlyAssertion: (appId: string) =>
    new UnauthorizedClient(
      7000114,
      `Application '${appId}' is not allowed to make application on-behalf-of calls: the assertion must be a user's access token.`,
    ),
  requestedTokenUse: () =>
    new InvalidRequest(
      900144,
      "The request body must contain the following parameter: 'requested_token_use' with the value 'on_behalf_of'.",
    ),
  pkceRequired: () =>
    new InvalidRequest(9002325, 'Proof Key for Code Exchange is required for this client (public clients and single-page applications).'),
  pkceMethod: () => new InvalidRequest(50123, "The code_challenge_method is not supported; use 'S256'."),
  pkceMismatch: () =>
    new InvalidGrant(50148, 'The code_verifier provided does not match the code_challenge supplied in the authorization request for PKCE.'),
  pkceVerifierMissing: () =>
    new InvalidRequest(50149, 'The code_verifier is required because a code_challenge was supplied in the authorization request.'),
  invalidCode: () =>
    new InvalidGrant(9002313, 'Invalid request. Request is malformed or invalid. The provided authorization code is invalid.'),
  codeRedeemed: () =>
    new InvalidGrant(
      54005,
      'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.',
    ),
  codeExpired: () =>
    new InvalidGrant(
      70008,
      'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.',
    ),
  codeRedirectMismatch: () => new InvalidGrant(70002, 'The redirect_uri does not match the one used in the authorization request.'),
  wrongClient: () => new InvalidGrant(70000, 'The provided authorization grant was issued to a different client.'),
  invalidRefreshToken: () =>
    new InvalidGrant(
      9002313,
      "Invalid request. Request is malformed or invalid. The provided value for the input parameter 'refresh_token' or 'assertion' is not valid.",
      'bad_token',
    ),
  refreshTokenReused: () =>
    new InvalidGrant(
      70000,
      'The provided refresh token has already been used; every token of this grant has been revoked (refresh token replay detection).',
      'bad_token',
    ),
  refreshTokenExpired: () =>
    new InvalidGrant(
      700082,
      'The refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.',
      'bad_token',
    ),
  /**
   * AADSTS700084 (https://learn.microsoft.com/entra/identity-platform/reference-error-codes): a SPA's refresh token outlived the fixed
   * lifetime of its grant. The lifetime is written as a .NET TimeSpan (`1.00:00:00`), as Entra does.
   * No suberror: msal-browser answers a bare invalid_grant with a silent iframe renewal.
   */
  spaRefreshTokenExpired: (lifetimeSeconds: number, issuedAt: number) =>
    new InvalidGrant(
      700084,
      `The refresh token was issued to a single page app (SPA), and therefore has a fixed, limited lifetime of ${timeSpan(lifetimeSeconds)}, which can't be extended. It is now expired and a new sign in request must be sent by the SPA to the sign in page. The token was issued on ${new Date(issuedAt).toISOString()}.`,
    ),
  /** AADSTS9002326: an Origin header (a browser page) on a redemption not bound to a `spa` redirect URI. */
  crossOriginNotSpa: (origin: string) =>
    new InvalidRequest(
      9002326,
      `Cross-origin token redemption is permitted only for the 'Single-Page Application' client-type. Request origin: '${origin}'.`,
    ),
  /** AADSTS9002327: a code or refresh token of a `spa` redirect URI redeemed without an Origin header. */
  spaNotCrossOrigin: () =>
    new InvalidRequest(
      9002327,
      "Tokens issued for the 'Single-Page Application' client-type may only be redeemed via cross-origin requests.",
    ),
  /** AADSTS50173: the text Entra returns after revokeSignInSessions (https://learn.microsoft.com/entra/identity-platform/reference-error-codes). */
  revoked: (issuedAt: number, validFrom: number | null) =>
    new InvalidGrant(
      50173,
      `The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. The grant was issued on '${new Date(issuedAt).toISOString()}' and the TokensValidFrom date (before which tokens are not valid) for this user is '${validFrom === null ? 'unknown' : new Date(validFrom).toISOString()}'.`,
      'bad_token',
    ),
  grantRevoked: () => new InvalidGrant(50173, 'The provided grant has been revoked, a fresh auth token is needed.', 'bad_token'),
  userDisabled: () => new InvalidGrant(50057, 'The user account is disabled.'),
  userGone: () => new InvalidGrant(50034, 'The user account does not exist in the directory.'),
  badCredentials: () => new InvalidGrant(50126, 'Error validating credentials due to invalid username or password.'),
  publicFlowsDisabled: () =>
    new InvalidClient(7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."),
  authorizationPending: () => new AuthorizationPending(70016, 'OAuth 2.0 device flow error. Authorization is pending. Continue polling.'),
  authorizationDeclined: () => new AuthorizationDeclined(70000, 'The user declined to authorize the device.'),
  deviceCodeExpired: () => new ExpiredToken(70019, 'Verification code expired.'),
  deviceCodeInvalid: () => new InvalidGrant(70000, "The provided value for the input parameter 'device_code' is not valid."),
  slowDown: () => new SlowDown(70016, 'The client is polling too quickly; slow down.'),
  loginRequired: () => new LoginRequired(50058, 'A silent sign-in request was sent but no user is signed in.'),
  /** A CAE claims challenge asks for tokens not before a time the SSO session predates (https://learn.microsoft.com/entra/identity-platform/claims-challenge). */
  sessionPredatesChallenge: () =>
    new InteractionRequired(
      50173,
      'The sign-in session was established before the time the claims challenge requires; the user must sign in again.',
    ),
  sessionRevoked: () => new InteractionRequired(50173, 'The session has been revoked; the user must sign in again.'),
  unsupportedResponseType: (t: string) =>
    new UnsupportedResponseType(700054, `response_type '${t}' is not enabled for the application; only 'code' is supported.`),
  unsupportedResponseMode: (m: string) =>
    new InvalidRequest(900561, `The response_mode '${m}' is not supported; use 'query', 'fragment' or 'form_post'.`),
  invalidPrompt: (p: string) =>
    new InvalidRequest(90023, `Invalid prompt value '${p}'. Supported values: login, none, consent, select_account.`),
  /** RFC 7009 §2.2.1; 90023 is Entra's generic InvalidRequest code. */
  appOnlyTokenNotRevocable: () =>
    new UnsupportedTokenType(90023, 'Access tokens from the client credentials grant have no grant to revoke; they expire.'),
  /** RFC 7662 §2.1: introspection is for clients that authenticate (a confidential client's secret). */
  introspectionNeedsSecret: () =>
    new InvalidClient(
      7000218,
      "Token introspection requires client authentication: the request must contain 'client_secret' (client_secret_post or client_secret_basic).",
    ),
  /** AADSTS50053, Entra smart lockout: refused before the password is checked (https://learn.microsoft.com/entra/identity-platform/reference-error-codes). */
  accountLocked: () =>
    new InvalidGrant(50053, "The account is locked, you've tried to sign in too many times with an incorrect user ID or password."),
  /** AADSTS50053's other text: the source address is locked, whichever account it tries. */
  sourceLocked: () =>
    new InvalidGrant(50053, 'Sign-in was blocked because it came from an IP address with too many failed sign-in attempts.'),
  /** AADSTS90055 (Entra's throttling code): client-secret guessing limit reached. */
  clientAuthThrottled: (retryAfterSeconds: number) =>
    new Throttled(
      90055,
      'Too many failed client authentication attempts. Retry after the time given in the Retry-After header.',
      retryAfterSeconds,
    ),
  /** AADSTS90055: too many unknown device codes polled from this source. */
  deviceCodeThrottled: (retryAfterSeconds: number) =>
    new Throttled(90055, 'Too many invalid device codes. Retry after the time given in the Retry-After header.', retryAfterSeconds),
  internal: () => new ServerError(90100, 'An internal error occurred. Retry the request.'),
  /** The store is unreachable (StoreUnavailableError); AADSTS90033 is Entra's transient-error code. */
  transient: (retryAfterSeconds: number) =>
    new TemporarilyUnavailable(90033, 'A transient error has occurred. Please try again.', retryAfterSeconds),
} as const;
