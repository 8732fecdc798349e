import type { FastifyInstance } from 'fastify';
import type { JwtPayload } from '../../crypto/jwt.js';
import type { Services } from '../../services.js';
import { clientOf, isAccessTokenActive, isAppOnly, readOwnAccessToken } from '../access-token-check.js';
import { authenticateClient, VerifiedSecretCache, type AuthenticatedClient } from '../client-auth.js';
import { AADSTS } from '../oauth-errors.js';
import { Params, isFormEncoded } from '../params.js';
import { findRefreshToken } from '../refresh-token-lookup.js';
import { resolveTenant } from '../tenant.js';

type Introspection = Record<string, string | number | boolean | string[]>;

/** RFC 7662 §2.2: everything that is not an active token gets exactly this, and nothing more. */
const INACTIVE: Introspection = Object.freeze({ active: false });

/**
 * POST /{tenant}/oauth2/v2.0/introspect: OAuth 2.0 Token Introspection (RFC 7662).
 *
 * Who may ask (§2.1 requires some authorization, §4 warns against token scanning): confidential
 * clients that prove their secret (client_secret_post / client_secret_basic). Public clients are
 * refused with 401 invalid_client.
 * - An access token (a JWT for the Graph API) is introspectable by any such client of the tenant:
 *   it is what a resource server does with a bearer token it was handed, and its claims are
 *   readable by its holder anyway. Active exactly when the Graph API would accept it now (I6).
 * - A refresh token is opaque and a credential of one client: only that client gets an answer;
 *   for anyone else it is `{"active":false}`, as for unknown tokens.
 * Revoked, expired, consumed, unknown, malformed and other tenants' tokens: `{"active":false}`.
 */
export function registerIntrospect(http: FastifyInstance, services: Services): void {
  const secretCache = new VerifiedSecretCache();
  http.post<{ Params: { tenant: string } }>('/:tenant/oauth2/v2.0/introspect', async (req, reply) => {
    if (!isFormEncoded(req.headers['content-type'])) throw AADSTS.malformedBody();
    resolveTenant(req.params.tenant, services.tenant);
    const params = Params.of(req.body, 'body');
    const client = await authenticateClient(req, params, services, secretCache);
    if (!client.authenticated) throw AADSTS.introspectionNeedsSecret();
    const token = params.require('token');
    // token_type_hint only orders the lookups (§2.1).
    const order =
      params.get('token_type_hint') === 'refresh_token'
        ? [introspectRefreshToken, introspectAccessToken]
        : [introspectAccessToken, introspectRefreshToken];
    let answer: Introspection | null = null;
    for (const attempt of order) {
      answer = await attempt(token, client, services);
      if (answer) break;
    }
    return reply
      .header('cache-control', 'no-store')
      .header('pragma', 'no-cache')
      .send(answer ?? INACTIVE);
  });
}

/** null when `token` is not one of this tenant's access tokens; otherwise the answer. */
async function introspectAccessToken(token: string, _client: AuthenticatedClient, services: Services): Promise<Introspection | null> {
  const own = await readOwnAccessToken(token, services);
  if (!own) return null;
  if (!(await isAccessTokenActive(own, services))) return INACTIVE;
  return accessTokenMembers(own.claims);
}

/** RFC 7662 §2.2 members from the token's own claims, plus Entra's tid / oid for convenience. */
function accessTokenMembers(claims: JwtPayload): Introspection {
  const out: Introspection = { active: true, token_type: 'Bearer' };
  const copy = (from: string, to = from) => {
    const v = claims[from];
    if (typeof v === 'string' || typeof v === 'number') out[to] = v;
  };
  copy('scp', 'scope');
  const client = clientOf(claims);
  if (client) out.client_id = client;
  if (!isAppOnly(claims)) copy('preferred_username', 'username');
  for (const name of ['exp', 'iat', 'nbf', 'sub', 'aud', 'iss', 'tid', 'oid']) copy(name);
  copy('uti', 'jti');
  if (Array.isArray(claims.roles)) out.roles = claims.roles.filter((r): r is string => typeof r === 'string');
  return out;
}

/** null when `token` is not a refresh token this client holds; otherwise the answer. */
async function introspectRefreshToken(token: string, client: AuthenticatedClient, services: Services): Promise<Introspection | null> {
  const found = await findRefreshToken(token, services);
  if (!found || found.record.clientId !== client.app.appId) return null;
  if (!found.active || !found.user) return INACTIVE;
  const { record, user } = found;
  return {
    active: true,
    scope: record.scopes.join(' '),
    client_id: record.clientId,
    username: user.userPrincipalName,
    exp: Math.floor(record.expiresAt / 1000),
    iat: Math.floor(record.issuedAt / 1000),
    sub: services.tokens.pairwiseSubject(user.id, record.clientId),
    iss: services.tokens.issuer,
    tid: record.tenantId,
    oid: user.id,
  };
}
