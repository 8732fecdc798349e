import { lockoutKey, sourceOf } from '../../core/lockout.js';
import { digestCredential } from '../../crypto/digest.js';
import { clientContextOf } from '../client-context.js';
import { authenticateClient } from '../client-auth.js';
import type { GrantHandler } from '../grant-context.js';
import { delegatedResponse, startGrant } from '../issue-tokens.js';
import { mergeCapabilities } from '../claims-request.js';
import { correlationIdOf } from '../error-response.js';
import { AADSTS, InvalidRequest } from '../oauth-errors.js';
import { parseDelegatedScopes } from '../scopes.js';
import { redeemFailure } from './redeem-failure.js';

/** RFC 8628 §3.4–3.5: the device polls until the user approved on the device sign-in page. */
export const deviceCodeGrant: GrantHandler = {
  grantType: 'urn:ietf:params:oauth:grant-type:device_code',
  async handle({ req, params, services, secretCache, claims }) {
    // Entra also accepts the device code under `code` (older ADAL clients).
    const deviceCode = params.get('device_code') ?? params.get('code');
    if (deviceCode === undefined) throw new InvalidRequest(900144, "The request body must contain the following parameter: 'device_code'.");
    const client = await authenticateClient(req, params, services, secretCache);
    // Polling with made-up device codes: limited per source address (429 + Retry-After).
    const guesser = { key: lockoutKey.deviceCodeSource(sourceOf(req.ip)), policy: services.config.abuse.deviceCode, concurrency: 4 };
    const now = services.clock.now();
    const polled = await services.limiter.exclusive(
      [guesser],
      async () => {
        const wait = await services.limiter.lockedFor([guesser]);
        if (wait > 0) throw AADSTS.deviceCodeThrottled(wait);
        const result = await services.store.deviceCodes.poll(digestCredential(deviceCode), now);
        if (!result.ok && result.reason === 'not_found') await services.limiter.recordFailure([guesser], correlationIdOf(req));
        return result;
      },
      () => {
        throw AADSTS.deviceCodeThrottled(1);
      },
    );
    if (!polled.ok) {
      switch (polled.reason) {
        case 'pending':
          throw AADSTS.authorizationPending();
        case 'slow_down':
          throw AADSTS.slowDown();
        case 'declined':
          throw AADSTS.authorizationDeclined();
        case 'expired':
          throw AADSTS.deviceCodeExpired();
        case 'not_found':
          throw AADSTS.deviceCodeInvalid();
        case 'consumed':
          throw AADSTS.codeRedeemed();
        default:
          throw redeemFailure(polled.reason, polled.record?.authTime ?? now, null);
      }
    }
    const d = polled.record;
    if (d.clientId !== client.app.appId) throw AADSTS.wrongClient();
    const scopes = await parseDelegatedScopes(d.scopes.join(' '), { services, app: client.app });
    const authTime = d.authTime ?? now;
    const clientCapabilities = mergeCapabilities([], claims.clientCapabilities);
    const refreshToken = await startGrant(services, {
      grantId: d.grantId,
      user: polled.user,
      app: client.app,
      sessionId: d.sessionId,
      scopes,
      epoch: d.epoch ?? polled.user.revocationEpoch,
      authTime,
      kind: 'device',
      clientCapabilities,
      signInMethod: 'deviceCode',
      context: clientContextOf(req),
    });
    return delegatedResponse(services, {
      user: polled.user,
      app: client.app,
      scopes,
      sessionId: d.sessionId,
      authTime,
      nonce: null,
      clientAuthenticated: client.authenticated,
      refreshToken,
      clientInfo: params.get('client_info') === '1',
      epoch: d.epoch ?? polled.user.revocationEpoch,
      grantId: d.grantId,
      clientCapabilities,
    });
  },
};
