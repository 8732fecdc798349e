/**
 * The admin console (/admin) and My Account (/myaccount): server-rendered pages of a
 * backend-for-frontend client of this tenant (docs/console.md). The console reads and writes only
 * through the public HTTP APIs, with the signed-in user's own token.
 */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.js';
import { AREAS, type Area } from './areas.js';
import { CONSOLE_CSS } from './console-css.js';
import { ConsoleHttp } from './http-client.js';
import { layout } from './layout.js';
import { action, page } from './page-context.js';
import { accountActivityPage } from './pages/account-activity.js';
import { notMe, revokeMyApp, revokeMySession, signOutEverywhere, signOutOthers } from './pages/account-actions.js';
import { accountAppsPage } from './pages/account-apps.js';
import { accountSessionsPage } from './pages/account-sessions.js';
import { adminAppPage } from './pages/admin-app.js';
import { addScope, addSecret, removeSecret, saveRedirectUris } from './pages/admin-app-actions.js';
import { adminAppsPage, registerApp } from './pages/admin-apps.js';
import { confirmRevokePage, revokeOneApp, revokeOneSession, revokeUser } from './pages/admin-revoke.js';
import { receiptPage } from './pages/admin-receipt.js';
import { adminUserPage } from './pages/admin-user.js';
import { disableUser, enableUser, resetPassword } from './pages/admin-user-actions.js';
import { adminUsersPage } from './pages/admin-users.js';
import { auditLogPage } from './pages/admin-audit.js';
import { signInLogPage } from './pages/admin-sign-ins.js';
import { CHANGE_PASSWORD_PATH, changeMyPassword, changePasswordPage } from './pages/change-password.js';
import { CONSOLE_APP_ID, SIGNED_OUT_PATH } from './registration.js';
import { sendConsolePage } from './respond.js';
import type { ConsoleRuntime } from './runtime.js';
import { ConsoleSessionStore } from './session-store.js';
import { finishSignIn } from './sign-in.js';

export const CONSOLE_PATHS = { account: AREAS.account.path, admin: AREAS.admin.path } as const;

function signOut(http: FastifyInstance, rt: ConsoleRuntime, area: Area): void {
  action(http, rt, area, `${AREAS[area].path}/sign-out`, async (ctx) => {
    rt.sessions.delete(ctx.session.id);
    const q = new URLSearchParams({
      client_id: CONSOLE_APP_ID,
      post_logout_redirect_uri: `${rt.services.config.publicUrl}${SIGNED_OUT_PATH}`,
    });
    return { redirect: `/${rt.services.tenant.id}/oauth2/v2.0/logout?${q}` };
  });
}

/** Registers the console; the returned function closes its HTTP client. */
export function registerConsole(http: FastifyInstance, services: Services, ownCertificate?: string | Buffer): () => Promise<void> {
  const rt: ConsoleRuntime = {
    services,
    http: new ConsoleHttp(services.config.publicUrl, ownCertificate),
    sessions: new ConsoleSessionStore(() => services.clock.now()),
  };
  http.get('/console/console.css', (_req, reply) =>
    reply
      .type('text/css; charset=utf-8')
      .header('cache-control', 'public, max-age=3600')
      .header('x-content-type-options', 'nosniff')
      .send(CONSOLE_CSS),
  );
  http.get('/', (_req, reply) => reply.code(302).redirect(AREAS.account.path));
  http.get('/console/callback', async (req, reply) => {
    const result = await finishSignIn(rt, req, reply);
    if (result.ok) return reply.code(302).header('cache-control', 'no-store').redirect(result.location);
    return sendConsolePage(
      reply,
      400,
      layout({ area: 'account', title: 'Sign-in failed' }, `<p>${result.reason}</p><p><a href="/myaccount">Try again</a></p>`),
    );
  });
  http.get(SIGNED_OUT_PATH, (_req, reply) =>
    sendConsolePage(
      reply,
      200,
      layout(
        { area: 'account', title: 'You signed out' },
        '<p>You are signed out. Close the browser if others use this computer.</p><p><a href="/myaccount">My Account</a> · <a href="/admin">Admin console</a></p>',
      ),
    ),
  );

  // My Account
  page(http, rt, 'account', '/myaccount', accountSessionsPage);
  page(http, rt, 'account', '/myaccount/activity', accountActivityPage);
  page(http, rt, 'account', '/myaccount/apps', accountAppsPage);
  action(http, rt, 'account', '/myaccount/sessions/revoke', revokeMySession);
  action(http, rt, 'account', '/myaccount/sign-out-others', signOutOthers);
  action(http, rt, 'account', '/myaccount/sign-out-everywhere', signOutEverywhere);
  action(http, rt, 'account', '/myaccount/not-me', notMe);
  action(http, rt, 'account', '/myaccount/apps/revoke', revokeMyApp);
  page(http, rt, 'account', CHANGE_PASSWORD_PATH, changePasswordPage);
  action(http, rt, 'account', CHANGE_PASSWORD_PATH, changeMyPassword);
  // The old end of "This wasn't me" (bookmarks, open tabs): the change page, after signing in again.
  http.get('/myaccount/password-help', (_req, reply) => reply.code(302).redirect(`${CHANGE_PASSWORD_PATH}?from=not-me`));
  signOut(http, rt, 'account');

  // Admin
  http.get('/admin', (_req, reply) => reply.code(302).redirect('/admin/users'));
  page(http, rt, 'admin', '/admin/users', adminUsersPage);
  page(http, rt, 'admin', '/admin/users/:id', adminUserPage);
  page(http, rt, 'admin', '/admin/users/:id/revoke', confirmRevokePage);
  action(http, rt, 'admin', '/admin/users/:id/revoke', revokeUser);
  action(http, rt, 'admin', '/admin/users/:id/sessions/revoke', revokeOneSession);
  action(http, rt, 'admin', '/admin/users/:id/apps/revoke', revokeOneApp);
  action(http, rt, 'admin', '/admin/users/:id/disable', disableUser);
  action(http, rt, 'admin', '/admin/users/:id/enable', enableUser);
  action(http, rt, 'admin', '/admin/users/:id/reset-password', resetPassword);
  page(http, rt, 'admin', '/admin/receipts/:correlationId', receiptPage);
  page(http, rt, 'admin', '/admin/sign-ins', signInLogPage);
  page(http, rt, 'admin', '/admin/audit', auditLogPage);
  page(http, rt, 'admin', '/admin/apps', adminAppsPage);
  action(http, rt, 'admin', '/admin/apps', registerApp);
  page(http, rt, 'admin', '/admin/apps/:id', adminAppPage);
  action(http, rt, 'admin', '/admin/apps/:id/redirect-uris', saveRedirectUris);
  action(http, rt, 'admin', '/admin/apps/:id/secrets/add', addSecret);
  action(http, rt, 'admin', '/admin/apps/:id/secrets/remove', removeSecret);
  action(http, rt, 'admin', '/admin/apps/:id/scopes/add', addScope);
  signOut(http, rt, 'admin');

  return () => rt.http.close();
}
