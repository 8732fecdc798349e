import { activityUpdates, type SignIn, type SignInActivity, type SignInQuery } from '../../core/sign-in.js';
import { PURGE_SQL, PURGE_START, purgeArgs, purgeEnd, toPurgeCursor } from '../sql/retention.js';
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
import type { CleanupReport, PurgeBatch, PurgeCursor, PurgeKind, RetentionStore, SignInStore } from '../store.js';
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

  async purge(kind: PurgeKind, cutoff: number, limit: number, from: PurgeCursor = PURGE_START): Promise<PurgeBatch> {
    const { remove, pageEnd } = PURGE_SQL[kind];
    const last = purgeEnd(cutoff);
    // What is deleted here is dead already; an OS crash that undoes a batch only brings it back
    // for the next run, so the commit need not wait for an fsync.
    return this.s.txRelaxed(() => {
      if (!pageEnd) {
        const deleted = this.s.stmt(remove.sql).run(...purgeArgs(remove.args, { cutoff, limit, from, end: last })).changes;
        return { deleted, next: deleted < limit ? null : PURGE_START };
      }
      const end = toPurgeCursor(
        this.s.stmt(pageEnd.sql).get(...purgeArgs(pageEnd.args, { cutoff, limit, from, end: last })) as
          | { at: unknown; id: unknown }
          | undefined,
      );
      const deleted = this.s.stmt(remove.sql).run(...purgeArgs(remove.args, { cutoff, limit, from, end: end ?? last })).changes;
      return { deleted, next: end };
    });
  }

  /** A database in a file: on a worker thread (cleanup-worker.ts). In memory: null, the caller purges in batches. */
  cleanOffLoop(cutoffs: Record<PurgeKind, number>, signal?: AbortSignal): Promise<CleanupReport> | null {
    const run = this.s.startCleanup(cutoffs);
    if (!run) return null;
    if (signal?.aborted) run.stop();
    const onAbort = () => run.stop();
    signal?.addEventListener('abort', onAbort, { once: true });
    const forget = () => signal?.removeEventListener('abort', onAbort);
    run.done.then(forget, forget);
    return run.done;
  }
}
