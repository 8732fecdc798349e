/**
 * App registrations: the list (GET /applications, Graph's paging) and the registration form
 * (POST /applications with a name and one platform's redirect URIs). The register button is
 * disabled with its reason when the admin's roles may not register (permission-reason.ts).
 */
import { esc } from '../../web/html.js';
import { graph } from '../graph.js';
import { actionForm, layout, table, when } from '../layout.js';
import type { Outcome, PageContext } from '../page-context.js';
import { whyNotForApps } from '../permission-reason.js';
import { adminOf, consoleAppPath, type GraphApplication, PLATFORMS, type Platform, uriLines } from './app-model.js';
import type { Collection } from './session-rows.js';

const PAGE = 50;

export async function adminAppsPage(ctx: PageContext): Promise<Outcome> {
  const params = new URLSearchParams({ $top: String(PAGE) });
  if (ctx.query.next) params.set('$skiptoken', ctx.query.next);
  const [list, admin] = await Promise.all([
    graph<Collection<GraphApplication>>(ctx.rt, ctx.session, 'GET', `/applications?${params}`),
    adminOf(ctx),
  ]);
  const rows = list.value.map((a) => [
    `<a href="${consoleAppPath(a.id)}">${esc(a.displayName)}</a>`,
    `<code>${esc(a.appId)}</code>`,
    when(a.createdDateTime),
  ]);
  const nextLink = list['@odata.nextLink'];
  const skip = nextLink ? new URL(nextLink).searchParams.get('$skiptoken') : null;
  const pager = skip
    ? `<p class="pager"><a href="/admin/apps?${new URLSearchParams({ next: skip })}" rel="next">Next ${PAGE} applications</a></p>`
    : '';
  const why = whyNotForApps(admin, 'createApplication');
  const platforms = PLATFORMS.map(([value, label]) => `<option value="${value}">${esc(label)}</option>`).join('');
  const register = why
    ? actionForm({ action: '/admin/apps', csrf: ctx.csrf, label: 'Register', disabledReason: why, id: 'register' })
    : `<form method="post" action="/admin/apps"><input type="hidden" name="csrf" value="${esc(ctx.csrf)}">
<label for="displayName">Name</label><input id="displayName" name="displayName" type="text" required maxlength="256" autocomplete="off">
<label for="platform">Platform</label><select id="platform" name="platform">${platforms}</select>
<label for="redirectUris">Redirect URIs (one a line; https, or http on localhost)</label><textarea id="redirectUris" name="redirectUris" rows="3"></textarea>
<p><button type="submit" id="register">Register</button></p></form>`;
  const body = `<section aria-labelledby="apps"><h2 id="apps">Registered applications</h2>
${table(['Name', 'Application (client) ID', 'Created'], rows, 'Registered applications')}${pager}</section>
<section aria-labelledby="new"><h2 id="new">Register an application</h2>${register}</section>`;
  return { html: layout(ctx.frame('App registrations', '/admin/apps'), body) };
}

const isPlatform = (v: string | undefined): v is Platform => PLATFORMS.some(([p]) => p === v);

export async function registerApp(ctx: PageContext): Promise<Outcome> {
  const platform = isPlatform(ctx.form.platform) ? ctx.form.platform : 'web';
  const created = await graph<GraphApplication>(ctx.rt, ctx.session, 'POST', '/applications', {
    displayName: (ctx.form.displayName ?? '').trim(),
    [platform]: { redirectUris: uriLines(ctx.form.redirectUris) },
  });
  return { redirect: consoleAppPath(created.id) };
}
