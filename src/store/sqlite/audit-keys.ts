import type { AuditRecord, SigningKey } from '../../core/model.js';
import type { AuditQuery, AuditStore, SigningKeyStore } from '../store.js';
import type { SqliteDb } from './database.js';
import { toAudit, toSigningKey } from './rows.js';

/** Used inside other adapters' transactions so an action and its audit record commit together. */
export function insertAudit(s: SqliteDb, a: AuditRecord): void {
  s.stmt(
    `INSERT INTO audit_records (id, tenant_id, activity_date_time, activity_display_name, category, logged_by_service,
       operation_type, result, result_reason, correlation_id, initiated_by, target_resources)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    a.id, a.tenantId, a.activityDateTime, a.activityDisplayName, a.category, a.loggedByService, a.operationType,
    a.result, a.resultReason, a.correlationId, JSON.stringify(a.initiatedBy), JSON.stringify(a.targetResources),
  );
}

export class SqliteAuditStore implements AuditStore {
  constructor(private readonly s: SqliteDb) {}
  async insert(a: AuditRecord): Promise<void> {
    insertAudit(this.s, a);
  }
  async list(q: AuditQuery): Promise<AuditRecord[]> {
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
    args.push(q.limit);
    const rows = this.s
      .stmt(`SELECT * FROM audit_records WHERE ${where.join(' AND ')} ORDER BY activity_date_time DESC, id DESC LIMIT ?`)
      .all(...args) as Record<string, unknown>[];
    return rows.map(toAudit);
  }
}

export class SqliteSigningKeyStore implements SigningKeyStore {
  constructor(private readonly s: SqliteDb) {}
  async list(): Promise<SigningKey[]> {
    return (this.s.stmt('SELECT * FROM signing_keys ORDER BY COALESCE(activates_at, created_at), created_at, kid').all() as Record<string, unknown>[]).map(toSigningKey);
  }
  async listUnretired(): Promise<SigningKey[]> {
    const rows = this.s.stmt('SELECT * FROM signing_keys WHERE retired_at IS NULL ORDER BY COALESCE(activates_at, created_at), created_at, kid').all() as Record<string, unknown>[];
    return rows.map(toSigningKey);
  }
  async insert(k: SigningKey): Promise<void> {
    this.insertSync(k);
  }
  async rotate(k: SigningKey, retireKids: readonly string[], now: number): Promise<void> {
    // No notification: SQLite serves one process, which finds the new key by its periodic check.
    this.s.tx(() => {
      this.insertSync(k);
      const retire = this.s.stmt('UPDATE signing_keys SET retired_at = ? WHERE kid = ? AND retired_at IS NULL');
      for (const kid of retireKids) retire.run(now, kid);
    });
  }
  async withdraw(kid: string, now: number): Promise<boolean> {
    return this.s.tx(() => this.s.stmt('UPDATE signing_keys SET retired_at = ? WHERE kid = ? AND retired_at IS NULL').run(now, kid).changes === 1);
  }
  async insertIfNone(k: SigningKey): Promise<boolean> {
    // BEGIN IMMEDIATE: the check and the insert hold the write lock together.
    return this.s.tx(() => {
      if (this.s.stmt('SELECT 1 FROM signing_keys WHERE retired_at IS NULL LIMIT 1').get()) return false;
      this.insertSync(k);
      return true;
    });
  }
  private insertSync(k: SigningKey): void {
    this.s
      .stmt('INSERT INTO signing_keys (kid, alg, private_key_pem, public_jwk, created_at, activates_at, retired_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(k.kid, k.alg, k.privateKeyPem, JSON.stringify(k.publicJwk), k.createdAt, k.activatesAt, k.retiredAt);
  }
}
