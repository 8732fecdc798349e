/**
 * My recent sign-ins: every session and app sign-in of my account, newest first, live or ended.
 * Users may not read the tenant's sign-in log (docs/authorization.md, "Reading sign-in logs"), so
 * this is the session inventory, which records each sign-in with its device, address and method.
 */
import { actionForm, layout, table } from '../layout.js';
import { graph } from '../graph.js';
import type { Outcome, PageContext } from '../page-context.js';
import { cells, hereTag, liveTag, method, type Collection, type SignInSession } from './session-rows.js';

export async function accountActivityPage(ctx: PageContext): Promise<Outcome> {
  const list = await graph<Collection<SignInSession>>(ctx.rt, ctx.session, 'GET', '/me/signInSessions?$top=50');
  const rows = list.value.map((s) => [
    ...cells(s),
    method(s.signInMethod),
    `${liveTag(s.isLive)}${s.id === ctx.session.sid ? ` ${hereTag}` : ''}`,
  ]);
  const body = `<section aria-labelledby="recent"><h2 id="recent">Your recent sign-ins</h2>
<p class="muted">The last 50 sign-ins of your account by browsers and apps.</p>
${table(['Device', 'App', 'IP address', 'Signed in', 'Last used', 'How', 'State'], rows, 'Your recent sign-ins')}</section>
<section aria-labelledby="notme"><h2 id="notme">Don’t recognise one?</h2>
<p>If a sign-in above was not you, sign out everything at once: every browser and app, this one too. Then have your password changed.</p>
${actionForm({ action: '/myaccount/not-me', csrf: ctx.csrf, label: 'This wasn’t me', style: 'danger', id: 'not-me' })}</section>`;
  return { html: layout(ctx.frame('Recent activity', '/myaccount/activity'), body) };
}
