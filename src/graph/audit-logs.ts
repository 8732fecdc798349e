/**
 * `GET /auditLogs/directoryAudits`: the directory audit log, newest first, shaped like Graph's
 * directoryAudit resource; `$filter=activityDisplayName eq '…'`, $top and keyset paging.
 */
import { isoOrNull } from '../core/audit.js';
import type { AuditRecord } from '../core/model.js';
import { mayReadAuditLogs } from '../core/roles.js';
import { demand, hasAnyPermission, type PermissionSet } from './authorize.js';
import { DirectoryExpiredPageToken } from './errors.js';
import { sendJson, serviceRoot, type GraphContext, type GraphRoute } from './http.js';
import { isGuid } from './user-lookup.js';
import { decodeSkipToken, encodeSkipToken, nextLink, parseEqFilter, parseTop, readQueryOptions } from './odata.js';

/** Graph "List directoryAudits": AuditLog.Read.All, and for delegated calls a reader role. */
const READ_AUDIT: PermissionSet = { delegated: ['AuditLog.Read.All'], application: ['AuditLog.Read.All'] };

export function directoryAuditJson(r: AuditRecord): Record<string, unknown> {
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
    additionalDetails: [],
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
  demand(hasAnyPermission(caller, READ_AUDIT) && (caller.kind === 'app' || mayReadAuditLogs(caller.user.roleTemplateIds)));
  const options = readQueryOptions(ctx.request.query, ['$filter', '$top', '$skiptoken']);
  const top = parseTop(options.$top);
  const filter = options.$filter !== undefined ? parseEqFilter(options.$filter, ['activityDisplayName']) : undefined;
  const before = options.$skiptoken !== undefined ? pageBefore(options.$skiptoken) : undefined;
  const rows = await ctx.services.store.audit.list({
    tenantId: ctx.services.tenant.id,
    limit: top + 1,
    ...(filter ? { activityDisplayName: filter.value } : {}),
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
  body.value = page.map(directoryAuditJson);
  sendJson(ctx.reply, 200, body);
}

export const auditLogRoutes: GraphRoute[] = [{ method: 'GET', path: '/auditLogs/directoryAudits', handler: listDirectoryAudits }];
