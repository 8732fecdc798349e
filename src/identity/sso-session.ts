import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ClientContext, SsoSession, User } from '../core/model.js';
import { digestCredential } from '../crypto/digest.js';
import { newGuid, newOpaqueToken } from '../crypto/random.js';
import type { Services } from '../services.js';
import { readCookie, setCookie } from '../web/cookies.js';

/**
 * The browser SSO session: a random cookie value whose digest is stored (I5), bound to the
 * user's epoch at sign-in, so a revoke ends it everywhere without touching the browser. Under TLS
 * the cookie is `__Host-portcullis_sso` (web/cookies.ts).
 */
export const SESSION_COOKIE = 'portcullis_sso';

/** The live session behind the browser's cookie, if any. */

export async function liveSession(req: FastifyRequest, services: Services): Promise<{ session: SsoSession; user: User } | null> {
  const value = readCookie(req, SESSION_COOKIE, services.config.secure);
  if (!value) return null;
  return services.store.sessions.findLive(digestCredential(value), services.clock.now());
}

/** `clientId` is the application whose sign-in starts the session; `context` where the browser is (docs/sessions.md). */
export async function startSession(
  reply: FastifyReply,
  services: Services,
  user: User,
  started: { clientId: string; context: ClientContext },
): Promise<SsoSession> {
  const now = services.clock.now();
  const value = newOpaqueToken();
  const session: SsoSession = {
    id: newGuid(),
    tokenHash: digestCredential(value),
    tenantId: user.tenantId,
    userId: user.id,
    epoch: user.revocationEpoch,
    authTime: now,
    createdAt: now,
    expiresAt: now + services.config.tokens.sessionSeconds * 1000,
    endedAt: null,
    clientId: started.clientId,
    clientIp: started.context.clientIp ?? null,
    userAgent: started.context.userAgent ?? null,
    signInMethod: 'password',
  };
  await services.store.sessions.insert(session);
  setCookie(reply, SESSION_COOKIE, value, { secure: services.config.secure, sameSite: 'Lax' });
  return session;
}

export async function endSession(req: FastifyRequest, reply: FastifyReply, services: Services): Promise<void> {
  const value = readCookie(req, SESSION_COOKIE, services.config.secure);
  if (value) {
    const now = services.clock.now();
    const hash = digestCredential(value);
    // Who signs out, for the event's initiator (the store re-checks liveness when it ends it).
    const user = (await services.store.sessions.findLive(hash, now))?.user;
    // The sign-out is pushed to the applications the session signed in (Back-Channel Logout).
    await services.store.sessions.end(hash, now, {
      type: 'signed-out',
      occurredAt: now,
      initiatingEntity: 'user',
      initiatedBy: user ? { user: { id: user.id, userPrincipalName: user.userPrincipalName, displayName: user.displayName } } : {},
      correlationId: req.id,
    });
  }
  setCookie(reply, SESSION_COOKIE, '', { secure: services.config.secure, sameSite: 'Lax', maxAge: 0 });
}
