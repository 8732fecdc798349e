import { isSpaGrant } from '../../core/credential-verdicts.js';
import type { Grant, RefreshTokenRecord } from '../../core/model.js';
import { digestCredential } from '../../crypto/digest.js';
import { mergeCapabilities } from '../claims-request.js';
import { clientContextOf } from '../client-context.js';
import { authenticateClient, isConfidentialOnly } from '../client-auth.js';
import type { GrantHandler } from '../grant-context.js';
import { delegatedResponse, newRefreshToken } from '../issue-tokens.js';
import { AADSTS } from '../oauth-errors.js';
import { requestOrigin } from '../redemption-origin.js';
import { parseDelegatedScopes } from '../scopes.js';
import { redeemFailure } from './redeem-failure.js';
import { signInEntry } from '../sign-in-entry.js';

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
    const origin = requestOrigin(req);
    // Written with the successor token, in the rotation's own statements: no extra round trip (docs/sessions.md).
    const context = clientContextOf(req);
    const rotated = await services.store.grants.rotate(
      digestCredential(presented),
      client.app.appId,
      now,
      (current: RefreshTokenRecord, grant: Grant) => {
        // A SPA grant's tokens keep its fixed expiry; others slide (Entra, https://learn.microsoft.com/entra/identity-platform/refresh-tokens).
        const next = newRefreshToken(services, {
          grantId: current.grantId,
          user: { id: current.userId, tenantId: current.tenantId },
          clientId: current.clientId,
          scopes: current.scopes,
          epoch: current.epoch,
          context,
          ...(isSpaGrant(grant) ? { fixedExpiry: grant.spaExpiresAt as number } : {}),
        });
        nextToken = next.token;
        return next.record;
      },
      services.config.tokens.refreshReuseGraceSeconds * 1000,
      origin !== undefined,
    );
    // The error (AADSTS50173 names refreshTokensValidFrom) is built from the user the rotation's
    // transaction read, not from a second read that could see a later change.
    if (!rotated.ok) {
      const error = redeemFailure(rotated.reason, rotated.record?.issuedAt ?? now, rotated.user ?? null, {
        origin,
        grant: rotated.grant,
        spaLifetimeSeconds: services.config.tokens.spaRefreshTokenSeconds,
      });
      // A token the store found names its user; an unknown one names nobody to log against.
      const owner = rotated.user ?? (rotated.record ? { id: rotated.record.userId, tenantId: rotated.record.tenantId } : null);
      if (owner) services.signIns.record(signInEntry(req, services, { user: owner, app: client.app, how: 'refresh', error }));
      throw error;
    }
    // Non-interactive sign-in: buffered in memory, written later in a batch (core/sign-in-recorder.ts).
    services.signIns.record(signInEntry(req, services, { user: rotated.user, app: client.app, how: 'refresh', error: null }));
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
