import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services.js';
import { parseClaimsRequest } from '../claims-request.js';
import { VerifiedSecretCache } from '../client-auth.js';
import type { GrantHandler } from '../grant-context.js';
import { authorizationCodeGrant } from '../grants/authorization-code.js';
import { clientCredentialsGrant } from '../grants/client-credentials.js';
import { deviceCodeGrant } from '../grants/device-code.js';
import { onBehalfOfGrant } from '../grants/on-behalf-of.js';
import { passwordGrant } from '../grants/password.js';
import { refreshTokenGrant } from '../grants/refresh-token.js';
import { AADSTS, OAuthError } from '../oauth-errors.js';
import { Params, isFormEncoded } from '../params.js';
import { checkRedemptionOrigin, requestOrigin } from '../redemption-origin.js';
import { resolveTenant } from '../tenant.js';
import { registerTokenCors } from '../token-cors.js';
import { StoreUnavailableError } from '../../store/store.js';

const GRANTS: ReadonlyMap<string, GrantHandler> = new Map([
  ...[authorizationCodeGrant, refreshTokenGrant, clientCredentialsGrant, deviceCodeGrant, passwordGrant, onBehalfOfGrant].map(
    (g) => [g.grantType, g] as const,
  ),
  // Entra's v2 endpoint also takes the short name, and MSAL sends it (GrantType.DEVICE_CODE_GRANT).
  ['device_code', deviceCodeGrant] as const,
]);

/** POST /{tenant}/oauth2/v2.0/token (RFC 6749 §3.2): form-encoded, one handler per grant type. */
export function registerToken(http: FastifyInstance, services: Services): void {
  const secretCache = new VerifiedSecretCache();
  const path = '/:tenant/oauth2/v2.0/token';
  // CORS for the origins of `spa` redirect URIs (token-cors.ts); its preflight route too.
  const cors = registerTokenCors(http, path, services);
  http.post<{ Params: { tenant: string } }>(path, { preHandler: cors }, async (req, reply) => {
    if (!isFormEncoded(req.headers['content-type'])) throw AADSTS.malformedBody();
    resolveTenant(req.params.tenant, services.tenant);
    const params = Params.of(req.body, 'body');
    const grantType = params.require('grant_type');
    const grant = GRANTS.get(grantType);
    if (!grant) throw AADSTS.unsupportedGrantType(grantType.slice(0, 100));
    // Only a SPA's code and refresh tokens may be redeemed by a browser page (redemption-origin.ts);
    // the other grants hold secrets or device and password credentials that never belong there.
    const origin = requestOrigin(req);
    if (origin !== undefined && grant !== authorizationCodeGrant && grant !== refreshTokenGrant) checkRedemptionOrigin(false, origin);
    // Validated before any credential is redeemed, so a malformed request consumes nothing.
    const claims = parseClaimsRequest(params.get('claims'));
    const body = await grant.handle({ req, params, services, secretCache, claims }).catch((e: unknown) => {
      if (grant === refreshTokenGrant) services.metrics.refreshOutcome(refreshErrorLabel(e));
      throw e;
    });
    if (grant === refreshTokenGrant) services.metrics.refreshOutcome('success');
    // RFC 6749 §5.1: token responses must not be cached.
    return reply.header('cache-control', 'no-store, no-cache').header('pragma', 'no-cache').send(body);
  });
}

/**
 * The outcome label of a failed refresh: its AADSTS code (a small fixed set, oauth-errors.ts),
 * or 'unavailable' / 'server_error' for a store outage or a fault (sent as 503 / 500).
 */
function refreshErrorLabel(e: unknown): string {
  if (e instanceof OAuthError) return `AADSTS${e.aadsts}`;
  return e instanceof StoreUnavailableError ? 'unavailable' : 'server_error';
}
