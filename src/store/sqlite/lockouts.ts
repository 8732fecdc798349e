import type { LockoutState } from '../../core/lockout.js';
import type { AuditRecord } from '../../core/model.js';
import type { LockoutStore } from '../store.js';
import { insertAudit } from './audit-keys.js';
import type { SqliteDb } from './database.js';
import { LOCKOUT_SQL, pruneLockoutsSql } from '../sql/lockouts.js';

const PRUNE = pruneLockoutsSql('');

export function toLockout(r: Record<string, unknown>): LockoutState {
  return {
    key: r.key as string,
    failures: Number(r.failures),
    lastFailureAt: Number(r.last_failure_at),
    lockedUntil: r.locked_until === null || r.locked_until === undefined ? null : Number(r.locked_until),
    expiresAt: Number(r.expires_at),
  };
}

export class SqliteLockoutStore implements LockoutStore {
  constructor(private readonly s: SqliteDb) {}

  private read(key: string, now: number): LockoutState | null {
    const r = this.s.stmt(LOCKOUT_SQL.selectLive).get(key, now) as Record<string, unknown> | undefined;
    return r ? toLockout(r) : null;
  }

  async get(key: string, now: number): Promise<LockoutState | null> {
    return this.read(key, now);
  }

  async update(
    key: string,
    now: number,
    next: (current: LockoutState | null) => { state: LockoutState; audit: AuditRecord[] },
  ): Promise<LockoutState> {
    // BEGIN IMMEDIATE holds the write lock from the read on, so no other writer interleaves.
    return this.s.tx(() => {
      const { state, audit } = next(this.read(key, now));
      this.s
        .stmt(
          `INSERT INTO lockouts (key, failures, last_failure_at, locked_until, expires_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, last_failure_at = excluded.last_failure_at,
             locked_until = excluded.locked_until, expires_at = excluded.expires_at`,
        )
        .run(key, state.failures, state.lastFailureAt, state.lockedUntil, state.expiresAt);
      for (const a of audit) insertAudit(this.s, a);
      this.s.stmt(PRUNE).run(now, key);
      return state;
    });
  }

  async clear(key: string): Promise<void> {
    this.s.stmt(LOCKOUT_SQL.clear).run(key);
  }
}
