/**
 * `GET /auditLogs/revocationReceipts/{correlationId}` and `GET /auditLogs/revocationReceipts`: the
 * revocation receipts (docs/receipts.md), a Portcullis extension beside Graph's directoryAudits.
 * A receipt names what one revoke cut (captured in the revoke's transaction) and the outcome of
 * each message it caused (read from the outbox now, so it changes as deliveries complete).
 * Who may read which: core/authorization/read-actions.ts ('readRevocationReceipts').
 */
import { isoOrNull } from '../core/audit.js';
import { mayReadAbout, mayReadAll } from '../core/authorization/read-actions.js';
import { cutCounts, deliverySummary, receiptDelivery, type ReceiptDelivery } from '../core/revocation-receipt.js';
import type { Services } from '../services.js';
import type { ReceiptQuery, StoredReceipt } from '../store/store.js';
import { actorOf, demand } from './authorize.js';
import { DirectoryExpiredPageToken, RequestResourceNotFound, RequestUnsupportedQuery } from './errors.js';
import { sendJson, serviceRoot, type GraphContext, type GraphRoute } from './http.js';
import { decodeSkipToken, encodeSkipToken, nextLink, parseTop, readQueryOptions } from './odata.js';
import { isGuid } from './user-lookup.js';

/** The receipt's messages: one page of the outbox's deliveries of its event, more than any one revoke causes. */
const MAX_DELIVERIES = 1000;

/** Outbox sink names as a receipt shows them. */
const CHANNEL: Record<string, string> = { 'oidc-backchannel-logout': 'backchannelLogout', ssf: 'sharedSignals' };

async function deliveriesOf(services: Services, r: StoredReceipt): Promise<ReceiptDelivery[]> {
  if (r.eventId === null || r.push !== 'planned') return [];
  const rows = await services.store.outbox.listDeliveries({ eventId: r.eventId, limit: MAX_DELIVERIES });
  return rows.map(receiptDelivery).sort((a, b) => a.channel.localeCompare(b.channel) || a.destination.localeCompare(b.destination));
}

/** The wire form of a receipt (docs/receipts.md). */
export function revocationReceiptJson(r: StoredReceipt, deliveries: readonly ReceiptDelivery[]): Record<string, unknown> {
  const counts = cutCounts(r.cut);
  const { user, app } = r.initiatedBy;
  return {
    id: r.id,
    correlationId: r.correlationId,
    revocationType: r.kind,
    revokedDateTime: isoOrNull(r.revokedAt),
    user: { id: r.userId, userPrincipalName: r.userPrincipalName },
    initiatedBy: {
      user: user ? { id: user.id, displayName: user.displayName, userPrincipalName: user.userPrincipalName } : null,
      app: app ? { appId: app.appId, displayName: app.displayName } : null,
    },
    sessionsRevoked: counts.sessions,
    grantsRevoked: counts.grants,
    refreshTokensRevoked: counts.refreshTokens,
    sessionIds: r.cut.sessionIds,
    applications: r.cut.applications.map((a) => ({
      appId: a.appId,
      grantIds: a.grantIds,
      refreshTokenIds: a.refreshTokenIds,
      sessionIds: a.sessionIds,
    })),
    notifications: { state: r.push, ...deliverySummary(r.push === 'planned', deliveries) },
    deliveries: deliveries.map((d) => ({
      id: d.id,
      channel: CHANNEL[d.channel] ?? d.channel,
      destination: d.destination,
      status: d.status,
      attempts: d.attempts,
      lastError: d.lastError,
      createdDateTime: isoOrNull(d.createdAt),
      completedDateTime: isoOrNull(d.settledAt),
    })),
  };
}

/** The path segment the receipt is read at (its correlation id). */
export const receiptPath = (root: string, correlationId: string): string =>
  `${root}/auditLogs/revocationReceipts/${encodeURIComponent(correlationId)}`;

async function getReceipt(ctx: GraphContext): Promise<void> {
  const { services, caller } = ctx;
  const actor = actorOf(caller);
  // 403 before 404 for a caller who could read no receipt at all, as Graph orders its checks.
  demand(mayReadAll(actor, 'readRevocationReceipts') || (actor.kind === 'user' && mayReadAbout(actor, 'readRevocationReceipts', actor.id)));
  const correlationId = ctx.params.correlationId ?? '';
  const receipt = await services.store.receipts.findByCorrelationId(services.tenant.id, correlationId);
  // Someone else's receipt answers 404 to a user who may read only their own: it does not say it exists.
  if (!receipt || !mayReadAbout(actor, 'readRevocationReceipts', receipt.userId)) throw new RequestResourceNotFound(correlationId);
  const body = revocationReceiptJson(receipt, await deliveriesOf(services, receipt));
  sendJson(ctx.reply, 200, { '@odata.context': `${serviceRoot(ctx)}/$metadata#auditLogs/revocationReceipts/$entity`, ...body });
}

