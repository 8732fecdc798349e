import { authenticateClient } from '../client-auth.js';
import type { GrantHandler } from '../grant-context.js';
import { AADSTS } from '../oauth-errors.js';
import { checkClientCredentialsScope } from '../scopes.js';

/** RFC 6749 §4.4: app-only tokens whose `roles` are the app's application permissions. */
export const clientCredentialsGrant: GrantHandler = {
  grantType: 'client_credentials',
  async handle({ req, params, services, secretCache }) {
    const scope = params.require('scope');
    const client = await authenticateClient(req, params, services, secretCache);
    if (!client.authenticated) throw AADSTS.clientSecretRequired();
    checkClientCredentialsScope(scope, services.config.publicUrl, services.tenant.domain);
    const issued = await services.tokens.issueAppOnlyAsync(client.app);
    return { token_type: 'Bearer', expires_in: issued.expiresIn, ext_expires_in: issued.expiresIn, access_token: issued.accessToken };
  },
};
