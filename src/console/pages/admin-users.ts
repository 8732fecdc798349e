/**
 * Users: a prefix search on name, or with `@` on UPN and mail (Graph `$filter` startsWith, served by the indexes
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

/**
 * One indexed query (docs/console.md "User search"). A term without `@` is a display-name prefix
 * in the index's order, so a page stops after 20 rows at any tenant size (`$orderby` with
 * `$filter` is an advanced query: ConsistencyLevel eventual and `$count`, docs/graph-api.md
 * "Querying users"). A term with `@` names a whole local part, so it matches few users: user name
 * OR mail (they differ for an alias or another domain), in id order, which the store answers from
 * both indexes at once (SQLite's multi-index OR) and sorts; ordered by user name instead, the
 * store would walk that index through every user to find the mail matches.
 */
export function userQuery(q: string, skipToken?: string): { path: string; headers: Record<string, string> } {
  const params = new URLSearchParams({ $select: 'id,displayName,userPrincipalName,mail,accountEnabled', $top: String(PAGE) });
  const term = q.trim();
  if (term.includes('@')) {
    params.set('$filter', `startswith(userPrincipalName,${odataString(term)}) or startswith(mail,${odataString(term)})`);
    params.set('$count', 'true');
  } else if (term) {
    params.set('$filter', `startswith(displayName,${odataString(term)})`);
    params.set('$orderby', 'displayName');
    params.set('$count', 'true');
  } else {
    params.set('$orderby', 'displayName');
  }
  if (skipToken) params.set('$skiptoken', skipToken);
  return { path: `/users?${params}`, headers: term ? { consistencylevel: 'eventual' } : {} };
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
  const query = userQuery(q, ctx.query.next);
  const list = await graph<Collection<UserRow> & { '@odata.count'?: number }>(
    ctx.rt,
    ctx.session,
    'GET',
    query.path,
    undefined,
    query.headers,
  );
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
<p class="muted">A name, or a user name or mail address with <code>@</code>: users whose name (or user name, or mail) starts with it.</p>
<section aria-labelledby="results"><h2 id="results">${q ? `${list['@odata.count'] ?? ''} users starting with “${esc(q)}”` : 'All users'}</h2>
${table(['Name', 'User name', 'Mail', 'State', 'Roles'], rows, 'Users')}${pager}</section>`;
  return { html: layout(ctx.frame('Users', '/admin/users'), body) };
}
