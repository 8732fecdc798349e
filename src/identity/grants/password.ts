import { newGuid } from '../../crypto/random.js';
import { sourceOf } from '../../core/lockout.js';
import { clientContextOf } from '../client-context.js';
import { authenticateClient } from '../client-auth.js';
import type { GrantHandler } from '../grant-context.js';
import { delegatedResponse, startGrant } from '../issue-tokens.js';
import { correlationIdOf } from '../error-response.js';
import { AADSTS } from '../oauth-errors.js';
import { checkPassword, passwordRefusalError } from '../password-sign-in.js';
import { refusedPasswordEntry, signInEntry } from '../sign-in-entry.js';
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
    const scopes = await parseDelegatedScopes(params.get('scope'), { services, app: client.app });
    // The same answer for an unknown user and a wrong password, so accounts cannot be probed.
    const checked = await checkPassword(services, { username, password, source: sourceOf(req.ip), correlationId: correlationIdOf(req) });
    if (!checked.ok) {
      const entry = refusedPasswordEntry(req, services, { checked, username, app: client.app, how: 'ropc' });
      if (entry) services.signIns.record(entry);
      throw passwordRefusalError(checked.reason);
    }
    services.signIns.record(signInEntry(req, services, { user: checked.user, app: client.app, how: 'ropc', error: null }));
    const user = checked.user;
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
      signInMethod: 'passwordGrant',
      context: clientContextOf(req),
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
