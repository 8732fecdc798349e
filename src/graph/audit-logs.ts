/**
 * `GET /auditLogs/directoryAudits`: the directory audit log, newest first, shaped like Graph's
 * directoryAudit resource; `$filter` by activity, target or initiating user (audit-filter.ts), $top and keyset paging.
 */
import { ACTIVITY, isoOrNull } from '../core/audit.js';
import { cutCounts } from '../core/revocation-receipt.js';
import type { StoredReceipt } from '../store/store.js';
import type { AuditRecord } from '../core/model.js';
import { mayReadAll } from '../core/authorization/read-actions.js';
import { actorOf, demand } from './authorize.js';
import { DirectoryExpiredPageToken } from './errors.js';
import { sendJson, serviceRoot, type GraphContext, type GraphRoute } from './http.js';
import { isGuid } from './user-lookup.js';
import { receiptPath } from './revocation-receipts.js';
import { decodeSkipToken, encodeSkipToken, nextLink, parseTop, readQueryOptions } from './odata.js';
import { parseAuditFilter } from './audit-filter.js';

/** The activities that revoke, whose records link to the revoke's receipt (docs/receipts.md). */
const REVOKING: ReadonlySet<string> = new Set([
  ACTIVITY.revokeSessions,
  ACTIVITY.disableAccount,
  ACTIVITY.resetPassword,
  ACTIVITY.revokeToken,
  ACTIVITY.revokeSelectedSessions,
  ACTIVITY.deleteUser,
]);

/** The receipt a record belongs to: same correlation id, about the record's target user, of a revoking activity. */
function receiptOf(r: AuditRecord, receipts: readonly StoredReceipt[]): StoredReceipt | undefined {
  if (!REVOKING.has(r.activityDisplayName)) return undefined;
  return receipts.find((x) => x.correlationId === r.correlationId && r.targetResources.some((t) => t.id === x.userId));
}

/**
 * Graph's keyValue `additionalDetails` of a revoking record: where its receipt is and what it cut
 * (https://learn.microsoft.com/graph/api/resources/directoryaudit: "Indicates additional details on the activity").
 */
function receiptDetails(root: string, receipt: StoredReceipt | undefined): { key: string; value: string }[] {
  if (!receipt) return [];
  const counts = cutCounts(receipt.cut);
  return [
    { key: 'revocationReceipt', value: receiptPath(root, receipt.correlationId) },
    { key: 'sessionsRevoked', value: String(counts.sessions) },
    { key: 'grantsRevoked', value: String(counts.grants) },
    { key: 'refreshTokensRevoked', value: String(counts.refreshTokens) },
  ];
}

export function directoryAuditJson(r: AuditRecord, additionalDetails: { key: string; value: string }[] = []): Record<string, unknown> {
  const { user, app } = r.initiatedBy;
  return {
    id: r.id,
    category: r.category,
    correlationId: r.correlationId,
    result: r.result,
    resultReason: r.resultReason,
    activityDisplayName: r.activityDisplayName,
    activityDateTime: isoOrNull(r.activityDateTime),
    loggedByService: r.loggedByService,
    operationType: r.operationType,
    initiatedBy: {
      user: user ? { id: user.id, displayName: user.displayName, userPrincipalName: user.userPrincipalName, ipAddress: null } : null,
      app: app ? { appId: app.appId, displayName: app.displayName, servicePrincipalId: null, servicePrincipalName: null } : null,
    },
    targetResources: r.targetResources.map((t) => ({
      id: t.id,
      displayName: t.displayName,
      type: t.type,
      userPrincipalName: t.userPrincipalName,
      groupType: null,
      modifiedProperties: t.modifiedProperties.map((m) => ({ displayName: m.displayName, oldValue: m.oldValue, newValue: m.newValue })),
    })),
    additionalDetails,
  };
}

/** The keyset position a directoryAudits $skiptoken carries: the last record of the previous page. */
function pageBefore(skipToken: string): { at: number; id: string } {
  const { at, id } = decodeSkipToken('directoryAudits', skipToken);
  // Our tokens carry a millisecond time and a record id (a GUID). Anything else — 1.5, 1e308, a
  // NUL in the id — is not ours and must not reach the store (PostgreSQL refused it with 500; found by fuzzing).
  if (typeof at !== 'number' || !Number.isSafeInteger(at) || typeof id !== 'string' || !isGuid(id)) throw new DirectoryExpiredPageToken();
  return { at, id };
}

async function listDirectoryAudits(ctx: GraphContext): Promise<void> {
  const { caller } = ctx;
  demand(mayReadAll(actorOf(caller), 'readDirectoryAudits'));
  const options = readQueryOptions(ctx.request.query, ['$filter', '$top', '$skiptoken']);
  const top = parseTop(options.$top);
  const filter = options.$filter !== undefined ? parseAuditFilter(options.$filter) : {};
  const before = options.$skiptoken !== undefined ? pageBefore(options.$skiptoken) : undefined;
  const rows = await ctx.services.store.audit.list({
    tenantId: ctx.services.tenant.id,
    limit: top + 1,
    ...filter,
    ...(before ? { before } : {}),
  });
  const page = rows.slice(0, top);
  const last = page[page.length - 1];
  const root = serviceRoot(ctx);
  const body: Record<string, unknown> = { '@odata.context': `${root}/$metadata#auditLogs/directoryAudits` };
  if (rows.length > top && last) {
    body['@odata.nextLink'] = nextLink(
      `${root}/auditLogs/directoryAudits`,
      options,
      encodeSkipToken('directoryAudits', { at: last.activityDateTime, id: last.id }),
    );
  }
  const receipts = await ctx.services.store.receipts.findByCorrelationIds(ctx.services.tenant.id, [
    ...new Set(page.filter((r) => REVOKING.has(r.activityDisplayName)).map((r) => r.correlationId)),
  ]);
  body.value = page.map((r) => directoryAuditJson(r, receiptDetails(root, receiptOf(r, receipts))));
  sendJson(ctx.reply, 200, body);
}

export const auditLogRoutes: GraphRoute[] = [{ method: 'GET', path: '/auditLogs/directoryAudits', handler: listDirectoryAudits }];
