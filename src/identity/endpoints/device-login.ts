import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DeviceCode, SsoSession, User } from '../../core/model.js';
import { digestCredential } from '../../crypto/digest.js';
import type { Subject } from '../../core/attempt-limiter.js';
import { lockoutKey, sourceOf } from '../../core/lockout.js';
import { correlationIdOf } from '../error-response.js';
import { clientContextOf } from '../client-context.js';
import { checkPassword } from '../password-sign-in.js';
import { refusedPasswordEntry, signInEntry } from '../sign-in-entry.js';
import { liveSession, startSession } from '../sso-session.js';
import type { Services } from '../../services.js';
import { browserBinding, formToken, formTokenValid, sentBrowserBinding, type CsrfBinding, type FormPurpose } from '../../web/csrf.js';
import { esc, hidden, page } from '../../web/html.js';
import { permissionItems } from '../../web/permission-descriptions.js';
import { sameOriginPostsOnly } from '../../web/same-origin-posts.js';
import { sendPage } from '../../web/send-page.js';
import { SIGN_IN_REFUSED } from '../../web/sign-in-messages.js';
import { messagePage } from '../../web/sign-in-page.js';

/**
 * The device sign-in page (RFC 8628 §3.3): the user enters the code shown by the device, signs in
 * if the browser has no SSO session, and then confirms, on a page that names the application,
 * the account and the permissions it will get, that they started this sign-in (Entra's "Are you
 * trying to sign in to …?"; RFC 8628 §5.4 remote phishing). Only that explicit confirmation
 * approves; Cancel declines (the device's poll then gets authorization_declined, §3.5). Plain
 * forms, no JavaScript.
 */
const PATH = '/devicelogin';

/**
 * Which CSRF tokens each action of POST /devicelogin/approve accepts (csrf.ts). Approval needs
 * the token bound to the signed-in session, which only our confirmation page shows; the password
 * form before sign-in is bound to the browser's pre-session cookie.
 */
const APPROVE_ACTIONS: Record<string, readonly { binding: CsrfBinding['kind']; purpose: FormPurpose }[]> = {
  'sign-in': [{ binding: 'browser', purpose: 'device' }],
  confirm: [{ binding: 'session', purpose: 'device-confirm' }],
  decline: [
    { binding: 'session', purpose: 'device-confirm' },
    { binding: 'browser', purpose: 'device' },
  ],
};

function normaliseUserCode(raw: unknown): string {
  return typeof raw === 'string' ? raw.replace(/[\s-]/g, '').toUpperCase().slice(0, 32) : '';
}

function errorLine(error: string | null): string {
  return error ? `<p class="error" role="alert">${esc(error)}</p>` : '';
}

function codeForm(csrf: string, error: string | null): string {
  return page(
    'Enter code',
    `<h1>Enter code</h1><p>Enter the code displayed on your app or device.</p>${errorLine(error)}
<form method="post" action="${PATH}">${hidden('csrf', csrf)}<label for="user_code">Code</label>
<input id="user_code" name="user_code" type="text" autocomplete="off" required autofocus><button type="submit">Next</button></form>`,
  );
}

function cancelForm(csrf: string, userCode: string): string {
  return `<form method="post" action="${PATH}/approve">${hidden('csrf', csrf)}${hidden('user_code', userCode)}${hidden('action', 'decline')}
<button type="submit" class="secondary">Cancel</button></form>`;
}

function signInForm(csrf: string, userCode: string, appName: string, error: string | null): string {
  return page(
    'Sign in',
    `<h1>Sign in</h1><p>You are signing in to <strong>${esc(appName)}</strong> on another device.</p>${errorLine(error)}
<form method="post" action="${PATH}/approve">${hidden('csrf', csrf)}${hidden('user_code', userCode)}${hidden('action', 'sign-in')}
<label for="username">Email or username</label><input id="username" name="username" type="text" autocomplete="username" required autofocus>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button></form>${cancelForm(csrf, userCode)}`,
  );
}

