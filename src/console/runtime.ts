/** What every console route is given: the services (config, clock, CSRF key), the HTTP client and the sessions. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../services.js';
import { readCookie, setCookie } from '../web/cookies.js';
import { formToken, formTokenValid } from '../web/csrf.js';
import { AREAS, type Area } from './areas.js';
import type { ConsoleHttp } from './http-client.js';
import type { ConsoleSession, ConsoleSessionStore } from './session-store.js';

export interface ConsoleRuntime {
  services: Services;
  http: ConsoleHttp;
  sessions: ConsoleSessionStore;
}

/** The session this browser holds for `area`, or null. */
export function sessionOf(rt: ConsoleRuntime, req: FastifyRequest, area: Area): ConsoleSession | null {
  return rt.sessions.get(readCookie(req, AREAS[area].cookie, rt.services.config.secure), area);
}

/** HttpOnly, SameSite=Lax (the sign-in comes back by a top-level redirect), `__Host-` under TLS. */
export function setSessionCookie(rt: ConsoleRuntime, reply: FastifyReply, area: Area, value: string, maxAge?: number): void {
  setCookie(reply, AREAS[area].cookie, value, {
    secure: rt.services.config.secure,
    sameSite: 'Lax',
    ...(maxAge !== undefined ? { maxAge } : {}),
  });
}

/** The console session's CSRF token: an HMAC of its id under the server key (web/csrf.ts). */
export function csrfOf(rt: ConsoleRuntime, session: ConsoleSession): Promise<string> {
  return formToken(rt.services, { kind: 'session', sessionId: session.id }, 'console');
}

export function csrfValid(rt: ConsoleRuntime, session: ConsoleSession, posted: unknown): Promise<boolean> {
  return formTokenValid(rt.services, { kind: 'session', sessionId: session.id }, 'console', posted);
}
