import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DeviceCode } from '../core/model.js';
import { digestCredential } from '../crypto/digest.js';
import type { Subject } from '../core/attempt-limiter.js';
import { lockoutKey, sourceOf } from '../core/lockout.js';
import { correlationIdOf } from '../identity/error-response.js';
import { checkPassword } from '../identity/password-sign-in.js';
import { liveSession, startSession } from '../identity/sso-session.js';
import type { Services } from '../services.js';
import { csrfToken, csrfValid } from './csrf.js';
import { esc, hidden, page } from './html.js';
import { sendPage } from './send-page.js';
import { SIGN_IN_REFUSED } from './sign-in-messages.js';
import { messagePage } from './sign-in-page.js';

/**
 * The device sign-in page (RFC 8628 §3.3): the user enters the code shown by the device, signs
 * in (or continues with their SSO session) and approves or declines. Plain forms, no JavaScript.
 */
const PATH = '/devicelogin';

function normaliseUserCode(raw: unknown): string {
  return typeof raw === 'string' ? raw.replace(/[\s-]/g, '').toUpperCase().slice(0, 32) : '';
}

function codeForm(csrf: string, error: string | null): string {
  const err = error ? `<p class="error" role="alert">${esc(error)}</p>` : '';
  return page(
    'Enter code',
    `<h1>Enter code</h1><p>Enter the code displayed on your app or device.</p>${err}
<form method="post" action="${PATH}">${hidden('csrf', csrf)}<label for="user_code">Code</label>
<input id="user_code" name="user_code" type="text" autocomplete="off" required autofocus><button type="submit">Next</button></form>`,
  );
}

function approveForm(csrf: string, userCode: string, appName: string, signedInAs: string | null, error: string | null): string {
  const err = error ? `<p class="error" role="alert">${esc(error)}</p>` : '';
  const continueAs = signedInAs
    ? `<form method="post" action="${PATH}/approve">${hidden('csrf', csrf)}${hidden('user_code', userCode)}${hidden('action', 'continue')}
<p>Signed in as <strong>${esc(signedInAs)}</strong>.</p><button type="submit">Continue as ${esc(signedInAs)}</button></form><hr>`
    : '';
  return page(
    'Sign in',
    `<h1>Sign in</h1><p>You are signing in to <strong>${esc(appName)}</strong> on another device. Only continue if you started this sign-in.</p>${err}${continueAs}
<form method="post" action="${PATH}/approve">${hidden('csrf', csrf)}${hidden('user_code', userCode)}${hidden('action', 'approve')}
<label for="username">Email or username</label><input id="username" name="username" type="text" autocomplete="username" required>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button></form>
<form method="post" action="${PATH}/approve">${hidden('csrf', csrf)}${hidden('user_code', userCode)}${hidden('action', 'decline')}
<button type="submit" class="secondary">Cancel sign-in</button></form>`,
  );
}

/**
 * Looks a typed user code up under the guessing limits (RFC 8628 §5.1 asks for rate limits):
 * wrong codes count per source address and per browser (its CSRF cookie); a locked guesser is
 * refused before any lookup, and parallel guesses are counted one after another.
 */
async function lookUpUserCode(
  req: FastifyRequest,
  services: Services,
  csrf: string,
  userCode: string,
): Promise<{ kind: 'pending'; code: DeviceCode } | { kind: 'unknown' } | { kind: 'locked'; seconds: number }> {
  const policy = services.config.abuse.deviceCode;
  const guessers: Subject[] = [
    { key: lockoutKey.deviceCodeSource(sourceOf(req.ip)), policy, concurrency: 4 },
    { key: lockoutKey.deviceCodeBrowser(digestCredential(csrf)), policy },
  ];
  return services.limiter.exclusive(
    guessers,
    async () => {
      const seconds = await services.limiter.lockedFor(guessers);
      if (seconds > 0) return { kind: 'locked', seconds };
      const code = userCode ? await services.store.deviceCodes.findPendingByUserCode(digestCredential(userCode), services.clock.now()) : null;
      if (code) return { kind: 'pending', code };
      await services.limiter.recordFailure(guessers, correlationIdOf(req));
      return { kind: 'unknown' };
    },
    () => ({ kind: 'locked', seconds: 1 }),
  );
}

