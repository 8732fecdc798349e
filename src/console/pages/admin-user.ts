/**
 * One user: profile, roles, revocation state, live sessions and app sign-ins, recent sign-ins
 * (failures included), recent revokes, the newest audit entries about the user (Graph's
 * `targetResources/any` filter, src/graph/audit-filter.ts), and the actions, each disabled with its reason when the
 * signed-in admin's roles may not take it (permission-reason.ts; the server decides regardless).
 */
import { esc } from '../../web/html.js';
import { takeFlash } from '../flash.js';
import { graph, graphOrNull, odataString } from '../graph.js';
import { actionForm, layout, table, text, when } from '../layout.js';
import type { Outcome, PageContext } from '../page-context.js';
import { whyNot } from '../permission-reason.js';
import { type Audit, initiatorOf, resultTag } from './admin-audit.js';
import { rolesOf, roleTags } from './roles.js';
import { cells, type Collection, type SignInSession } from './session-rows.js';

interface FullUser {
  id: string;
  displayName: string;
  userPrincipalName: string;
  mail: string | null;
  accountEnabled: boolean;
  createdDateTime: string | null;
  signInSessionsValidFromDateTime: string | null;
}

interface SignIn {
  createdDateTime: string;
  appDisplayName: string | null;
  ipAddress: string;
  status: { errorCode: number; failureReason: string | null };
  deviceDetail: { browser: string; operatingSystem: string };
}

interface Receipt {
  correlationId: string;
  revocationType: string;
  revokedDateTime: string;
  sessionsRevoked: number;
  grantsRevoked: number;
  initiatedBy: { user: { userPrincipalName: string } | null; app: { displayName: string } | null };
}

const SELECT = 'id,displayName,userPrincipalName,mail,accountEnabled,createdDateTime,signInSessionsValidFromDateTime';

export const userPath = (id: string): string => `/users/${encodeURIComponent(id)}`;

const refusedNote = (what: string) => `<p class="muted">Not shown: your roles may not read ${what} (docs/authorization.md).</p>`;

