/**
 * The sign-in log (GET /auditLogs/signIns) with the filters Graph takes: user, application, error
 * code and a start time, joined by `and`; 25 a page by `$skiptoken`. The kind picks interactive
 * sign-ins (v1.0, the default) or, through beta's signInEventTypes, refresh-token (non-interactive)
 * or app-only (service principal) ones (docs/sign-in-logs.md).
 */
import { esc } from '../../web/html.js';
import { graph, odataString } from '../graph.js';
import { layout, table, text, when } from '../layout.js';
import type { Outcome, PageContext } from '../page-context.js';
import type { Collection } from './session-rows.js';

interface SignIn {
  createdDateTime: string;
  userPrincipalName: string;
  userId: string;
  appId: string;
  appDisplayName: string | null;
  ipAddress: string;
  status: { errorCode: number; failureReason: string | null };
  deviceDetail: { browser: string; operatingSystem: string };
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The kinds of sign-in the page lists: its label, and beta's signInEventTypes value (none: v1.0's interactive list). */
const KINDS: Readonly<Record<string, { label: string; eventType: string | null }>> = {
  interactive: { label: 'Interactive (users)', eventType: null },
  nonInteractive: { label: 'Non-interactive (refresh tokens)', eventType: 'nonInteractiveUser' },
  servicePrincipal: { label: 'App-only (client credentials)', eventType: 'servicePrincipal' },
};

/** The $filter for the form's fields; fields that do not parse are left out (and shown back empty). */
export function signInFilter(q: Record<string, string>): { filter: string; shown: Record<string, string>; beta: boolean } {
  const clauses: string[] = [];
  const shown: Record<string, string> = {};
  const kind = q.kind !== undefined && q.kind !== 'interactive' && Object.hasOwn(KINDS, q.kind) ? q.kind : null;
  const eventType = kind ? KINDS[kind]!.eventType : null;
  if (kind && eventType) {
    clauses.push(`signInEventTypes/any(t: t eq ${odataString(eventType)})`);
    shown.kind = kind;
  }
  const user = (q.user ?? '').trim().slice(0, 113);
  if (user) {
    clauses.push(`userPrincipalName eq ${odataString(user)}`);
    shown.user = user;
  }
  const app = (q.app ?? '').trim();
  if (GUID.test(app)) {
    clauses.push(`appId eq ${odataString(app)}`);
    shown.app = app;
  }
  const code = (q.code ?? '').trim();
  if (/^\d{1,9}$/.test(code)) {
    clauses.push(`status/errorCode eq ${code}`);
    shown.code = code;
  }
  const since = (q.since ?? '').trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(since) && Number.isFinite(Date.parse(since))) {
    clauses.push(`createdDateTime ge ${since}T00:00:00Z`);
    shown.since = since;
  }
  return { filter: clauses.join(' and '), shown, beta: eventType !== null };
}

const field = (id: string, label: string, value: string | undefined, type = 'text', hint = '') =>
  `<div><label for="${id}">${esc(label)}</label><input id="${id}" name="${id}" type="${type}" value="${esc(value ?? '')}"${hint ? ` placeholder="${esc(hint)}"` : ''}></div>`;

export async function signInLogPage(ctx: PageContext): Promise<Outcome> {
  const { filter, shown, beta } = signInFilter(ctx.query);
  const params = new URLSearchParams({ $top: '25' });
  if (filter) params.set('$filter', filter);
  if (ctx.query.next) params.set('$skiptoken', ctx.query.next);
  // Beta's list is the one with the other kinds (graph() reads v1.0 unless given a full URL).
  const path = `/auditLogs/signIns?${params}`;
  const list = await graph<Collection<SignIn>>(ctx.rt, ctx.session, 'GET', beta ? `${ctx.rt.services.config.publicUrl}/beta${path}` : path);
  const rows = list.value.map((s) => [
    when(s.createdDateTime),
    // An app-only sign-in has no user, and an attempt for a name that does not exist no user id.
    s.userId === ''
      ? s.userPrincipalName === ''
        ? '<span class="muted">app-only</span>'
        : esc(s.userPrincipalName)
      : `<a href="/admin/users/${encodeURIComponent(s.userId)}">${esc(s.userPrincipalName)}</a>`,
    text(s.appDisplayName || s.appId),
    text(s.ipAddress),
    text(`${s.deviceDetail.browser} ${s.deviceDetail.operatingSystem}`.trim()),
    s.status.errorCode === 0
      ? '<span class="tag ok">success</span>'
      : `<span class="tag off">${s.status.errorCode}</span> ${text(s.status.failureReason)}`,
  ]);
  const nextLink = list['@odata.nextLink'];
  const skip = nextLink ? new URL(nextLink).searchParams.get('$skiptoken') : null;
  const pager = skip
    ? `<p class="pager"><a rel="next" href="/admin/sign-ins?${new URLSearchParams({ ...shown, next: skip })}">Older sign-ins</a></p>`
    : '';
  const kinds = Object.entries(KINDS)
    .map(([v, k]) => `<option value="${v}"${v === (shown.kind ?? 'interactive') ? ' selected' : ''}>${esc(k.label)}</option>`)
    .join('');
  const heading = `${KINDS[shown.kind ?? 'interactive']!.label.replace(/ \(.*$/, '')} sign-ins, newest first`;
  const body = `<form class="search" method="get" action="/admin/sign-ins" role="search" aria-label="Filter the sign-in log">
<div><label for="kind">Kind</label><select id="kind" name="kind">${kinds}</select></div>${field('user', 'User name', shown.user, 'text', 'alice@contoso.com')}${field('app', 'Application id', shown.app)}${field('code', 'Error code', shown.code, 'text', '50126')}${field('since', 'Since', shown.since, 'date')}
<button type="submit">Filter</button></form>
<section aria-labelledby="log"><h2 id="log">${esc(heading)}</h2>${table(['When', 'User', 'App', 'IP address', 'Device', 'Result'], rows, 'Sign-in log')}${pager}</section>`;
  return { html: layout(ctx.frame('Sign-in log', '/admin/sign-ins'), body) };
}
