/**
 * Users: a prefix search on name, UPN and mail (Graph `$filter` startsWith, served by the indexes
 * of migration 120), 20 a page with Graph's `@odata.nextLink`, and each user's roles fetched in one
 * `$batch`. Only the `$skiptoken` of a next link travels through the page, never a URL.
 */
import { esc } from '../../web/html.js';
import { graph, odataString } from '../graph.js';
import { layout, table, text } from '../layout.js';
import type { Outcome, PageContext } from '../page-context.js';
import { roleTags, type DirectoryRole } from './roles.js';
import type { Collection } from './session-rows.js';

export interface UserRow {
  id: string;
  displayName: string;
  userPrincipalName: string;
  mail: string | null;
  accountEnabled: boolean;
}

const PAGE = 20;

export function userQueryPath(q: string, skipToken?: string): string {
  const params = new URLSearchParams({ $select: 'id,displayName,userPrincipalName,mail,accountEnabled', $top: String(PAGE) });
  const term = q.trim();
  if (term) {
    const v = odataString(term);
    params.set('$filter', `startswith(displayName,${v}) or startswith(userPrincipalName,${v}) or startswith(mail,${v})`);
  }
  if (skipToken) params.set('$skiptoken', skipToken);
  return `/users?${params}`;
}

async function rolesByUser(ctx: PageContext, users: readonly UserRow[]): Promise<Map<string, DirectoryRole[]>> {
  if (users.length === 0) return new Map();
  const batch = await graph<{ responses: { id: string; status: number; body?: Collection<DirectoryRole> }[] }>(
    ctx.rt,
    ctx.session,
    'POST',
    '/$batch',
    {
      requests: users.map((u, i) => ({ id: String(i), method: 'GET', url: `/users/${u.id}/memberOf/microsoft.graph.directoryRole` })),
    },
  );
  const out = new Map<string, DirectoryRole[]>();
  for (const r of batch.responses) {
    const user = users[Number(r.id)];
    if (user && r.status === 200 && r.body) out.set(user.id, r.body.value);
  }
  return out;
}

export async function adminUsersPage(ctx: PageContext): Promise<Outcome> {
  const q = (ctx.query.q ?? '').slice(0, 100);
  const list = await graph<Collection<UserRow>>(ctx.rt, ctx.session, 'GET', userQueryPath(q, ctx.query.next));
  const roles = await rolesByUser(ctx, list.value);
  const rows = list.value.map((u) => [
    `<a href="/admin/users/${encodeURIComponent(u.id)}">${esc(u.displayName)}</a>`,
    esc(u.userPrincipalName),
    text(u.mail),
    u.accountEnabled ? '<span class="tag ok">enabled</span>' : '<span class="tag off">disabled</span>',
    roleTags(roles.get(u.id) ?? []),
  ]);
  const nextLink = list['@odata.nextLink'];
  const skip = nextLink ? new URL(nextLink).searchParams.get('$skiptoken') : null;
  const pager = skip
    ? `<p class="pager"><a href="/admin/users?${new URLSearchParams({ q, next: skip })}" rel="next">Next ${PAGE} users</a></p>`
    : '';
  const body = `<form class="search" method="get" action="/admin/users" role="search"><div><label for="q">Find users</label>
<input id="q" name="q" type="search" value="${esc(q)}" placeholder="Name, user name or mail starts with…" autocomplete="off"></div><button type="submit">Search</button></form>
<section aria-labelledby="results"><h2 id="results">${q ? `Users starting with “${esc(q)}”` : 'All users'}</h2>
${table(['Name', 'User name', 'Mail', 'State', 'Roles'], rows, 'Users')}${pager}</section>`;
  return { html: layout(ctx.frame('Users', '/admin/users'), body) };
}
