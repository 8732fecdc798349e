import { GRAPH_RESOURCE_APP_ID } from '../../core/permissions.js';
import { type ClientAttempt, authenticateClient } from '../client-auth.js';
import { tokenAudience } from '../api-resource.js';
import type { GrantHandler } from '../grant-context.js';
import { AADSTS, OAuthError, Throttled } from '../oauth-errors.js';
import { resolveClientCredentialsScope } from '../scopes.js';
import { servicePrincipalEntry } from '../sign-in-entry.js';

/**
 * RFC 6749 §4.4: app-only tokens. For Graph, `roles` are the app's application permissions; for
 * an app that exposes an API, the API's app roles assigned to the client.
 *
 * Each request that names a client id is a service principal sign-in in the sign-in log
 * (docs/sign-in-logs.md), success or failure, recorded as the refresh grant's are: appended to
 * the recorder's in-memory buffer, written later in a batch (core/sign-in-recorder.ts), never on
 * this request's path. Not logged: a request refused for throttling (AADSTS90055) before its
 * secret was checked, as a password attempt refused for its source address is not.
 */
export const clientCredentialsGrant: GrantHandler = {
  grantType: 'client_credentials',
  async handle({ req, params, services, secretCache }) {
    const scope = params.require('scope');
    const attempt: ClientAttempt = {};
    let resource: { id: string; displayName: string } | null = null;
    try {
      const client = await authenticateClient(req, params, services, secretCache, attempt);
      if (!client.authenticated) throw AADSTS.clientSecretRequired();
      const target = await resolveClientCredentialsScope(scope, { services, app: client.app });
      resource =
        target.kind === 'graph'
          ? { id: GRAPH_RESOURCE_APP_ID, displayName: 'Microsoft Graph' }
          : { id: target.app.appId, displayName: target.app.displayName };
      const issued =
        target.kind === 'graph'
          ? await services.tokens.issueAppOnlyAsync(client.app)
          : await services.tokens.issueAppOnlyAsync(client.app, { ...tokenAudience(target), roles: target.roles });
      const entry = servicePrincipalEntry(req, services, { attempt, resource, error: null });
      if (entry) services.signIns.record(entry);
      return { token_type: 'Bearer', expires_in: issued.expiresIn, ext_expires_in: issued.expiresIn, access_token: issued.accessToken };
    } catch (e) {
      if (e instanceof OAuthError && !(e instanceof Throttled)) {
        const entry = servicePrincipalEntry(req, services, { attempt, resource, error: e });
        if (entry) services.signIns.record(entry);
      }
      throw e;
    }
  },
};
