import type { FastifyInstance } from 'fastify';
import { revokeGrantOfApp } from '../../core/revocation.js';
import type { Services } from '../../services.js';
import { clientOf, isAppOnly, readOwnAccessToken } from '../access-token-check.js';
import { authenticateClient, isConfidentialOnly, VerifiedSecretCache, type AuthenticatedClient } from '../client-auth.js';
import { correlationIdOf } from '../error-response.js';
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
 * - A live grant's revocation is audited, pushed to relying parties and gets a revocation receipt
 *   keyed by the request's correlation id (core/revocation.ts revokeGrantOfApp), which the answer
 *   carries as `client-request-id`.
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
    const correlationId = correlationIdOf(req);
    const order =
      params.get('token_type_hint') === 'access_token' ? [revokeAccessToken, revokeRefreshToken] : [revokeRefreshToken, revokeAccessToken];
    for (const attempt of order) if (await attempt(token, client, services, correlationId)) break;
    return reply
      .code(200)
      .header('cache-control', 'no-store')
      .header('pragma', 'no-cache')
      .header('client-request-id', correlationId)
      .send();
  });
}

/** True if `token` is one of this client's refresh tokens (its grant is now revoked). */
async function revokeRefreshToken(token: string, client: AuthenticatedClient, services: Services, correlationId: string): Promise<boolean> {
  const found = await findRefreshToken(token, services);
  if (!found || found.record.clientId !== client.app.appId) return false;
  await revokeGrant(found.record.grantId, client, services, correlationId);
  return true;
}

/** True if `token` is one of this client's access tokens (its grant, if any, is now revoked). */
async function revokeAccessToken(token: string, client: AuthenticatedClient, services: Services, correlationId: string): Promise<boolean> {
  const claims = (await readOwnAccessToken(token, services))?.claims;
  if (!claims || clientOf(claims) !== client.app.appId) return false;
  if (isAppOnly(claims)) throw AADSTS.appOnlyTokenNotRevocable();
  if (typeof claims.pc_gid === 'string') await revokeGrant(claims.pc_gid, client, services, correlationId);
  return true;
}

/** The grant's revocation, recorded (audit, push, receipt) when it was live; a gone user's grant is only marked. */
async function revokeGrant(grantId: string, client: AuthenticatedClient, services: Services, correlationId: string): Promise<void> {
  const { store, clock } = services;
  const grant = await store.grants.findById(grantId);
  const user = grant ? await store.users.findById(grant.tenantId, grant.userId) : null;
  if (!user) {
    await store.grants.revoke(grantId, clock.now());
  } else {
    await revokeGrantOfApp(store, clock, { grantId, user, app: client.app, correlationId });
  }
  services.metrics.revoked('tokenRevocation');
}