// `userId eq '…'`, `correlationId eq '…'`, `revokedDateTime ge 2026-01-01T00:00:00Z` (ge, gt, le, lt), joined by `and`.
const EQ = /^(userId|correlationId)\s+eq\s+'((?:[^']|'')*)'$/i;
const TIME = /^revokedDateTime\s+(ge|gt|le|lt)\s+(\d{4}-\d{2}-\d{2}T[\d:.]+(?:Z|[+-]\d{2}:\d{2}))$/i;

/** The supported $filter as store query fields; anything else is Graph's unsupported-query 400. */
export function parseReceiptFilter(raw: string): Pick<ReceiptQuery, 'userId' | 'correlationId' | 'from' | 'to'> {
  const out: Pick<ReceiptQuery, 'userId' | 'correlationId' | 'from' | 'to'> = {};
  for (const clause of raw.trim().split(/\s+and\s+/i)) {
    const eq = EQ.exec(clause.trim());
    const time = TIME.exec(clause.trim());
    if (eq) {
      const value = eq[2]!.replace(/''/g, "'");
      if (eq[1]!.toLowerCase() === 'userid') out.userId = value;
      else out.correlationId = value;
    } else if (time) {
      const at = Date.parse(time[2]!);
      if (!Number.isFinite(at)) throw new RequestUnsupportedQuery('Unsupported query.');
      const op = time[1]!.toLowerCase();
      if (op === 'ge' || op === 'gt') out.from = Math.max(out.from ?? -Infinity, op === 'gt' ? at + 1 : at);
      else out.to = Math.min(out.to ?? Infinity, op === 'lt' ? at - 1 : at);
    } else {
      throw new RequestUnsupportedQuery('Unsupported query.');
    }
  }
  return out;
}

function pageBefore(skipToken: string): { at: number; id: string } {
  const { at, id } = decodeSkipToken('revocationReceipts', skipToken);
  if (typeof at !== 'number' || !Number.isSafeInteger(at) || typeof id !== 'string' || !isGuid(id)) throw new DirectoryExpiredPageToken();
  return { at, id };
}

async function listReceipts(ctx: GraphContext): Promise<void> {
  const { services, caller } = ctx;
  const actor = actorOf(caller);
  const all = mayReadAll(actor, 'readRevocationReceipts');
  demand(all || (actor.kind === 'user' && mayReadAbout(actor, 'readRevocationReceipts', actor.id)));
  const options = readQueryOptions(ctx.request.query, ['$filter', '$top', '$skiptoken']);
  const top = parseTop(options.$top);
  const filter = options.$filter !== undefined ? parseReceiptFilter(options.$filter) : {};
  // A user who may read only their own receipts lists only those (asking for someone else's is refused).
  if (!all && actor.kind === 'user') {
    demand(filter.userId === undefined || filter.userId === actor.id);
    filter.userId = actor.id;
  }
  const before = options.$skiptoken !== undefined ? pageBefore(options.$skiptoken) : undefined;
  const rows = await services.store.receipts.list({
    tenantId: services.tenant.id,
    limit: top + 1,
    ...filter,
    ...(before ? { before } : {}),
  });
  const page = rows.slice(0, top);
  const root = serviceRoot(ctx);
  const body: Record<string, unknown> = { '@odata.context': `${root}/$metadata#auditLogs/revocationReceipts` };
  const last = page[page.length - 1];
  if (rows.length > top && last) {
    body['@odata.nextLink'] = nextLink(
      `${root}/auditLogs/revocationReceipts`,
      options,
      encodeSkipToken('revocationReceipts', { at: last.revokedAt, id: last.id }),
    );
  }
  body.value = await Promise.all(page.map(async (r) => revocationReceiptJson(r, await deliveriesOf(services, r))));
  sendJson(ctx.reply, 200, body);
}

export const revocationReceiptRoutes: GraphRoute[] = [
  { method: 'GET', path: '/auditLogs/revocationReceipts', handler: listReceipts },
  { method: 'GET', path: '/auditLogs/revocationReceipts/:correlationId', handler: getReceipt },
];
