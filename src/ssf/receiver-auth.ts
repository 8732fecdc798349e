import type { FastifyRequest } from 'fastify';
import { SHARED_SIGNALS_PERMISSION } from '../core/permissions.js';
import { authenticate } from '../graph/auth.js';
import { InvalidAuthenticationToken } from '../graph/errors.js';
import type { Services } from '../services.js';
import { SSF_ERRORS } from './errors.js';

/** The receiver calling the management or poll API: an application acting as itself. */
export interface Receiver {
  clientId: string;
}

/**
 * SSF 1.0 §8 leaves receiver authorisation to the transmitter ("authorization_schemes":
 * urn:ietf:rfc:6749). Here a receiver presents a client-credentials access token (the same tokens
 * and checks as the Graph API: signature with the tenant keys, issuer, audience, lifetime) whose
 * `roles` hold SharedSignals.ReadWrite.All. 401 without a valid token; 403 for a user's
 * (delegated) token or without the permission (RFC 6750 §3.1).
 */
export async function authenticateReceiver(request: FastifyRequest, services: Services): Promise<Receiver> {
  let caller;
  try {
    caller = await authenticate(request, services);
  } catch (e) {
    if (e instanceof InvalidAuthenticationToken) throw SSF_ERRORS.unauthenticated(e.message);
    throw e;
  }
  if (caller.kind !== 'app') throw SSF_ERRORS.forbidden('Streams are managed by applications with their own (client credentials) token.');
  if (!caller.roles.has(SHARED_SIGNALS_PERMISSION.toLowerCase())) {
    throw SSF_ERRORS.forbidden(`The application lacks the ${SHARED_SIGNALS_PERMISSION} application permission.`);
  }
  // The token outlives a deleted application by up to its lifetime: the receiver must still exist.
  const app = await services.store.applications.findByAppId(services.tenant.id, caller.appId);
  if (!app) throw SSF_ERRORS.unauthenticated('The application no longer exists.');
  // A permission withdrawn from the application takes effect at once, not when its tokens expire.
  if (!app.applicationPermissions.some((p) => p.toLowerCase() === SHARED_SIGNALS_PERMISSION.toLowerCase())) {
    throw SSF_ERRORS.forbidden(`The application lacks the ${SHARED_SIGNALS_PERMISSION} application permission.`);
  }
  return { clientId: app.appId };
}
