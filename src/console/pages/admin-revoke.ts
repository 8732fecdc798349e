/**
 * Revoke sessions: a confirmation naming the user with what the revoke would end (the user's live
 * sessions and app sign-ins, which is what revokeSignInSessions cuts, docs/receipts.md), then the
 * revoke with a fresh client-request-id — the receipt's key — and the receipt page.
 */
import { randomUUID } from 'node:crypto';
import { esc } from '../../web/html.js';
import { graph } from '../graph.js';
import { actionForm, layout } from '../layout.js';
import type { Outcome, PageContext } from '../page-context.js';
import { userPath } from './admin-user.js';
import type { Collection, SignInSession } from './session-rows.js';

/** Enough for any one user; a user with more is shown "at least". */
const COUNT_LIMIT = 999;

export async function confirmRevokePage(ctx: PageContext): Promise<Outcome> {
  const id = ctx.params.id ?? '';
  const user = await graph<{ id: string; displayName: string; userPrincipalName: string }>(
    ctx.rt,
    ctx.session,
    'GET',
    `${userPath(id)}?$select=id,displayName,userPrincipalName`,
  );
  const live = await graph<Collection<SignInSession>>(
    ctx.rt,
    ctx.session,
    'GET',
    `${userPath(user.id)}/signInSessions?$filter=${encodeURIComponent('isLive eq true')}&$top=${COUNT_LIMIT}`,
  );
  const sessions = live.value.filter((s) => s.kind === 'browserSession').length;
  const grants = live.value.length - sessions;
  const more = live['@odata.nextLink'] ? 'at least ' : '';
  const back = `/admin/users/${encodeURIComponent(user.id)}`;
  const body = `<section><p>You are about to sign <strong id="confirm-user">${esc(user.displayName)} (${esc(user.userPrincipalName)})</strong> out of everything.</p>
<p id="dry-run">This ends ${more}<strong>${sessions}</strong> browser sessions and ${more}<strong>${grants}</strong> app sign-ins. Every app that registered for it is told (back-channel logout, Shared Signals). Access tokens already issued are refused by this server at once.</p>
<div class="actions"><div>${actionForm({ action: `${back}/revoke`, csrf: ctx.csrf, label: 'Revoke sessions', style: 'danger', id: 'confirm' })}</div>
<div><a class="button" href="${back}">Cancel</a></div></div></section>`;
  return { html: layout(ctx.frame(`Revoke sessions of ${user.displayName}?`, '/admin/users'), body) };
}

export async function revokeUser(ctx: PageContext): Promise<Outcome> {
  const correlationId = randomUUID();
  await graph(
    ctx.rt,
    ctx.session,
    'POST',
    `${userPath(ctx.params.id ?? '')}/revokeSignInSessions`,
    {},
    { 'client-request-id': correlationId },
  );
  return { redirect: `/admin/receipts/${correlationId}` };
}

interface Cut {
  correlationId: string;
}

export async function revokeOneSession(ctx: PageContext): Promise<Outcome> {
  const id = ctx.params.id ?? '';
  const sid = encodeURIComponent(ctx.form.sessionId ?? '');
  const cut = await graph<Cut>(ctx.rt, ctx.session, 'POST', `${userPath(id)}/signInSessions/${sid}/revoke`, {});
  return { redirect: `/admin/receipts/${encodeURIComponent(cut.correlationId)}` };
}

export async function revokeOneApp(ctx: PageContext): Promise<Outcome> {
  const id = ctx.params.id ?? '';
  const cut = await graph<Cut>(ctx.rt, ctx.session, 'POST', `${userPath(id)}/signInSessions/revokeForApp`, { appId: ctx.form.appId ?? '' });
  return { redirect: `/admin/receipts/${encodeURIComponent(cut.correlationId)}` };
}
