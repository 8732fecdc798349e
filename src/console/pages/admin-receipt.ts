/** A revocation receipt (docs/receipts.md): what one revoke cut and which relying parties were told. */
import { esc } from '../../web/html.js';
import { graph } from '../graph.js';
import { layout, table, text, when } from '../layout.js';
import type { Outcome, PageContext } from '../page-context.js';

interface Receipt {
  correlationId: string;
  revocationType: string;
  revokedDateTime: string;
  user: { id: string; userPrincipalName: string };
  initiatedBy: { user: { userPrincipalName: string } | null; app: { displayName: string } | null };
  sessionsRevoked: number;
  grantsRevoked: number;
  refreshTokensRevoked: number;
  sessionIds: string[];
  applications: { appId: string; grantIds: string[]; sessionIds: string[] }[];
  notifications: { state: string; pending?: number; delivered?: number; failed?: number };
  deliveries: { channel: string; destination: string; status: string; attempts: number; lastError: string | null }[];
}

export async function receiptPage(ctx: PageContext): Promise<Outcome> {
  const id = ctx.params.correlationId ?? '';
  const r = await graph<Receipt>(ctx.rt, ctx.session, 'GET', `/auditLogs/revocationReceipts/${encodeURIComponent(id)}`);
  const apps = r.applications.map((a) => [`<code>${esc(a.appId)}</code>`, String(a.grantIds.length), String(a.sessionIds.length)]);
  const told = r.deliveries.map((d) => [
    esc(d.channel),
    `<code>${esc(d.destination)}</code>`,
    esc(d.status),
    String(d.attempts),
    text(d.lastError),
  ]);
  const n = r.notifications;
  const body = `<section aria-labelledby="cut"><h2 id="cut">What was cut</h2><dl class="props">
<dt>User</dt><dd><a href="/admin/users/${encodeURIComponent(r.user.id)}">${esc(r.user.userPrincipalName)}</a></dd>
<dt>Kind</dt><dd>${esc(r.revocationType)}</dd><dt>When</dt><dd>${when(r.revokedDateTime)}</dd>
<dt>By</dt><dd>${text(r.initiatedBy.user?.userPrincipalName ?? r.initiatedBy.app?.displayName)}</dd>
<dt>Browser sessions</dt><dd id="sessions-revoked">${r.sessionsRevoked}</dd><dt>App sign-ins</dt><dd id="grants-revoked">${r.grantsRevoked}</dd>
<dt>Refresh tokens</dt><dd id="tokens-revoked">${r.refreshTokensRevoked}</dd><dt>Correlation id</dt><dd><code id="correlation-id">${esc(r.correlationId)}</code></dd></dl>
<h3>By application</h3>${table(['Application (appId)', 'App sign-ins', 'From sessions'], apps, 'Cut by application')}</section>
<section aria-labelledby="told"><h2 id="told">Relying parties told</h2>
<p>Notifications: ${esc(n.state)}${n.delivered !== undefined ? `, ${n.delivered} delivered, ${n.pending ?? 0} pending, ${n.failed ?? 0} failed` : ''}. Reload to see deliveries complete.</p>
${table(['Channel', 'Destination', 'Status', 'Attempts', 'Last error'], told, 'Notifications')}</section>`;
  return { html: layout(ctx.frame('Revocation receipt', '/admin/users'), body) };
}
