import { authenticateClient } from '../client-auth.js';
import { tokenAudience } from '../api-resource.js';
import type { GrantHandler } from '../grant-context.js';
import { AADSTS } from '../oauth-errors.js';
import { resolveClientCredentialsScope } from '../scopes.js';

/**
 * RFC 6749 §4.4: app-only tokens. For Graph, `roles` are the app's application permissions; for
 * an app that exposes an API, the API's app roles assigned to the client.
 */
export const clientCredentialsGrant: GrantHandler = {
  grantType: 'client_credentials',
  async handle({ req, params, services, secretCache }) {
    const scope = params.require('scope');
    const client = await authenticateClient(req, params, services, secretCache);
    if (!client.authenticated) throw AADSTS.clientSecretRequired();
    const target = await resolveClientCredentialsScope(scope, { services, app: client.app });
    const issued =
      target.kind === 'graph'
        ? await services.tokens.issueAppOnlyAsync(client.app)
        : await services.tokens.issueAppOnlyAsync(client.app, { ...tokenAudience(target), roles: target.roles });
    return { token_type: 'Bearer', expires_in: issued.expiresIn, ext_expires_in: issued.expiresIn, access_token: issued.accessToken };
  },
};
