/** My Account home: my browser sessions (this one marked) and the sign-out actions. */
import { esc } from '../../web/html.js';
import { actionForm, layout, table } from '../layout.js';
import { graph } from '../graph.js';
import type { Outcome, PageContext } from '../page-context.js';
import { cells, hereTag, type Collection, type SignInSession } from './session-rows.js';

export function doneNotice(q: Record<string, string>): string {
  const n = (k: string) => Number.parseInt(q[k] ?? '0', 10) || 0;
  if (q.done === 'one')
    return `<p class="notice" role="status">Signed out of that session (${n('sessions')} session, ${n('grants')} app sign-ins ended).</p>`;
  if (q.done === 'others')
    return `<p class="notice" role="status" id="done">Signed out everywhere else: ${n('sessions')} sessions and ${n('grants')} app sign-ins ended. This browser stays signed in.</p>`;
  if (q.done === 'app') return `<p class="notice" role="status">Access removed: ${n('grants')} app sign-ins ended.</p>`;
  return '';
}

export async function accountSessionsPage(ctx: PageContext): Promise<Outcome> {
  const { session, csrf } = ctx;
  const list = await graph<Collection<SignInSession>>(
    ctx.rt,
    session,
    'GET',
    `/me/signInSessions?$filter=${encodeURIComponent('isLive eq true')}&$top=200`,
  );
  const browsers = list.value.filter((s) => s.kind === 'browserSession');
  const rows = browsers.map((s) => {
    const here = s.id === session.sid;
    const act = here
      ? hereTag
      : actionForm({ action: '/myaccount/sessions/revoke', csrf, label: 'Sign out', fields: { sessionId: s.id }, style: 'secondary' });
    return [...cells(s), act];
  });
  const noSid = session.sid ? null : 'This browser signed in without a session of its own, so there is no “else” to keep.';
  const body = `${doneNotice(ctx.query)}
<section aria-labelledby="devices"><h2 id="devices">Where you are signed in</h2>
<p class="muted">Every browser that holds a sign-in session for your account. Signing one out also ends the app sign-ins that came from it.</p>
${table(['Device', 'Signed in to', 'IP address', 'Signed in', 'Last used', ''], rows, 'Your browser sessions')}</section>
<section aria-labelledby="everywhere"><h2 id="everywhere">Sign out everywhere</h2><div class="actions">
<div>${actionForm({ action: '/myaccount/sign-out-others', csrf, label: 'Sign out everywhere else', disabledReason: noSid, id: 'sign-out-others' })}
<p class="reason">Every other browser and app is signed out; this browser stays signed in.</p></div>
<div>${actionForm({ action: '/myaccount/sign-out-everywhere', csrf, label: 'Sign out everywhere', style: 'danger', id: 'sign-out-everywhere' })}
<p class="reason">Every browser and app, this one too. You will be asked to sign in again.</p></div></div></section>
<p class="muted">Signed in as ${esc(session.userPrincipalName)}.</p>`;
  return { html: layout(ctx.frame('Sessions and devices', '/myaccount'), body) };
}
