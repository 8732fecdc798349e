import type { AuditRecord, SigningKey } from '../../core/model.js';
import type { AuditQuery, AuditStore, SigningKeyStore } from '../store.js';
import type { PgDb, Queryable } from './database.js';
import { notifyInTx } from './notify.js';
import { unstorableText } from './unstorable-text.js';
import { toAudit, toSigningKey } from './rows.js';
import { INSERT_AUDIT, INSERT_AUDIT_INITIATOR, INSERT_AUDIT_TARGET, auditArgs, auditIndexArgs, listAuditSql } from '../sql/audit.js';
import { numbered } from '../sql/placeholders.js';
import { runWrites, type Write } from './one-statement.js';

/** The rows one audit record writes: the record and its index rows (store/sql/audit.ts). */
export function auditWrites(a: AuditRecord): Write[] {
  const { targets, initiator } = auditIndexArgs(a);
  return [
    { sql: INSERT_AUDIT, args: auditArgs(a) },
    ...targets.map((args) => ({ sql: INSERT_AUDIT_TARGET, args })),
    ...(initiator ? [{ sql: INSERT_AUDIT_INITIATOR, args: initiator }] : []),
  ];
}

/**
 * Used inside other methods' transactions so an action and its audit record commit together; the
 * record and its index rows in one statement (one-statement.ts).
 */
export async function insertAudit(c: Queryable, a: AuditRecord): Promise<void> {
  await runWrites(c, auditWrites(a));
}

export class PgAuditStore implements AuditStore {
  constructor(private readonly db: PgDb) {}
  async insert(a: AuditRecord): Promise<void> {
    await this.db.tx((c) => insertAudit(c, a));
  }
  async list(q: AuditQuery): Promise<AuditRecord[]> {
    for (const text of [q.activityDisplayName, q.targetId, q.initiatorUserId]) {
      if (text !== undefined && unstorableText(text)) return [];
    }
    const { sql, args } = listAuditSql(q);
    const { rows } = await this.db.query(numbered(sql), args);
    return rows.map(toAudit);
  }
}

export class PgSigningKeyStore implements SigningKeyStore {
  constructor(private readonly db: PgDb) {}
  async list(): Promise<SigningKey[]> {
    const { rows } = await this.db.query('SELECT * FROM signing_keys ORDER BY COALESCE(activates_at, created_at), created_at, kid');
    return rows.map(toSigningKey);
  }
  async listUnretired(): Promise<SigningKey[]> {
    const { rows } = await this.db.query(
      'SELECT * FROM signing_keys WHERE retired_at IS NULL ORDER BY COALESCE(activates_at, created_at), created_at, kid',
    );
    return rows.map(toSigningKey);
  }
  async insert(k: SigningKey): Promise<void> {
    await insertKey(this.db, k);
  }
  async rotate(k: SigningKey, retireKids: readonly string[], now: number): Promise<void> {
    await this.db.tx(async (c) => {
      await insertKey(c, k);
      if (retireKids.length > 0) {
        await c.query('UPDATE signing_keys SET retired_at = $1 WHERE kid = ANY($2) AND retired_at IS NULL', [now, [...retireKids]]);
      }
      await notifyInTx(c, 'keys');
    });
  }
  async withdraw(kid: string, now: number): Promise<boolean> {
    return this.db.tx(async (c) => {
      const r = await c.query('UPDATE signing_keys SET retired_at = $1 WHERE kid = $2 AND retired_at IS NULL', [now, kid]);
      if (r.rowCount !== 1) return false;
      await notifyInTx(c, 'keys');
      return true;
    });
  }
  /**
   * Check-then-insert under SERIALIZABLE: two instances that both saw no key and both insert form
   * a read/write dependency cycle, so one of them fails with 40001; PgDb.tx retries it, and the
   * retry sees the winner's key and inserts nothing. Portable to engines that run SERIALIZABLE
   * by default (CockroachDB), with no table or advisory lock.
   */
  async insertIfNone(k: SigningKey): Promise<boolean> {
    return this.db.tx(async (c) => {
      const r = await c.query(
        `INSERT INTO signing_keys (kid, alg, private_key_pem, public_jwk, created_at, activates_at, retired_at)
         SELECT $1, $2, $3, $4, $5, $6, $7 WHERE NOT EXISTS (SELECT 1 FROM signing_keys WHERE retired_at IS NULL)`,
        [k.kid, k.alg, k.privateKeyPem, JSON.stringify(k.publicJwk), k.createdAt, k.activatesAt, k.retiredAt],
      );
      return r.rowCount === 1;
    }, 'serializable');
  }
}

function insertKey(c: Queryable, k: SigningKey): Promise<unknown> {
  return c.query(
    'INSERT INTO signing_keys (kid, alg, private_key_pem, public_jwk, created_at, activates_at, retired_at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
    [k.kid, k.alg, k.privateKeyPem, JSON.stringify(k.publicJwk), k.createdAt, k.activatesAt, k.retiredAt],
  );
}
