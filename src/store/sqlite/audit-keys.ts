import type { AuditRecord, SigningKey } from '../../core/model.js';
import type { AuditQuery, AuditStore, SigningKeyStore } from '../store.js';
import type { SqliteDb } from './database.js';
import { toAudit, toSigningKey } from './rows.js';
import { INSERT_AUDIT, INSERT_AUDIT_INITIATOR, INSERT_AUDIT_TARGET, auditArgs, auditIndexArgs, listAuditSql } from '../sql/audit.js';

/** Used inside other adapters' transactions so an action and its audit record commit together. */
export function insertAudit(s: SqliteDb, a: AuditRecord): void {
  s.stmt(INSERT_AUDIT).run(...auditArgs(a));
  const { targets, initiator } = auditIndexArgs(a);
  for (const t of targets) s.stmt(INSERT_AUDIT_TARGET).run(...t);
  if (initiator) s.stmt(INSERT_AUDIT_INITIATOR).run(...initiator);
}

export class SqliteAuditStore implements AuditStore {
  constructor(private readonly s: SqliteDb) {}
  async insert(a: AuditRecord): Promise<void> {
    // One transaction: the record and its index rows (audit_targets, audit_initiators) together.
    this.s.tx(() => insertAudit(this.s, a));
  }
  async list(q: AuditQuery): Promise<AuditRecord[]> {
    const { sql, args } = listAuditSql(q);
    return (this.s.stmt(sql).all(...args) as Record<string, unknown>[]).map(toAudit);
  }
}

export class SqliteSigningKeyStore implements SigningKeyStore {
  constructor(private readonly s: SqliteDb) {}
  async list(): Promise<SigningKey[]> {
    return (
      this.s.stmt('SELECT * FROM signing_keys ORDER BY COALESCE(activates_at, created_at), created_at, kid').all() as Record<
        string,
        unknown
      >[]
    ).map(toSigningKey);
  }
  async listUnretired(): Promise<SigningKey[]> {
    const rows = this.s
      .stmt('SELECT * FROM signing_keys WHERE retired_at IS NULL ORDER BY COALESCE(activates_at, created_at), created_at, kid')
      .all() as Record<string, unknown>[];
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
    return this.s.tx(
      () => this.s.stmt('UPDATE signing_keys SET retired_at = ? WHERE kid = ? AND retired_at IS NULL').run(now, kid).changes === 1,
    );
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
      .stmt(
        'INSERT INTO signing_keys (kid, alg, private_key_pem, public_jwk, created_at, activates_at, retired_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(k.kid, k.alg, k.privateKeyPem, JSON.stringify(k.publicJwk), k.createdAt, k.activatesAt, k.retiredAt);
  }
}
