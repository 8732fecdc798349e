import { activityUpdates, type SignIn, type SignInActivity, type SignInQuery } from '../../core/sign-in.js';
import { PURGE_SQL } from '../sql/retention.js';
import {
  SELECT_SIGN_IN,
  UPSERT_ACTIVITY,
  activityArgs,
  insertSignInsSql,
  listSignInsSql,
  selectActivitySql,
  signInArgs,
  toActivity,
  toSignIn,
} from '../sql/sign-ins.js';
import type { PurgeKind, RetentionStore, SignInStore } from '../store.js';
import type { SqliteDb } from './database.js';

type Row = Record<string, unknown>;

/** Reads of many ids go in chunks below SQLite's default bound on host parameters. */
const CHUNK = 500;

export class SqliteSignInStore implements SignInStore {
  constructor(private readonly s: SqliteDb) {}

  async insertMany(entries: readonly SignIn[]): Promise<void> {
    if (entries.length === 0) return;
    // Best-effort records: no fsync wait (txRelaxed); a crash of the OS may lose the last batch.
    this.s.txRelaxed(() => {
      const insert = this.s.stmt(insertSignInsSql(1));
      for (const e of entries) insert.run(...signInArgs(e));
      const upsert = this.s.stmt(UPSERT_ACTIVITY);
      for (const u of activityUpdates(entries)) upsert.run(...activityArgs(u));
    });
  }

  async list(q: SignInQuery): Promise<SignIn[]> {
    const { sql, args } = listSignInsSql(q);
    return (this.s.stmt(sql).all(...args) as Row[]).map(toSignIn);
  }

  async findById(tenantId: string, id: string): Promise<SignIn | null> {
    const r = this.s.stmt(SELECT_SIGN_IN).get(tenantId, id) as Row | undefined;
    return r ? toSignIn(r) : null;
  }

  async activity(userIds: readonly string[]): Promise<Map<string, SignInActivity>> {
    const out = new Map<string, SignInActivity>();
    for (let i = 0; i < userIds.length; i += CHUNK) {
      const chunk = userIds.slice(i, i + CHUNK);
      for (const r of this.s.db.prepare(selectActivitySql(chunk.length)).all(...chunk) as Row[]) {
        out.set(String(r.user_id), toActivity(r));
      }
    }
    return out;
  }
}

export class SqliteRetentionStore implements RetentionStore {
  constructor(private readonly s: SqliteDb) {}
  async purge(kind: PurgeKind, cutoff: number, limit: number): Promise<number> {
    const { sql, args } = PURGE_SQL[kind];
    // What is deleted here is dead already; an OS crash that undoes a batch only brings it back
    // for the next run, so the commit need not wait for an fsync.
    return this.s.txRelaxed(() => this.s.stmt(sql).run(...args(cutoff, limit)).changes);
  }
}
