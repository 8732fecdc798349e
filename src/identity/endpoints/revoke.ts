import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services.js';
import { clientOf, isAppOnly, readOwnAccessToken } from '../access-token-check.js';
import { authenticateClient, isConfidentialOnly, VerifiedSecretCache, type AuthenticatedClient } from '../client-auth.js';
import { AADSTS } from '../oauth-errors.js';
import { Params, isFormEncoded } from '../params.js';
import { findRefreshToken } from '../refresh-token-lookup.js';
import { resolveTenant } from '../tenant.js';

/**
 * POST /{tenant}/oauth2/v2.0/revoke: OAuth 2.0 Token Revocation (RFC 7009).
 *
 * - Client authentication as at /token; a public client identifies itself with client_id alone
 *   (§2.1: the server "first validates the client credentials (in case of a confidential
 *   client)").
 * - A refresh token revokes its whole grant (the refresh-token family), and with it every access
 *   token of that grant, which carry the grant id (`pc_gid`) the Graph API checks (§2.1: "SHOULD
 *   also invalidate all access tokens based on the same authorization grant").
 * - A user's access token revokes its grant too (§2.1: the server "MAY revoke the respective
 *   refresh token as well"): that is the only way to cut a self-contained JWT before expiry.
 * - An app-only access token (client credentials) has no grant to revoke: 400
 *   unsupported_token_type (§2.2.1), rather than a 200 that would pretend it was revoked.
 * - Unknown, invalid, expired and other clients' tokens: 200 and nothing changes (§2.2), so the
 *   endpoint tells nobody whether a token exists. `token_type_hint` only orders the lookups.
 */
export function registerRevoke(http: FastifyInstance, services: Services): void {
  const secretCache = new VerifiedSecretCache();
  http.post<{ Params: { tenant: string } }>('/:tenant/oauth2/v2.0/revoke', async (req, reply) => {
    if (!isFormEncoded(req.headers['content-type'])) throw AADSTS.malformedBody();
    resolveTenant(req.params.tenant, services.tenant);
    const params = Params.of(req.body, 'body');
    const client = await authenticateClient(req, params, services, secretCache);
    if (isConfidentialOnly(client.app) && !client.authenticated) throw AADSTS.clientSecretRequired();
    const token = params.require('token');
    const order =
      params.get('token_type_hint') === 'access_token' ? [revokeAccessToken, revokeRefreshToken] : [revokeRefreshToken, revokeAccessToken];
    for (const attempt of order) if (await attempt(token, client, services)) break;
    return reply.code(200).header('cache-control', 'no-store').header('pragma', 'no-cache').send();
  });
}

/** True if `token` is one of this client's refresh tokens (its grant is now revoked). */
async function revokeRefreshToken(token: string, client: AuthenticatedClient, services: Services): Promise<boolean> {
  const found = await findRefreshToken(token, services);
  if (!found || found.record.clientId !== client.app.appId) return false;
  await services.store.grants.revoke(found.record.grantId, services.clock.now());
  services.metrics.revoked('tokenRevocation');
  return true;
}

/** True if `token` is one of this client's access tokens (its grant, if any, is now revoked). */
async function revokeAccessToken(token: string, client: AuthenticatedClient, services: Services): Promise<boolean> {
  const claims = (await readOwnAccessToken(token, services))?.claims;
  if (!claims || clientOf(claims) !== client.app.appId) return false;
  if (isAppOnly(claims)) throw AADSTS.appOnlyTokenNotRevocable();
  if (typeof claims.pc_gid === 'string') {
    await services.store.grants.revoke(claims.pc_gid, services.clock.now());
    services.metrics.revoked('tokenRevocation');
  }
  return true;
}
