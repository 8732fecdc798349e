import type { AuditRecord } from '../../core/model.js';
import type { AuditQuery } from '../store.js';

/** Audit SQL both dialects read alike (the audit log, graph/audit-logs.ts). */
export const INSERT_AUDIT = `INSERT INTO audit_records (id, tenant_id, activity_date_time, activity_display_name, category, logged_by_service,
    operation_type, result, result_reason, correlation_id, initiated_by, target_resources)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/**
 * The side tables that index a record by the objects it targets and the user who initiated it
 * (migration 220), written with the record in the same transaction. ON CONFLICT: a record that
 * names one target twice is indexed once.
 */
export const INSERT_AUDIT_TARGET = `INSERT INTO audit_targets (tenant_id, target_id, activity_date_time, audit_id)
  VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`;
export const INSERT_AUDIT_INITIATOR = `INSERT INTO audit_initiators (tenant_id, user_id, activity_date_time, audit_id)
  VALUES (?, ?, ?, ?)`;

/**
 * Object ids are GUIDs, which Graph compares without regard to case; the index holds them with
 * ASCII letters lowered (as SQL lower() does on the backfill, migration 220) and lookups lower theirs.
 */
export const indexedId = (id: string): string => id.replace(/[A-Z]+/g, (c) => c.toLowerCase());

/** The rows of audit_targets and audit_initiators a record needs. */
export function auditIndexArgs(a: AuditRecord): { targets: unknown[][]; initiator: unknown[] | null } {
  const ids = [
    ...new Set(
      a.targetResources
        .map((t) => t.id)
        .filter((id) => typeof id === 'string')
        .map(indexedId),
    ),
  ];
  const userId = a.initiatedBy.user?.id;
  return {
    targets: ids.map((id) => [a.tenantId, id, a.activityDateTime, a.id]),
    initiator: typeof userId === 'string' ? [a.tenantId, indexedId(userId), a.activityDateTime, a.id] : null,
  };
}

export const auditArgs = (a: AuditRecord): unknown[] => [
  a.id,
  a.tenantId,
  a.activityDateTime,
  a.activityDisplayName,
  a.category,
  a.loggedByService,
  a.operationType,
  a.result,
  a.resultReason,
  a.correlationId,
  JSON.stringify(a.initiatedBy),
  JSON.stringify(a.targetResources),
];

/**
 * AuditStore.list: newest first, keyset paging on (activityDateTime, id). By target or initiating
 * user, the walk runs on that side table's (tenant, id, time DESC, audit id DESC) index and joins
 * each record, so a filtered page reads about `limit` rows however big the log is.
 */
export function listAuditSql(q: AuditQuery): { sql: string; args: unknown[] } {
  const by =
    q.targetId !== undefined
      ? { table: 'audit_targets', column: 'target_id', value: indexedId(q.targetId) }
      : q.initiatorUserId !== undefined
        ? { table: 'audit_initiators', column: 'user_id', value: indexedId(q.initiatorUserId) }
        : undefined;
  const where: string[] = [];
  const args: unknown[] = [];
  if (by) {
    where.push(`x.tenant_id = ?`, `x.${by.column} = ?`);
    args.push(q.tenantId, by.value);
  } else {
    where.push('a.tenant_id = ?');
    args.push(q.tenantId);
  }
  if (q.activityDisplayName !== undefined) {
    where.push('a.activity_display_name = ?');
    args.push(q.activityDisplayName);
  }
  const [time, id] = by ? ['x.activity_date_time', 'x.audit_id'] : ['a.activity_date_time', 'a.id'];
  if (q.before) {
    where.push(`(${time} < ? OR (${time} = ? AND ${id} < ?))`);
    args.push(q.before.at, q.before.at, q.before.id);
  }
  const from = by ? `${by.table} x JOIN audit_records a ON a.id = x.audit_id` : 'audit_records a';
  return {
    sql: `SELECT a.* FROM ${from} WHERE ${where.join(' AND ')} ORDER BY ${time} DESC, ${id} DESC LIMIT ?`,
    args: [...args, q.limit],
  };
}
