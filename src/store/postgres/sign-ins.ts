import { activityUpdates, type SignIn, type SignInActivity, type SignInQuery } from '../../core/sign-in.js';
import { numbered } from '../sql/placeholders.js';
import { PURGE_SQL, PURGE_START, purgeArgs, purgeEnd, toPurgeCursor } from '../sql/retention.js';
import {
  ACTIVITY_INSERT,
  ACTIVITY_ON_CONFLICT,
  SELECT_SIGN_IN,
  SIGN_IN_COLUMNS,
  activityArgs,
  insertSignInsSql,
  listSignInsSql,
  selectActivitySql,
  signInArgs,
  toActivity,
  toSignIn,
} from '../sql/sign-ins.js';
import type { PurgeBatch, PurgeCursor, PurgeKind, RetentionStore, SignInStore } from '../store.js';
import { isRetryable, type PgDb } from './database.js';
import { unstorableText } from './unstorable-text.js';

/** Rows per INSERT: one round trip for many entries, well below PostgreSQL's 65,535 parameters. */
const ROWS_PER_INSERT = Math.floor(30_000 / SIGN_IN_COLUMNS.length);
/**
 * A batch's signInActivity in one statement (one round trip, not one per user): the updates as
 * parallel arrays in activityArgs' order, inserted in the order given (ORDER BY the ordinality) so
 * that two instances' batches, both sorted by user id, lock the rows in the same order; the join
 * drops users that no longer exist, as the one-user UPSERT_ACTIVITY does.
 */
const upsertActivitiesSql = (p: number) => `${ACTIVITY_INSERT}
  SELECT v.user_id, v.a1, v.a2, v.a3, v.a4, v.a5, v.a6
  FROM unnest($${p + 1}::bigint[], $${p + 2}::text[], $${p + 3}::bigint[], $${p + 4}::text[], $${p + 5}::bigint[], $${p + 6}::text[],
      $${p + 7}::text[]) WITH ORDINALITY
    AS v(a1, a2, a3, a4, a5, a6, user_id, n)
  JOIN users u ON u.id = v.user_id
  ORDER BY v.n
  ${ACTIVITY_ON_CONFLICT}`;
const SQL_UPSERT_ACTIVITIES = upsertActivitiesSql(0);
const SQL_SELECT_SIGN_IN = numbered(SELECT_SIGN_IN);

/** PostgreSQL text cannot hold U+0000 (unstorable-text.ts); a header could carry one. */
const storable = (e: SignIn): SignIn => ({
  ...e,
  userAgent: e.userAgent?.replaceAll('\u0000', '') ?? null,
  correlationId: e.correlationId.replaceAll('\u0000', ''),
});

export class PgSignInStore implements SignInStore {
  constructor(private readonly db: PgDb) {}

  /**
   * A batch that fits one INSERT is one statement and one round trip (it used to be five: BEGIN,
   * SET LOCAL, the two inserts, COMMIT): both inserts as data-modifying CTEs, which always run to
   * completion (https://www.postgresql.org/docs/current/queries-with.html#QUERIES-WITH-MODIFYING),
   * and `set_config(..., true)`, which lasts until the end of the statement's own transaction and
   * so applies to its commit. Off the request path and not a credential: that commit may skip the
   * wait for the WAL flush. A larger batch, or one that hit a deadlock, runs in a transaction.
   */
  async insertMany(entries: readonly SignIn[]): Promise<void> {
    if (entries.length === 0) return;
    const rows = entries.map(storable);
    // One user after another in id order, so two instances' batches lock their rows in the same order.
    const updates = activityUpdates(rows).sort((a, b) => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0));
    const columns: unknown[][] = Array.from({ length: 7 }, () => []);
    for (const u of updates) activityArgs(u).forEach((v, i) => columns[i]?.push(v));
    if (rows.length <= ROWS_PER_INSERT) {
      const args = rows.flatMap(signInArgs);
      const activities = updates.length === 0 ? '' : `, active AS (${upsertActivitiesSql(args.length)})`;
      try {
        await this.db.query(
          `WITH signed AS (${numbered(insertSignInsSql(rows.length))})${activities} SELECT set_config('synchronous_commit', 'off', true)`,
          updates.length === 0 ? args : [...args, ...columns],
        );
        return;
      } catch (e) {
        if (!isRetryable(e)) throw e;
      }
    }
    await this.db.tx(async (c) => {
      await c.query('SET LOCAL synchronous_commit = off');
      for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
        const chunk = rows.slice(i, i + ROWS_PER_INSERT);
        await c.query(numbered(insertSignInsSql(chunk.length)), chunk.flatMap(signInArgs));
      }
      if (updates.length > 0) await c.query(SQL_UPSERT_ACTIVITIES, columns);
    });
  }

  async list(q: SignInQuery): Promise<SignIn[]> {
    if ([q.userId, q.userPrincipalName, q.appId, q.servicePrincipalId].some((v) => v !== undefined && unstorableText(v))) return [];
    const { sql, args } = listSignInsSql(q);
    const { rows } = await this.db.query(numbered(sql), args);
    return rows.map(toSignIn);
  }

  async findById(tenantId: string, id: string): Promise<SignIn | null> {
    if (unstorableText(id)) return null;
    const { rows } = await this.db.query(SQL_SELECT_SIGN_IN, [tenantId, id]);
    return rows[0] ? toSignIn(rows[0]) : null;
  }

  async activity(userIds: readonly string[]): Promise<Map<string, SignInActivity>> {
    const out = new Map<string, SignInActivity>();
    const ids = userIds.filter((id) => !unstorableText(id));
    if (ids.length === 0) return out;
    const { rows } = await this.db.query(numbered(selectActivitySql(ids.length)), ids);
    for (const r of rows) out.set(String(r.user_id), toActivity(r));
    return out;
  }
}

export class PgRetentionStore implements RetentionStore {
  constructor(private readonly db: PgDb) {}
  async purge(kind: PurgeKind, cutoff: number, limit: number, from: PurgeCursor = PURGE_START): Promise<PurgeBatch> {
    const { remove, pageEnd } = PURGE_SQL[kind];
    const last = purgeEnd(cutoff);
    return this.db.tx(async (c) => {
      if (!pageEnd) {
        const deleted = (await c.query(numbered(remove.sql), purgeArgs(remove.args, { cutoff, limit, from, end: last }))).rowCount ?? 0;
        return { deleted, next: deleted < limit ? null : PURGE_START };
      }
      const page = await c.query(numbered(pageEnd.sql), purgeArgs(pageEnd.args, { cutoff, limit, from, end: last }));
      const end = toPurgeCursor(page.rows[0] as { at: unknown; id: unknown } | undefined);
      const r = await c.query(numbered(remove.sql), purgeArgs(remove.args, { cutoff, limit, from, end: end ?? last }));
      return { deleted: r.rowCount ?? 0, next: end };
    });
  }
}
