import type { AuditRecord } from '../../core/model.js';
import type { AuditQuery } from '../store.js';

/** Audit SQL both dialects read alike (the audit log, graph/audit-logs.ts). */
export const INSERT_AUDIT = `INSERT INTO audit_records (id, tenant_id, activity_date_time, activity_display_name, category, logged_by_service,
    operation_type, result, result_reason, correlation_id, initiated_by, target_resources)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

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

/** AuditStore.list: newest first, keyset paging on (activityDateTime, id). */
export function listAuditSql(q: AuditQuery): { sql: string; args: unknown[] } {
  const where = ['tenant_id = ?'];
  const args: unknown[] = [q.tenantId];
  if (q.activityDisplayName !== undefined) {
    where.push('activity_display_name = ?');
    args.push(q.activityDisplayName);
  }
  if (q.before) {
    where.push('(activity_date_time < ? OR (activity_date_time = ? AND id < ?))');
    args.push(q.before.at, q.before.at, q.before.id);
  }
  return {
    sql: `SELECT * FROM audit_records WHERE ${where.join(' AND ')} ORDER BY activity_date_time DESC, id DESC LIMIT ?`,
    args: [...args, q.limit],
  };
}
