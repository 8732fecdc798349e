/** My apps: the applications holding a live sign-in of my account, and removing one's access. */
import { permissionItems } from '../../web/permission-descriptions.js';
import { actionForm, layout, table, when } from '../layout.js';
import { graph } from '../graph.js';
import type { Outcome, PageContext } from '../page-context.js';
import { doneNotice } from './account-sessions.js';
import { appName, type Collection, type SignInSession } from './session-rows.js';

export async function accountAppsPage(ctx: PageContext): Promise<Outcome> {
  const list = await graph<Collection<SignInSession>>(
    ctx.rt,
    ctx.session,
    'GET',
    `/me/signInSessions?$filter=${encodeURIComponent('isLive eq true')}&$top=200`,
  );
  const apps = new Map<string, SignInSession[]>();
  for (const s of list.value) if (s.kind === 'refreshTokenGrant' && s.appId) apps.set(s.appId, [...(apps.get(s.appId) ?? []), s]);
  const rows = [...apps].map(([appId, grants]) => [
    appName(grants[0]!),
    permissionList(grants),
    String(grants.length),
    when(
      grants
        .map((g) => g.lastActivityDateTime)
        .sort()
        .at(-1),
    ),
    actionForm({ action: '/myaccount/apps/revoke', csrf: ctx.csrf, label: 'Remove access', fields: { appId }, style: 'secondary' }),
  ]);
  const body = `${doneNotice(ctx.query)}<section aria-labelledby="apps"><h2 id="apps">Apps that can act for you</h2>
<p class="muted">Each app keeps a sign-in (a refresh token) it renews on its own. Removing its access ends them; it will have to ask you to sign in again. What an app may do is what you or your administrator consented to when it signed in.</p>
${table(['App', 'What it may do', 'Sign-ins', 'Last used', ''], rows, 'Apps signed in with your account')}</section>`;
  return { html: layout(ctx.frame('My apps', '/myaccount/apps'), body) };
}

/** Every scope any of an app's live grants holds, described as the consent pages word it. */
function permissionList(grants: readonly SignInSession[]): string {
  const items = permissionItems(grants.flatMap((g) => g.scopes ?? []));
  return items ? `<ul class="permissions">${items}</ul>` : '—';
}
