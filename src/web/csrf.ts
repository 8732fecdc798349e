import type { FastifyReply, FastifyRequest } from 'fastify';
import { constantEquals } from '../crypto/digest.js';
import { newOpaqueToken } from '../crypto/random.js';
import { readCookie, setCookie } from './cookies.js';

/**
 * Double-submit CSRF protection for every form: a random value in a SameSite=Strict HttpOnly
 * cookie must equal the hidden `csrf` field posted with the form (OWASP CSRF cheat sheet).
 */
const COOKIE = 'portcullis_csrf';

/** The token to embed in a form; reuses the browser's cookie value when it has one. */
export function csrfToken(req: FastifyRequest, reply: FastifyReply, secure: boolean): string {
  const existing = readCookie(req, COOKIE);
  if (existing) return existing;
  const token = newOpaqueToken(24);
  setCookie(reply, COOKIE, token, { secure, sameSite: 'Strict' });
  return token;
}

export function csrfValid(req: FastifyRequest, posted: unknown): boolean {
  const cookie = readCookie(req, COOKIE);
  return typeof posted === 'string' && cookie !== undefined && constantEquals(cookie, posted);
}
