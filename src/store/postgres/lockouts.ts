import type { LockoutState } from '../../core/lockout.js';
import type { AuditRecord } from '../../core/model.js';
import { toLockout } from '../sqlite/lockouts.js';
import type { LockoutStore } from '../store.js';
import { insertAudit } from './audit-keys.js';
import type { PgDb } from './database.js';
import { LOCKOUT_SQL, pruneLockoutsSql } from '../sql/lockouts.js';
import { numbered, numberedAll } from '../sql/placeholders.js';

const SQL = numberedAll(LOCKOUT_SQL);
/** SKIP LOCKED: never wait on a row another instance is updating just to delete it. */
const PRUNE = numbered(pruneLockoutsSql(' FOR UPDATE SKIP LOCKED'));

export class PgLockoutStore implements LockoutStore {
  constructor(private readonly db: PgDb) {}

  async get(key: string, now: number): Promise<LockoutState | null> {
    const { rows } = await this.db.query(SQL.selectLive, [key, now]);
    return rows[0] ? toLockout(rows[0]) : null;
  }

  async update(
    key: string,
    now: number,
    next: (current: LockoutState | null) => { state: LockoutState; audit: AuditRecord[] },
  ): Promise<LockoutState> {
    return this.db.tx(async (c) => {
      // The row lock serialises concurrent failures for one subject across instances (no lost
      // increments): make sure the row exists, then lock it.
      await c.query(
        `INSERT INTO lockouts (key, failures, last_failure_at, locked_until, expires_at) VALUES ($1, 0, 0, NULL, 0)
         ON CONFLICT (key) DO NOTHING`,
        [key],
      );
      const { rows } = await c.query('SELECT * FROM lockouts WHERE key = $1 FOR UPDATE', [key]);
      const row = rows[0] ? toLockout(rows[0]) : null;
      const { state, audit } = next(row && row.expiresAt > now ? row : null);
      await c.query('UPDATE lockouts SET failures = $2, last_failure_at = $3, locked_until = $4, expires_at = $5 WHERE key = $1', [
        key,
        state.failures,
        state.lastFailureAt,
        state.lockedUntil,
        state.expiresAt,
      ]);
      for (const a of audit) await insertAudit(c, a);
      await c.query(PRUNE, [now, key]);
      return state;
    });
  }

  async clear(key: string): Promise<void> {
    await this.db.query(SQL.clear, [key]);
  }
}