function tooManyCodes(reply: FastifyReply, csrf: string, seconds: number): FastifyReply {
  reply.header('retry-after', String(seconds));
  return sendPage(reply, 429, codeForm(csrf, 'Too many incorrect codes. Wait a few minutes, then try again.'));
}

export function registerDeviceLogin(http: FastifyInstance, services: Services): void {
  const now = () => services.clock.now();
  const secure = services.config.secure;

  http.get(PATH, async (req, reply) => sendPage(reply, 200, codeForm(csrfToken(req, reply, secure), null)));

  http.post(PATH, async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const csrf = csrfToken(req, reply, secure);
    if (!csrfValid(req, body.csrf)) return sendPage(reply, 403, codeForm(csrf, 'Your session timed out. Please try again.'));
    const userCode = normaliseUserCode(body.user_code);
    const found = await lookUpUserCode(req, services, csrf, userCode);
    if (found.kind === 'locked') return tooManyCodes(reply, csrf, found.seconds);
    if (found.kind === 'unknown') return sendPage(reply, 400, codeForm(csrf, 'That code didn’t work. Check the code and try again.'));
    const pending = found.code;
    const app = await services.store.applications.findByAppId(services.tenant.id, pending.clientId);
    const live = await liveSession(req, services);
    return sendPage(reply, 200, approveForm(csrf, userCode, app?.displayName ?? pending.clientId, live?.user.userPrincipalName ?? null, null));
  });

  http.post(`${PATH}/approve`, async (req: FastifyRequest, reply: FastifyReply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const csrf = csrfToken(req, reply, secure);
    if (!csrfValid(req, body.csrf)) return sendPage(reply, 403, codeForm(csrf, 'Your session timed out. Please try again.'));
    const userCode = normaliseUserCode(body.user_code);
    const codeHash = digestCredential(userCode);
    const found = await lookUpUserCode(req, services, csrf, userCode);
    if (found.kind === 'locked') return tooManyCodes(reply, csrf, found.seconds);
    if (found.kind === 'unknown') return sendPage(reply, 400, codeForm(csrf, 'That code has expired or was already used. Start again on your device.'));
    const pending = found.code;
    if (body.action === 'decline') {
      await services.store.deviceCodes.decide(codeHash, { status: 'declined' }, now());
      return sendPage(reply, 200, messagePage('Sign-in cancelled', 'You cancelled the sign-in on the other device. You can close this window.'));
    }
    const app = await services.store.applications.findByAppId(services.tenant.id, pending.clientId);
    const appName = app?.displayName ?? pending.clientId;
    let signedIn = body.action === 'continue' ? await liveSession(req, services) : null;
    if (!signedIn) {
      const username = typeof body.username === 'string' ? body.username : '';
      const password = typeof body.password === 'string' ? body.password : '';
      const checked = await checkPassword(services, { username, password, source: sourceOf(req.ip), correlationId: correlationIdOf(req) });
      if (!checked.ok) return sendPage(reply, 200, approveForm(csrf, userCode, appName, null, SIGN_IN_REFUSED[checked.reason]));
      signedIn = { session: await startSession(reply, services, checked.user), user: checked.user };
    }
    const { session, user } = signedIn;
    await services.store.deviceCodes.decide(
      codeHash,
      { status: 'approved', userId: user.id, sessionId: session.id, epoch: session.epoch, authTime: session.authTime },
      now(),
    );
    return sendPage(
      reply,
      200,
      messagePage(`You have signed in to ${appName}`, `You are signed in as ${user.userPrincipalName}. You can close this window and return to your device.`),
    );
  });
}
