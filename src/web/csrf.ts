import { createHmac } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { constantEquals } from '../crypto/digest.js';
import { newOpaqueToken } from '../crypto/random.js';
import type { Services } from '../services.js';
import { readCookie, setCookie } from './cookies.js';
import { csrfKey } from './csrf-key.js';

/**
 * CSRF tokens bound to what an attacker can neither set nor read (OWASP CSRF cheat sheet,
 * "signed double-submit cookie" and "synchronizer token" patterns):
 *
 * - a signed-in browser: token = HMAC(server key, purpose, SSO session id). The session id is
 *   stored server-side and never leaves it in a cookie (the cookie holds another random value), so
 *   a page of another origin cannot compute the token even if it can write cookies.
 * - before sign-in: token = HMAC(server key, purpose, the browser's pre-session cookie value), a
 *   random HttpOnly value. A cookie planted by another origin gives no token: the HMAC needs
 *   the key, which lives in the store (csrf-key.ts). Under TLS the cookie is `__Host-`, so no
 *   other host or port can plant one at all (cookies.ts).
 *
 * `purpose` separates the forms: a token of the sign-in or device-code forms does not confirm a device.
 * Both are refused earlier anyway for posts from another origin (same-origin-posts.ts).
 */
export type FormPurpose = 'sign-in' | 'device' | 'device-confirm' | 'console';

export type CsrfBinding = { kind: 'session'; sessionId: string } | { kind: 'browser'; value: string };

/** The pre-session cookie (`__Host-portcullis_csrf` under TLS). */
const BROWSER_COOKIE = 'portcullis_csrf';

/** The browser's pre-session binding, setting its cookie when it has none yet. */
export function browserBinding(req: FastifyRequest, reply: FastifyReply, secure: boolean): CsrfBinding & { kind: 'browser' } {
  const existing = readCookie(req, BROWSER_COOKIE, secure);
  if (existing) return { kind: 'browser', value: existing };
  const value = newOpaqueToken(24);
  setCookie(reply, BROWSER_COOKIE, value, { secure, sameSite: 'Strict' });
  return { kind: 'browser', value };
}

/** The binding the browser sent, if any (for checking a post: never sets a cookie). */
export function sentBrowserBinding(req: FastifyRequest, secure: boolean): (CsrfBinding & { kind: 'browser' }) | null {
  const value = readCookie(req, BROWSER_COOKIE, secure);
  return value ? { kind: 'browser', value } : null;
}

export async function formToken(services: Pick<Services, 'store' | 'clock'>, binding: CsrfBinding, purpose: FormPurpose): Promise<string> {
  const bound = binding.kind === 'session' ? binding.sessionId : binding.value;
  // Length-prefixed fields: no two (purpose, kind, value) triples give the same message.
  const message = ['portcullis-csrf-v1', purpose, binding.kind, bound].map((f) => `${f.length}:${f}`).join('|');
  return createHmac('sha256', await csrfKey(services))
    .update(message, 'utf8')
    .digest('base64url');
}

/** Whether `posted` is the token for `purpose` under `binding`; false without a binding. */
export async function formTokenValid(
  services: Pick<Services, 'store' | 'clock'>,
  binding: CsrfBinding | null,
  purpose: FormPurpose,
  posted: unknown,
): Promise<boolean> {
  if (!binding || typeof posted !== 'string' || posted === '') return false;
  return constantEquals(await formToken(services, binding, purpose), posted);
}
