import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sourceOf } from '../../core/lockout.js';
import type { Services } from '../../services.js';
import { browserBinding, formToken, formTokenValid, sentBrowserBinding } from '../../web/csrf.js';
import { sameOriginPostsOnly } from '../../web/same-origin-posts.js';
import { sendPage } from '../../web/send-page.js';
import { SIGN_IN_REFUSED } from '../../web/sign-in-messages.js';
import { signInPage } from '../../web/sign-in-page.js';
import { RedirectableError, validateAuthorizeRequest, type AuthorizeRequest } from '../authorize-request.js';
import { issueCode } from '../authorize-response.js';
import { clientContextOf } from '../client-context.js';
import { correlationIdOf } from '../error-response.js';
import { AADSTS } from '../oauth-errors.js';
import { Params } from '../params.js';
import { checkPassword } from '../password-sign-in.js';
import { refusedPasswordEntry, signInEntry } from '../sign-in-entry.js';
import { liveSession, startSession } from '../sso-session.js';
import { resolveTenant } from '../tenant.js';

type TenantParams = { tenant: string };

/**
 * GET /{tenant}/oauth2/v2.0/authorize (RFC 6749 §4.1.1, OIDC Core §3.1.2) and the sign-in form's
 * POST back to the same URL.
 */
export function registerAuthorize(http: FastifyInstance, services: Services): void {
  const path = '/:tenant/oauth2/v2.0/authorize';

  http.get<{ Params: TenantParams }>(path, async (req, reply) => {
    return handle(req, reply, services, Params.of(req.query, 'query'), async (request) => {
      const live = await liveSession(req, services);
      // A CAE claims challenge (access_token nbf) answered with an SSO session from before that
      // time must not be satisfied silently: the user signs in again (https://learn.microsoft.com/entra/identity-platform/claims-challenge).
      const predatesChallenge =
        live !== null && request.claims.notBefore !== null && live.session.authTime < request.claims.notBefore * 1000;
      const mustAuthenticate = request.prompt === 'login' || request.prompt === 'select_account' || live === null || predatesChallenge;
      if (request.prompt === 'none' && mustAuthenticate) {
        // OIDC Core §3.1.2.6: no interaction allowed and none possible without a live session.
        throw new RedirectableError(predatesChallenge ? AADSTS.sessionPredatesChallenge() : AADSTS.loginRequired(), request);
      }
      if (!mustAuthenticate && live) {
        // A silent sign-in is a use of the session (docs/sessions.md); at most one write a minute.
        await services.store.sessions.touch(live.session.id, services.clock.now());
        // Single sign-on: the session cookie signs the user in to this app, interactively (Entra logs these too).
        services.signIns.record(signInEntry(req, services, { user: live.user, app: request.app, how: 'browser', error: null }));
        return issueCode(reply, services, request, live.session, live.user, 'sso');
      }
      return showSignIn(req, reply, services, request, null, request.loginHint ?? live?.user.userPrincipalName ?? '');
    });
  });

  // The sign-in form's post: refused from another site before anything else (login CSRF).
  http.post<{ Params: TenantParams }>(path, { preHandler: sameOriginPostsOnly(services) }, async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const form = Params.of(body, 'body');
    // The sign-in form carries the original request as `authorize_request`; re-validate it all.
    const original = new URLSearchParams(form.get('authorize_request') ?? '');
    const params = Params.of(Object.fromEntries(original), 'query');
    return handle(req, reply, services, params, async (request) => {
      // Bound to the browser's pre-session cookie (web/csrf.ts): a token alone, or a cookie
      // planted by another site, is not enough.
      if (!(await formTokenValid(services, sentBrowserBinding(req, services.config.secure), 'sign-in', body.csrf))) {
        return showSignIn(req, reply, services, request, 'Your session timed out. Please sign in again.', form.get('username') ?? '', 403);
      }
      const username = form.get('username') ?? '';
      const password = form.get('password') ?? '';
      const checked = await checkPassword(services, { username, password, source: sourceOf(req.ip), correlationId: correlationIdOf(req) });
      if (!checked.ok) {
        const entry = refusedPasswordEntry(req, services, { checked, username, app: request.app, how: 'browser' });
        if (entry) services.signIns.record(entry);
        return showSignIn(req, reply, services, request, SIGN_IN_REFUSED[checked.reason], username, 200);
      }
      services.signIns.record(signInEntry(req, services, { user: checked.user, app: request.app, how: 'browser', error: null }));
      const session = await startSession(reply, services, checked.user, { clientId: request.app.appId, context: clientContextOf(req) });
      return issueCode(reply, services, request, session, checked.user, 'password');
    });
  });
}

/**
 * Runs the validated-request steps. Their errors are answered by the scope's error handler
 * (identity/routes.ts): to the client's redirect URI once it is trusted (RedirectableError, RFC 6749
 * §4.1.2.1), otherwise as a page.
 */
async function handle(
  req: FastifyRequest<{ Params: TenantParams }>,
  _reply: FastifyReply,
  services: Services,
  params: Params,
  then: (request: AuthorizeRequest) => Promise<FastifyReply>,
): Promise<FastifyReply> {
  resolveTenant(req.params.tenant, services.tenant);
  const request = await validateAuthorizeRequest(params, services);
  return then(request);
}

async function showSignIn(
  req: FastifyRequest<{ Params: TenantParams }>,
  reply: FastifyReply,
  services: Services,
  request: AuthorizeRequest,
  error: string | null,
  username: string,
  status = 200,
): Promise<FastifyReply> {
  const html = signInPage({
    // Relative: the form posts back to this same /{tenant}/oauth2/v2.0/authorize URL.
    action: 'authorize',
    csrf: await formToken(services, browserBinding(req, reply, services.config.secure), 'sign-in'),
    appName: request.app.displayName,
    username,
    error,
    hiddenFields: { authorize_request: request.raw.toString() },
    tenantName: services.tenant.displayName,
  });
  // CSP form-action also governs where the form's POST may redirect (Chromium enforces it), so
  // the client's validated redirect URI must be allowed or the code could never reach it.
  return sendPage(reply, status, html, { formActions: [new URL(request.redirectUri).origin] });
}
