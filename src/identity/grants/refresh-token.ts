import type { RefreshTokenRecord } from '../../core/model.js';
import { digestCredential } from '../../crypto/digest.js';
import { mergeCapabilities } from '../claims-request.js';
import { authenticateClient, isConfidentialOnly } from '../client-auth.js';
import type { GrantHandler } from '../grant-context.js';
import { delegatedResponse, newRefreshToken } from '../issue-tokens.js';
import { AADSTS } from '../oauth-errors.js';
import { parseDelegatedScopes } from '../scopes.js';
import { redeemFailure } from './redeem-failure.js';

/**
 * RFC 6749 §6 with rotation (I4, docs/revocation-model.md): one transaction checks the token, the grant, the
 * user's epoch and account state, consumes the token and stores its successor.
 */
export const refreshTokenGrant: GrantHandler = {
  grantType: 'refresh_token',
  async handle({ req, params, services, secretCache, claims }) {
    const presented = params.require('refresh_token');
    const client = await authenticateClient(req, params, services, secretCache);
    if (isConfidentialOnly(client.app) && !client.authenticated) throw AADSTS.clientSecretRequired();
    const now = services.clock.now();
    // The client may narrow or re-state the scopes (MSAL re-sends them); check consent first so
    // a bad request does not consume the token.
    const requested = params.get('scope');
    const scopes = requested === undefined ? null : await parseDelegatedScopes(requested, { services, app: client.app });

    let nextToken = '';
    const rotated = await services.store.grants.rotate(
      digestCredential(presented),
      client.app.appId,
      now,
      (current: RefreshTokenRecord) => {
        // Fixed-lifetime tokens (SPA, 24 h) keep their expiry; others slide (Entra, https://learn.microsoft.com/entra/identity-platform/refresh-tokens).
        const fixed = current.expiresAt - current.issuedAt < services.config.tokens.refreshTokenSeconds * 1000;
        const next = newRefreshToken(services, {
          grantId: current.grantId,
          user: { id: current.userId, tenantId: current.tenantId },
          clientId: current.clientId,
          scopes: current.scopes,
          epoch: current.epoch,
          kind: 'public',
          ...(fixed ? { fixedExpiry: current.expiresAt } : {}),
        });
        nextToken = next.token;
        return next.record;
      },
      services.config.tokens.refreshReuseGraceSeconds * 1000,
    );
    // The error (AADSTS50173 names refreshTokensValidFrom) is built from the user the rotation's
    // transaction read, not from a second read that could see a later change.
    if (!rotated.ok) throw redeemFailure(rotated.reason, rotated.record?.issuedAt ?? now, rotated.user ?? null);
    const granted = scopes ?? (await parseDelegatedScopes(rotated.grant.scopes.join(' '), { services, app: client.app }));
    return delegatedResponse(services, {
      user: rotated.user,
      app: client.app,
      scopes: granted,
      sessionId: rotated.grant.sessionId,
      authTime: rotated.grant.authTime,
      nonce: null,
      clientAuthenticated: client.authenticated,
      refreshToken: nextToken,
      clientInfo: params.get('client_info') === '1',
      epoch: rotated.record.epoch,
      grantId: rotated.grant.id,
      // The grant keeps what was declared when it started (so a refresh without `claims` still
      // yields a CAE token); the request may add to it.
      clientCapabilities: mergeCapabilities(rotated.grant.clientCapabilities, claims.clientCapabilities),
    });
  },
};
