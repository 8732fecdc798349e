import type { Application, ClientContext, Grant, RefreshTokenRecord, SignInMethod, User } from '../core/model.js';
import { digestCredential } from '../crypto/digest.js';
import { newOpaqueToken } from '../crypto/random.js';
import type { Services } from '../services.js';
import type { TokenResponseBody } from './grant-context.js';
import { AADSTS } from './oauth-errors.js';
import type { RedirectKind } from './redirect-uri.js';
import { tokenAudience } from './api-resource.js';
import { grantScopes, type RequestedScopes } from './scopes.js';

/** A new refresh token for a grant: only its digest is stored (I5). */
export function newRefreshToken(
  services: Services,
  args: {
    grantId: string;
    user: Pick<User, 'id' | 'tenantId'>;
    clientId: string;
    scopes: string[];
    epoch: number;
    /** A SPA grant's end (Grant.spaExpiresAt), which no token of it outlives. */
    fixedExpiry?: number;
    /** The request that obtains the token: its address and user agent are the grant's last use (docs/sessions.md). */
    context: ClientContext;
  },
): { token: string; record: RefreshTokenRecord } {
  const now = services.clock.now();
  const lifetime = services.config.tokens.refreshTokenSeconds * 1000;
  const token = newOpaqueToken();
  return {
    token,
    record: {
      hash: digestCredential(token),
      grantId: args.grantId,
      tenantId: args.user.tenantId,
      userId: args.user.id,
      clientId: args.clientId,
      scopes: args.scopes,
      epoch: args.epoch,
      issuedAt: now,
      expiresAt: args.fixedExpiry ?? now + lifetime,
      consumedAt: null,
      clientIp: args.context.clientIp ?? null,
      userAgent: args.context.userAgent ?? null,
    },
  };
}

/**
 * Starts a grant from a redeemed code, device code or password: the grant and its first refresh
 * token (when offline_access was asked for) are written together. The epoch is the one the
 * redeemed credential carried, never a freshly read one (docs/revocation-model.md, "The epoch").
 */
export async function startGrant(
  services: Services,
  args: {
    grantId: string;
    user: User;
    app: Application;
    sessionId: string | null;
    scopes: RequestedScopes;
    epoch: number;
    authTime: number;
    kind: RedirectKind | 'device' | 'password';
    /** Declared with the request that started the grant (claims `xms_cc`); kept for refreshes. */
    clientCapabilities: string[];
    /** How the user signed in for it, and from where the token request came (docs/sessions.md). */
    signInMethod: SignInMethod | null;
    context: ClientContext;
  },
): Promise<string | null> {
  const now = services.clock.now();
  // A code sent to a `spa` redirect URI starts a grant with Entra's fixed lifetime (model.ts).
  const spaExpiresAt = args.kind === 'spa' ? now + services.config.tokens.spaRefreshTokenSeconds * 1000 : null;
  const grant: Grant = {
    id: args.grantId,
    tenantId: args.user.tenantId,
    userId: args.user.id,
    clientId: args.app.appId,
    sessionId: args.sessionId,
    scopes: grantScopes(args.scopes),
    epoch: args.epoch,
    authTime: args.authTime,
    createdAt: now,
    revokedAt: null,
    clientCapabilities: args.clientCapabilities,
    spaExpiresAt,
    clientIp: args.context.clientIp ?? null,
    userAgent: args.context.userAgent ?? null,
    signInMethod: args.signInMethod,
  };
  if (!args.scopes.oidc.includes('offline_access')) {
    if (!(await services.store.grants.create(grant, null))) throw AADSTS.grantRevoked();
    return null;
  }
  const rt = newRefreshToken(services, {
    grantId: grant.id,
    user: args.user,
    clientId: args.app.appId,
    scopes: grant.scopes,
    epoch: args.epoch,
    ...(spaExpiresAt !== null ? { fixedExpiry: spaExpiresAt } : {}),
    context: args.context,
  });
  // A targeted revocation cut the code or ended the session since it was redeemed (InventoryStore.cut).
  if (!(await services.store.grants.create(grant, rt.record))) throw AADSTS.grantRevoked();
  return rt.token;
}

/** The success body of the token endpoint for a user (RFC 6749 §5.1 plus Entra's fields). */
export async function delegatedResponse(
  services: Services,
  args: {
    user: User;
    app: Application;
    scopes: RequestedScopes;
    sessionId: string | null;
    authTime: number;
    nonce: string | null;
    clientAuthenticated: boolean;
    refreshToken: string | null;
    clientInfo: boolean;
    /** The epoch the redeemed credential carried. */
    epoch: number;
    grantId: string;
    /** The grant's capabilities merged with the request's (claims `xms_cc`). */
    clientCapabilities: string[];
  },
): Promise<TokenResponseBody> {
  const issued = await services.tokens.issueDelegatedAsync({
    user: args.user,
    app: args.app,
    graphScopes: args.scopes.permissions,
    ...(args.scopes.resource.kind === 'api' ? { resource: tokenAudience(args.scopes.resource) } : {}),
    oidcScopes: args.scopes.oidc,
    sessionId: args.sessionId,
    authTime: args.authTime,
    nonce: args.nonce,
    clientAuthenticated: args.clientAuthenticated,
    epoch: args.epoch,
    grantId: args.grantId,
    clientCapabilities: args.clientCapabilities,
  });
  const body: TokenResponseBody = {
    token_type: 'Bearer',
    scope: args.scopes.echo.join(' '),
    expires_in: issued.expiresIn,
    ext_expires_in: issued.expiresIn,
    access_token: issued.accessToken,
  };
  // Entra sends refresh_in with long-lived tokens so MSAL renews them proactively (https://learn.microsoft.com/entra/identity/conditional-access/concept-continuous-access-evaluation).
  if (issued.longLived) body.refresh_in = Math.floor(issued.expiresIn / 2);
  if (args.refreshToken) body.refresh_token = args.refreshToken;
  if (issued.idToken) body.id_token = issued.idToken;
  if (args.clientInfo) body.client_info = services.tokens.clientInfo(args.user);
  return body;
}