function confirmPage(csrf: string, userCode: string, appName: string, user: User, scopes: readonly string[]): string {
  const permissions = permissionItems(scopes);
  return page(
    `Are you trying to sign in to ${appName}?`,
    `<h1>Are you trying to sign in to ${esc(appName)}?</h1>
<p>Only continue if you started this sign-in on your app or device, and you downloaded the app from a store or website that you trust.</p>
<p>Signed in as <strong id="signed-in-as">${esc(user.userPrincipalName)}</strong></p>
<p><strong>${esc(appName)}</strong> will be able to:</p><ul id="permissions">${permissions}</ul>
<div class="actions">${cancelForm(csrf, userCode)}
<form method="post" action="${PATH}/approve">${hidden('csrf', csrf)}${hidden('user_code', userCode)}${hidden('action', 'confirm')}
<button type="submit" id="continue">Continue</button></form></div>`,
  );
}

/**
 * Looks a typed user code up under the guessing limits (RFC 8628 §5.1 asks for rate limits):
 * wrong codes count per source address and per browser (its pre-session cookie); a locked
 * guesser is refused before any lookup, and parallel guesses are counted one after another.
 */
async function lookUpUserCode(
  req: FastifyRequest,
  services: Services,
  browser: string,
  userCode: string,
): Promise<{ kind: 'pending'; code: DeviceCode } | { kind: 'unknown' } | { kind: 'locked'; seconds: number }> {
  const policy = services.config.abuse.deviceCode;
  const guessers: Subject[] = [
    { key: lockoutKey.deviceCodeSource(sourceOf(req.ip)), policy, concurrency: 4 },
    { key: lockoutKey.deviceCodeBrowser(digestCredential(browser)), policy },
  ];
  return services.limiter.exclusive(
    guessers,
    async () => {
      const seconds = await services.limiter.lockedFor(guessers);
      if (seconds > 0) return { kind: 'locked', seconds };
      const code = userCode
        ? await services.store.deviceCodes.findPendingByUserCode(digestCredential(userCode), services.clock.now())
        : null;
      if (code) return { kind: 'pending', code };
      await services.limiter.recordFailure(guessers, correlationIdOf(req));
      return { kind: 'unknown' };
    },
    () => ({ kind: 'locked', seconds: 1 }),
  );
}

