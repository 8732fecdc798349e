import type { FastifyInstance } from 'fastify';
import { digestCredential } from '../../crypto/digest.js';
import { newGuid, newOpaqueToken, newUserCode } from '../../crypto/random.js';
import type { Services } from '../../services.js';
import { parseClaimsRequest } from '../claims-request.js';
import { findClient } from '../client-auth.js';
import { AADSTS } from '../oauth-errors.js';
import { Params, isFormEncoded } from '../params.js';
import { parseDelegatedScopes } from '../scopes.js';
import { resolveTenant } from '../tenant.js';

/** The page where the user enters the code; tenant-independent, as Entra's microsoft.com/devicelogin. */
export const DEVICE_LOGIN_PATH = '/devicelogin';

/** POST /{tenant}/oauth2/v2.0/devicecode (RFC 8628 §3.1–3.2). */
export function registerDeviceCode(http: FastifyInstance, services: Services): void {
  http.post<{ Params: { tenant: string } }>('/:tenant/oauth2/v2.0/devicecode', async (req, reply) => {
    if (!isFormEncoded(req.headers['content-type'])) throw AADSTS.malformedBody();
    resolveTenant(req.params.tenant, services.tenant);
    const params = Params.of(req.body, 'body');
    const app = await findClient(services, params.require('client_id'));
    // Entra requires "allow public client flows" for the device code flow.
    if (!app.allowPublicClientFlows) throw AADSTS.publicFlowsDisabled();
    const scopes = await parseDelegatedScopes(params.require('scope'), { services, app });
    // MSAL sends `claims` here and again on every poll; the poll's capabilities start the grant
    // (src/identity/grants/device-code.ts). Validated here too, so a bad request fails at once.
    parseClaimsRequest(params.get('claims'));
    const now = services.clock.now();
    const deviceCode = newOpaqueToken();
    const userCode = newUserCode();
    const { deviceCodeSeconds: expiresIn, deviceCodeIntervalSeconds: interval } = services.config.tokens;
    await services.store.deviceCodes.insert({
      deviceCodeHash: digestCredential(deviceCode),
      userCodeHash: digestCredential(userCode),
      grantId: newGuid(),
      tenantId: services.tenant.id,
      clientId: app.appId,
      scopes: scopes.echo,
      status: 'pending',
      userId: null,
      sessionId: null,
      epoch: null,
      authTime: null,
      interval,
      expiresAt: now + expiresIn * 1000,
      lastPolledAt: null,
      consumedAt: null,
    });
    const verificationUri = `${services.config.publicUrl}${DEVICE_LOGIN_PATH}`;
    return reply.header('cache-control', 'no-store, no-cache').send({
      user_code: userCode,
      device_code: deviceCode,
      verification_uri: verificationUri,
      expires_in: expiresIn,
      interval,
      message: `To sign in, use a web browser to open the page ${verificationUri} and enter the code ${userCode} to authenticate.`,
    });
  });
}
