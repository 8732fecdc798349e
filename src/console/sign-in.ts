/**
 * The console signs its users in as any web app of the tenant does: a real redirect to this
 * instance's /authorize (authorization code + PKCE S256, RFC 7636), the code redeemed at /token
 * over HTTP, the tokens kept in the server-side session. The ID token comes straight from the
 * token endpoint over the server's own connection, so its claims are checked (issuer, audience,
 * nonce) without a signature check (OIDC Core §3.1.3.7, item 6).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { readCookie, setCookie } from '../web/cookies.js';
import { AREAS, type Area } from './areas.js';
import { tokenPath } from './graph.js';
import { CALLBACK_PATH, CONSOLE_APP_ID } from './registration.js';
import type { ConsoleRuntime } from './runtime.js';
import { setSessionCookie } from './runtime.js';

/** Binds a pending sign-in to the browser that started it (no login CSRF with another's code). */
const STATE_COOKIE = 'portcullis_console_state';

/** Only our own paths are returned to after sign-in (no open redirect). */
export function safeReturn(path: string | undefined, area: Area): string {
  const home = AREAS[area].path;
  if (!path?.startsWith(home) || path.startsWith('//') || /[\\\r\n]/.test(path)) return home;
  return path;
}

export function startSignIn(rt: ConsoleRuntime, reply: FastifyReply, area: Area, returnTo: string, prompt?: string): FastifyReply {
  const verifier = randomBytes(32).toString('base64url');
  const pending = rt.sessions.addPending({
    area,
    verifier,
    nonce: randomBytes(16).toString('base64url'),
    returnTo: safeReturn(returnTo, area),
  });
  const { publicUrl, secure } = rt.services.config;
  const q = new URLSearchParams({
    client_id: CONSOLE_APP_ID,
    response_type: 'code',
    redirect_uri: `${publicUrl}${CALLBACK_PATH}`,
    response_mode: 'query',
    scope: AREAS[area].scopes,
    state: pending.state,
    nonce: pending.nonce,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    ...(prompt ? { prompt } : {}),
  });
  setCookie(reply, STATE_COOKIE, pending.state, { secure, sameSite: 'Lax', maxAge: 600 });
  return reply.code(302).header('cache-control', 'no-store').redirect(`/${rt.services.tenant.id}/oauth2/v2.0/authorize?${q}`);
}

function claimsOf(idToken: string): Record<string, unknown> | null {
  const part = idToken.split('.')[1];
  if (!part) return null;
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
}

export type CallbackResult = { ok: true; location: string } | { ok: false; reason: string };

export async function finishSignIn(rt: ConsoleRuntime, req: FastifyRequest, reply: FastifyReply): Promise<CallbackResult> {
  const q = req.query as Record<string, string | undefined>;
  const { secure, publicUrl } = rt.services.config;
  const sent = readCookie(req, STATE_COOKIE, secure);
  setCookie(reply, STATE_COOKIE, '', { secure, sameSite: 'Lax', maxAge: 0 });
  if (typeof q.state !== 'string' || q.state !== sent)
    return { ok: false, reason: 'The sign-in did not start in this browser, or took too long.' };
  const pending = rt.sessions.takePending(q.state);
  if (!pending) return { ok: false, reason: 'The sign-in did not start in this browser, or took too long.' };
  if (typeof q.error === 'string') return { ok: false, reason: `Sign-in was not completed (${q.error}).` };
  if (typeof q.code !== 'string') return { ok: false, reason: 'The sign-in answer had no code.' };
  const res = await rt.http.send('POST', tokenPath(rt), {
    form: {
      grant_type: 'authorization_code',
      client_id: CONSOLE_APP_ID,
      code: q.code,
      redirect_uri: `${publicUrl}${CALLBACK_PATH}`,
      code_verifier: pending.verifier,
      scope: AREAS[pending.area].scopes,
    },
  });
  const body = res.body as { access_token?: string; refresh_token?: string; id_token?: string; expires_in?: number };
  if (res.status !== 200 || !body.access_token || !body.id_token) return { ok: false, reason: 'The code could not be redeemed.' };
  const claims = claimsOf(body.id_token);
  const issuer = `${publicUrl}/${rt.services.tenant.id}/v2.0`;
  if (!claims || claims.aud !== CONSOLE_APP_ID || claims.iss !== issuer || claims.nonce !== pending.nonce || typeof claims.oid !== 'string')
    return { ok: false, reason: 'The ID token was not for this sign-in.' };
  const session = rt.sessions.create({
    area: pending.area,
    userId: claims.oid,
    userPrincipalName: String(claims.preferred_username ?? ''),
    displayName: String(claims.name ?? ''),
    sid: typeof claims.sid === 'string' ? claims.sid : null,
    accessToken: body.access_token,
    accessExpiresAt: rt.services.clock.now() + (body.expires_in ?? 0) * 1000,
    refreshToken: body.refresh_token ?? null,
  });
  setSessionCookie(rt, reply, pending.area, session.id);
  return { ok: true, location: pending.returnTo };
}
