import { digestCredential } from '../../crypto/digest.js';
import { mergeCapabilities } from '../claims-request.js';
import { clientContextOf } from '../client-context.js';
import { authenticateClient } from '../client-auth.js';
import type { GrantHandler } from '../grant-context.js';
import { delegatedResponse, startGrant } from '../issue-tokens.js';
import { AADSTS } from '../oauth-errors.js';
import { verifierMatches } from '../pkce.js';
import { redirectKind } from '../redirect-uri.js';
import { checkRedemptionOrigin, requestOrigin } from '../redemption-origin.js';
import { parseDelegatedScopes } from '../scopes.js';
import { redeemFailure } from './redeem-failure.js';

/** RFC 6749 §4.1.3 with PKCE (RFC 7636 §4.5). */
export const authorizationCodeGrant: GrantHandler = {
  grantType: 'authorization_code',
  async handle({ req, params, services, secretCache, claims }) {
    const code = params.require('code');
    const redirectUri = params.require('redirect_uri');
    const verifier = params.get('code_verifier');
    const client = await authenticateClient(req, params, services, secretCache);
    // Before the code is consumed, so a request from the wrong place does not burn it.
    checkRedemptionOrigin(redirectKind(client.app, redirectUri) === 'spa', requestOrigin(req));
    const now = services.clock.now();

    const redeemed = await services.store.codes.redeem(digestCredential(code), now);
    if (!redeemed.ok) {
      if (redeemed.reason === 'consumed') throw AADSTS.codeRedeemed();
      if (redeemed.reason === 'expired') throw AADSTS.codeExpired();
      if (redeemed.reason === 'not_found') throw AADSTS.invalidCode();
      throw redeemFailure(redeemed.reason, redeemed.record?.authTime ?? now, null);
    }
    const c = redeemed.record;
    if (c.clientId !== client.app.appId) throw AADSTS.wrongClient();
    if (c.redirectUri !== redirectUri) throw AADSTS.codeRedirectMismatch();
    const kind = redirectKind(client.app, c.redirectUri);
    if (kind === null) throw AADSTS.codeRedirectMismatch();
    // A web (confidential) registration must prove its secret (RFC 6749 §4.1.3).
    if (kind === 'web' && !client.authenticated) throw AADSTS.clientSecretRequired();
    if (c.codeChallenge !== null) {
      if (verifier === undefined) throw AADSTS.pkceVerifierMissing();
      if (!verifierMatches(verifier, c.codeChallenge)) throw AADSTS.pkceMismatch();
    }

    const scopes = await parseDelegatedScopes(c.scopes.join(' '), { services, app: client.app });
    // Declared on /authorize, on this request, or both (MSAL sends them on both, https://learn.microsoft.com/entra/identity-platform/claims-challenge).
    const clientCapabilities = mergeCapabilities(c.clientCapabilities, claims.clientCapabilities);
    const refreshToken = await startGrant(services, {
      grantId: c.grantId,
      user: redeemed.user,
      app: client.app,
      sessionId: c.sessionId,
      scopes,
      epoch: c.epoch,
      authTime: c.authTime,
      kind,
      clientCapabilities,
      signInMethod: c.signInMethod ?? null,
      context: clientContextOf(req),
    });
    return delegatedResponse(services, {
      user: redeemed.user,
      app: client.app,
      scopes,
      sessionId: c.sessionId,
      authTime: c.authTime,
      nonce: c.nonce,
      clientAuthenticated: client.authenticated,
      refreshToken,
      clientInfo: params.get('client_info') === '1',
      epoch: c.epoch,
      grantId: c.grantId,
      clientCapabilities,
    });
  },
};