export async function adminUserPage(ctx: PageContext): Promise<Outcome> {
  const { rt, session, csrf } = ctx;
  const id = ctx.params.id ?? '';
  const base = userPath(id);
  const [user, roles, myRoles] = await Promise.all([
    graph<FullUser>(rt, session, 'GET', `${base}?$select=${SELECT}`),
    rolesOf(rt, session, base),
    rolesOf(rt, session, '/me'),
  ]);
  const target = { id: user.id, roles: roles.map((r) => r.roleTemplateId) };
  const admin = { id: session.userId, roles: myRoles.map((r) => r.roleTemplateId) };
  const why = (a: Parameters<typeof whyNot>[1]) => whyNot(admin, a, target);
  const [sessions, signIns, receipts, audits] = await Promise.all([
    graphOrNull<Collection<SignInSession>>(rt, session, `${base}/signInSessions?$filter=${encodeURIComponent('isLive eq true')}&$top=100`),
    graphOrNull<Collection<SignIn>>(
      rt,
      session,
      `/auditLogs/signIns?$filter=${encodeURIComponent(`userId eq ${odataString(user.id)}`)}&$top=10`,
    ),
    graphOrNull<Collection<Receipt>>(
      rt,
      session,
      `/auditLogs/revocationReceipts?$filter=${encodeURIComponent(`userId eq ${odataString(user.id)}`)}&$top=10`,
    ),
    graphOrNull<Collection<Audit>>(
      rt,
      session,
      `/auditLogs/directoryAudits?$filter=${encodeURIComponent(`targetResources/any(t:t/id eq ${odataString(user.id)})`)}&$top=10`,
    ),
  ]);
  const act = `/admin/users/${encodeURIComponent(user.id)}`;
  const cutOne = why('revokeSelectedSessions');
  const sessionRows = (sessions?.value ?? []).map((s) => [
    s.kind === 'browserSession' ? 'Browser' : 'App sign-in',
    ...cells(s),
    s.kind === 'browserSession'
      ? actionForm({
          action: `${act}/sessions/revoke`,
          csrf,
          label: 'Sign out',
          fields: { sessionId: s.id },
          style: 'secondary',
          disabledReason: cutOne,
        })
      : actionForm({
          action: `${act}/apps/revoke`,
          csrf,
          label: 'Revoke app',
          fields: { appId: s.appId ?? '' },
          style: 'secondary',
          disabledReason: cutOne,
        }),
  ]);
  const signInRows = (signIns?.value ?? []).map((s) => [
    when(s.createdDateTime),
    text(s.appDisplayName),
    text(s.ipAddress),
    text(`${s.deviceDetail.browser} ${s.deviceDetail.operatingSystem}`.trim()),
    s.status.errorCode === 0
      ? '<span class="tag ok">success</span>'
      : `<span class="tag off">failed ${s.status.errorCode}</span> ${text(s.status.failureReason)}`,
  ]);
  const receiptRows = (receipts?.value ?? []).map((r) => [
    `<a href="/admin/receipts/${encodeURIComponent(r.correlationId)}">${when(r.revokedDateTime)}</a>`,
    esc(r.revocationType),
    text(r.initiatedBy.user?.userPrincipalName ?? r.initiatedBy.app?.displayName),
    `${r.sessionsRevoked} sessions, ${r.grantsRevoked} app sign-ins`,
  ]);
  const auditRows = (audits?.value ?? []).map((a) => [when(a.activityDateTime), esc(a.activityDisplayName), initiatorOf(a), resultTag(a)]);
  const toggle = user.accountEnabled
    ? actionForm({
        action: `${act}/disable`,
        csrf,
        label: 'Disable account',
        style: 'danger',
        disabledReason: why('disable'),
        id: 'disable',
      })
    : actionForm({ action: `${act}/enable`, csrf, label: 'Enable account', disabledReason: why('enable'), id: 'enable' });
  const revokeWhy = why('revokeSignInSessions');
  const revoke = revokeWhy
    ? actionForm({ action: `${act}/revoke`, csrf, label: 'Revoke sessions', style: 'danger', disabledReason: revokeWhy, id: 'revoke' })
    : `<a class="button" id="revoke" href="${act}/revoke">Revoke sessions…</a>`;
  const body = `${takeFlash(ctx.session)}<section aria-labelledby="profile"><h2 id="profile">Profile</h2><dl class="props">
<dt>Name</dt><dd>${esc(user.displayName)}</dd><dt>User name</dt><dd>${esc(user.userPrincipalName)}</dd><dt>Mail</dt><dd>${text(user.mail)}</dd>
<dt>State</dt><dd>${user.accountEnabled ? '<span class="tag ok">enabled</span>' : '<span class="tag off">disabled</span>'}</dd>
<dt>Roles</dt><dd>${roleTags(roles)}</dd><dt>Created</dt><dd>${when(user.createdDateTime)}</dd>
<dt>Sessions valid from</dt><dd id="valid-from">${when(user.signInSessionsValidFromDateTime)}</dd></dl></section>
<section aria-labelledby="actions"><h2 id="actions">Actions</h2><div class="actions">
<div>${revoke}</div><div>${toggle}</div>
<div>${actionForm({ action: `${act}/reset-password`, csrf, label: 'Reset password', disabledReason: why('resetPassword'), id: 'reset-password' })}</div></div></section>
<section aria-labelledby="live"><h2 id="live">Live sessions and app sign-ins</h2>
${sessions ? table(['Kind', 'Device', 'App', 'IP address', 'Signed in', 'Last used', ''], sessionRows, 'Live sessions') : refusedNote('this user’s sessions')}</section>
<section aria-labelledby="signins"><h2 id="signins">Recent sign-ins</h2>
${signIns ? table(['When', 'App', 'IP address', 'Device', 'Result'], signInRows, 'Recent sign-ins') : refusedNote('the sign-in log')}</section>
<section aria-labelledby="receipts"><h2 id="receipts">Recent revokes</h2>
${receipts ? table(['When', 'Kind', 'By', 'Cut'], receiptRows, 'Recent revokes') : refusedNote('the audit log')}</section>
<section aria-labelledby="audit"><h2 id="audit">Recent audit entries</h2>
${audits ? table(['When', 'Activity', 'By', 'Result'], auditRows, 'Recent audit entries') : refusedNote('the audit log')}
<p><a href="/admin/audit">The whole audit log</a></p></section>`;
  return { html: layout(ctx.frame(user.displayName, '/admin/users'), body) };
}