export function registerDeviceLogin(http: FastifyInstance, services: Services): void {
  const now = () => services.clock.now();
  const secure = services.config.secure;
  const foreignPostsRefused = { preHandler: sameOriginPostsOnly(services) };

  /** The code form, with a token bound to this browser's pre-session cookie. */
  const showCodeForm = async (req: FastifyRequest, reply: FastifyReply, status: number, error: string | null) => {
    const token = await formToken(services, browserBinding(req, reply, secure), 'device');
    return sendPage(reply, status, codeForm(token, error));
  };
  const tooManyCodes = (req: FastifyRequest, reply: FastifyReply, seconds: number) => {
    reply.header('retry-after', String(seconds));
    return showCodeForm(req, reply, 429, 'Too many incorrect codes. Wait a few minutes, then try again.');
  };
  const appNamed = async (appId: string) => (await services.store.applications.findByAppId(services.tenant.id, appId))?.displayName;
  const timedOut = (req: FastifyRequest, reply: FastifyReply) => showCodeForm(req, reply, 403, 'Your session timed out. Please try again.');

  /** The next page for a found code: the confirmation with an SSO session, else the password form. */
  const nextStep = async (
    req: FastifyRequest,
    reply: FastifyReply,
    code: DeviceCode,
    userCode: string,
    signedIn: { session: SsoSession; user: User } | null,
    error: string | null,
  ) => {
    const app = await services.store.applications.findByAppId(services.tenant.id, code.clientId);
    const appName = app?.displayName ?? code.clientId;
    if (signedIn) {
      const token = await formToken(services, { kind: 'session', sessionId: signedIn.session.id }, 'device-confirm');
      return sendPage(reply, 200, confirmPage(token, userCode, appName, signedIn.user, code.scopes));
    }
    const token = await formToken(services, browserBinding(req, reply, secure), 'device');
    return sendPage(reply, 200, signInForm(token, userCode, appName, error));
  };

  http.get(PATH, async (req, reply) => showCodeForm(req, reply, 200, null));

  http.post(PATH, foreignPostsRefused, async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const browser = sentBrowserBinding(req, secure);
    if (!browser || !(await formTokenValid(services, browser, 'device', body.csrf))) return timedOut(req, reply);
    const userCode = normaliseUserCode(body.user_code);
    const found = await lookUpUserCode(req, services, browser.value, userCode);
    if (found.kind === 'locked') return tooManyCodes(req, reply, found.seconds);
    if (found.kind === 'unknown') return showCodeForm(req, reply, 400, 'That code didn’t work. Check the code and try again.');
    return nextStep(req, reply, found.code, userCode, await liveSession(req, services), null);
  });

  http.post(`${PATH}/approve`, foreignPostsRefused, async (req: FastifyRequest, reply: FastifyReply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const action = typeof body.action === 'string' && Object.hasOwn(APPROVE_ACTIONS, body.action) ? body.action : null;
    const browser = sentBrowserBinding(req, secure);
    const live = await liveSession(req, services);
    const bindings: Record<CsrfBinding['kind'], CsrfBinding | null> = {
      browser,
      session: live ? { kind: 'session', sessionId: live.session.id } : null,
    };
    let accepted = false;
    for (const rule of action ? APPROVE_ACTIONS[action]! : []) {
      if (await formTokenValid(services, bindings[rule.binding], rule.purpose, body.csrf)) accepted = true;
    }
    if (!accepted) return timedOut(req, reply);
    const userCode = normaliseUserCode(body.user_code);
    const codeHash = digestCredential(userCode);
    // A browser is counted by its pre-session cookie, or by its session if it has none.
    const found = await lookUpUserCode(req, services, browser?.value ?? `session:${live!.session.id}`, userCode);
    if (found.kind === 'locked') return tooManyCodes(req, reply, found.seconds);
    if (found.kind === 'unknown')
      return showCodeForm(req, reply, 400, 'That code has expired or was already used. Start again on your device.');
    const pending = found.code;
    if (action === 'decline') {
      await services.store.deviceCodes.decide(codeHash, { status: 'declined' }, now());
      return sendPage(
        reply,
        200,
        messagePage('Sign-in cancelled', 'You cancelled the sign-in on the other device. You can close this window.'),
      );
    }
    if (action === 'sign-in') {
      const username = typeof body.username === 'string' ? body.username : '';
      const password = typeof body.password === 'string' ? body.password : '';
      const checked = await checkPassword(services, { username, password, source: sourceOf(req.ip), correlationId: correlationIdOf(req) });
      if (!checked.ok) {
        const app = { appId: pending.clientId, displayName: (await appNamed(pending.clientId)) ?? pending.clientId };
        const entry = refusedPasswordEntry(req, services, { checked, username, app, how: 'deviceCode' });
        if (entry) services.signIns.record(entry);
        return nextStep(req, reply, pending, userCode, null, SIGN_IN_REFUSED[checked.reason]);
      }
      // Signed in, not yet approved: the user confirms on the next page.
      const session = await startSession(reply, services, checked.user, { clientId: pending.clientId, context: clientContextOf(req) });
      return nextStep(req, reply, pending, userCode, { session, user: checked.user }, null);
    }
    // confirm: the token was bound to this live session, so `live` is who confirmed.
    const { session, user } = live!;
    await services.store.deviceCodes.decide(
      codeHash,
      { status: 'approved', userId: user.id, sessionId: session.id, epoch: session.epoch, authTime: session.authTime },
      now(),
    );
    const app = await services.store.applications.findByAppId(services.tenant.id, pending.clientId);
    // The approval is the device's interactive sign-in; the device's poll only redeems it.
    const signedInTo = { appId: pending.clientId, displayName: app?.displayName ?? pending.clientId };
    services.signIns.record(signInEntry(req, services, { user, app: signedInTo, how: 'deviceCode', error: null }));
    return sendPage(
      reply,
      200,
      messagePage(
        `You have signed in to ${app?.displayName ?? pending.clientId}`,
        `You are signed in as ${user.userPrincipalName}. You can close this window and return to your device.`,
      ),
    );
  });
}
