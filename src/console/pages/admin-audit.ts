/** The directory audit log (GET /auditLogs/directoryAudits): Graph's one filter, the activity; 25 a page. */
import { esc } from '../../web/html.js';
import { graph, odataString } from '../graph.js';
import { layout, table, text, when } from '../layout.js';
import type { Outcome, PageContext } from '../page-context.js';
import type { Collection } from './session-rows.js';

export interface Audit {
  activityDateTime: string;
  activityDisplayName: string;
  result: string;
  correlationId: string;
  initiatedBy: { user: { userPrincipalName: string } | null; app: { displayName: string } | null };
  targetResources: { id: string; displayName: string | null; userPrincipalName: string | null; type: string }[];
  additionalDetails: { key: string; value: string }[];
}

/** The activities Portcullis writes (docs/graph-api.md), offered in the filter. */
const ACTIVITIES = [
  'Update StsRefreshTokenValidFrom Timestamp',
  'Revoke selected sign-in sessions',
  'Disable account',
  'Enable account',
  'Reset password',
  'Add user',
  'Update user',
  'Delete user',
  'Revoke token',
  'Add application',
  'Update application',
  'Delete application',
];

/** Who initiated an entry: the user's name, else the application's. */
export const initiatorOf = (a: Pick<Audit, 'initiatedBy'>): string =>
  text(a.initiatedBy.user?.userPrincipalName ?? a.initiatedBy.app?.displayName);

/** An entry's result as a tag. */
export const resultTag = (a: Pick<Audit, 'result'>): string =>
  a.result === 'success' ? '<span class="tag ok">success</span>' : `<span class="tag off">${esc(a.result)}</span>`;

function target(a: Audit): string {
  return a.targetResources
    .map((t) =>
      t.type === 'User'
        ? `<a href="/admin/users/${encodeURIComponent(t.id)}">${text(t.userPrincipalName ?? t.displayName)}</a>`
        : text(t.displayName ?? t.id),
    )
    .join(', ');
}

function receiptLink(a: Audit): string {
  return a.additionalDetails.some((d) => d.key === 'revocationReceipt')
    ? `<a href="/admin/receipts/${encodeURIComponent(a.correlationId)}">receipt</a>`
    : '—';
}

export async function auditLogPage(ctx: PageContext): Promise<Outcome> {
  const activity = ACTIVITIES.includes(ctx.query.activity ?? '') ? (ctx.query.activity as string) : '';
  const params = new URLSearchParams({ $top: '25' });
  if (activity) params.set('$filter', `activityDisplayName eq ${odataString(activity)}`);
  if (ctx.query.next) params.set('$skiptoken', ctx.query.next);
  const list = await graph<Collection<Audit>>(ctx.rt, ctx.session, 'GET', `/auditLogs/directoryAudits?${params}`);
  const rows = list.value.map((a) => [
    when(a.activityDateTime),
    esc(a.activityDisplayName),
    initiatorOf(a),
    target(a),
    resultTag(a),
    receiptLink(a),
  ]);
  const options = ['', ...ACTIVITIES]
    .map((v) => `<option value="${esc(v)}"${v === activity ? ' selected' : ''}>${esc(v || 'All activities')}</option>`)
    .join('');
  const nextLink = list['@odata.nextLink'];
  const skip = nextLink ? new URL(nextLink).searchParams.get('$skiptoken') : null;
  const pager = skip
    ? `<p class="pager"><a rel="next" href="/admin/audit?${new URLSearchParams({ activity, next: skip })}">Older entries</a></p>`
    : '';
  const body = `<form class="search" method="get" action="/admin/audit" role="search" aria-label="Filter the audit log"><div><label for="activity">Activity</label>
<select id="activity" name="activity">${options}</select></div><button type="submit">Filter</button></form>
<section aria-labelledby="log"><h2 id="log">Directory changes, newest first</h2>${table(['When', 'Activity', 'By', 'Target', 'Result', 'Receipt'], rows, 'Audit log')}${pager}</section>`;
  return { html: layout(ctx.frame('Audit log', '/admin/audit'), body) };
}
