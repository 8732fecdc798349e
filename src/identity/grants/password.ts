import { newGuid } from '../../crypto/random.js';
import { verifySecret } from '../../crypto/passwords.js';
import { authenticateClient } from '../client-auth.js';
import type { GrantHandler } from '../grant-context.js';
import { delegatedResponse, startGrant } from '../issue-tokens.js';
import { AADSTS } from '../oauth-errors.js';
import { parseDelegatedScopes } from '../scopes.js';

/**
 * Resource owner password credentials (RFC 6749 §4.3), which Entra allows for apps with
 * "allow public client flows" (or confidential clients proving their secret).
 */
export const passwordGrant: GrantHandler = {
  grantType: 'password',
  async handle({ req, params, services, secretCache, claims }) {
    const username = params.require('username');
    const password = params.require('password');
    const client = await authenticateClient(req, params, services, secretCache);
    if (!client.app.allowPublicClientFlows && !client.authenticated) throw AADSTS.publicFlowsDisabled();
    const scopes = parseDelegatedScopes(params.get('scope'), client.app, services.config.publicUrl, services.tenant.domain);
    const user = await services.store.users.findByUserPrincipalName(services.tenant.id, username);
    // The same answer for an unknown user and a wrong password, so accounts cannot be probed.
    const ok = user?.passwordHash ? await verifySecret(user.passwordHash, password) : false;
    if (!user || !ok) throw AADSTS.badCredentials();
    if (!user.accountEnabled) throw AADSTS.userDisabled();
    const now = services.clock.now();
    const grantId = newGuid();
    const refreshToken = await startGrant(services, {
      grantId,
      user,
      app: client.app,
      sessionId: null,
      scopes,
      epoch: user.revocationEpoch,
      authTime: now,
      kind: 'password',
      clientCapabilities: claims.clientCapabilities,
    });
    return delegatedResponse(services, {
      user,
      app: client.app,
      scopes,
      sessionId: null,
      authTime: now,
      nonce: null,
      clientAuthenticated: client.authenticated,
      refreshToken,
      clientInfo: params.get('client_info') === '1',
      epoch: user.revocationEpoch,
      grantId,
      clientCapabilities: claims.clientCapabilities,
    });
  },
};
