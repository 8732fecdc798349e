import type { Application, AuditRecord, Tenant, User } from '../../core/model.js';
import type {
  ApplicationStore,
  RevokeManyItem,
  RevokeOptions,
  TenantStore,
  UserCondition,
  UserListQuery,
  UserPatch,
  UserStore,
} from '../store.js';
import type { ReceiptDraft } from '../../core/revocation-receipt.js';
import { auditWrites, insertAudit } from './audit-keys.js';
import { StatementBatcher, type Waiter } from './batcher.js';
import type { PgDb, Queryable } from './database.js';
import type { SecurityEventDraft } from '../../core/security-event.js';
import { capturedEventWrites, writeSecurityEvent } from './outbox.js';
import { receiptWrite, type UserCut, userCut } from './receipts.js';
import { returned, runWrites, type Write } from './one-statement.js';
import { unstorableText } from './unstorable-text.js';
import { USER_SELECT, toApplication, toUser } from './rows.js';
import { revokedUser } from '../../core/credential-verdicts.js';
import { DIRECTORY_SQL, applicationArgs, identifierUriKey, isPureRevoke, userArgs, userUpdate } from '../sql/directory.js';
import { numbered, numberedAll } from '../sql/placeholders.js';
import { COUNT_MATCHING_USERS, conditionSql, listSql, type UserQueryDialect } from '../sql/user-query.js';

const SQL = numberedAll(DIRECTORY_SQL);
/** Text in the "C" collation: by code point, as SQLite's binary order (store/sql/user-query.ts). */
const PG_QUERY: UserQueryDialect = { collate: ' COLLATE "C"', chr: 'chr', flag: (b) => b };
/** A condition value PostgreSQL cannot bind (unstorable-text.ts): the graph layer refuses these; here they match nothing. */
const holdsUnstorable = (args: unknown[]): boolean => args.some((a) => typeof a === 'string' && unstorableText(a));
/** PostgreSQL binds flags as BOOLEAN. */
const flag = (b: boolean): boolean => b;

export class PgTenantStore implements TenantStore {
  constructor(private readonly db: PgDb) {}
  async get(): Promise<Tenant | null> {
    const { rows } = await this.db.query(SQL.selectTenant);
    const r = rows[0];
    return r
      ? { id: r.id as string, domain: r.domain as string, displayName: r.display_name as string, createdAt: r.created_at as number }
      : null;
  }
  async insert(t: Tenant): Promise<void> {
    await this.db.query(SQL.insertTenant, [t.id, t.domain, t.displayName, t.createdAt]);
  }
  async update(t: Tenant): Promise<void> {
    await this.db.query(SQL.updateTenant, [t.domain, t.displayName, t.id]);
  }
}

/**
 * Reads a user inside a transaction. `lock` takes a row lock that lasts until commit:
 * - 'share' (FOR SHARE) in every redemption, so a revoke cannot commit between the epoch check
 *   and the rotation that relies on it (I1, I4 in docs/revocation-model.md);
 * - 'update' (FOR NO KEY UPDATE) in the revoke itself, which therefore waits for in-flight
 *   redemptions of the user and is waited for by later ones, which then read the new epoch.
 *   (NO KEY: it does not block inserts of grants and sessions, whose foreign keys only take
 *   KEY SHARE on the user.)
 */
export async function loadUser(c: Queryable, tenantId: string, id: string, lock: 'share' | 'update' | null = null): Promise<User | null> {
  const clause = lock === 'share' ? ' FOR SHARE OF u' : lock === 'update' ? ' FOR NO KEY UPDATE OF u' : '';
  const { rows } = await c.query(`${USER_SELECT} WHERE u.tenant_id = $1 AND u.id = $2${clause}`, [tenantId, id]);
  return rows[0] ? toUser(rows[0]) : null;
}

async function setRoles(c: Queryable, userId: string, roles: readonly string[]): Promise<void> {
  await c.query(SQL.deleteRoles, [userId]);
  for (const r of new Set(roles)) await c.query(SQL.insertRole, [userId, r]);
}

/**
 * Before the epoch moves, with the user row locked and what the change ends read (`cut`, the
 * user-wide cut when it has a receipt): the writes of its security event and receipt, for the
 * caller to send with its own in one statement (one-statement.ts). A receipt needs the revoke's
 * instant `at`; a change that does not revoke (no `at`) has none.
 */
async function endedWrites(
  c: Queryable,
  current: User,
  at: number | undefined,
  options: RevokeOptions,
  cut: UserCut | null,
): Promise<Write[]> {
  const event = options.securityEvent;
  // An event at the revoke's instant covers exactly the cut (the same grants and live sessions):
  // written from it, with no reads of its own; any other is written now, from its own reads.
  const captured = event && cut && event.occurredAt === at ? capturedEventWrites(current, event, cut.grantRows, cut.sessionIds) : null;
  const eventId = captured
    ? returned(captured.event)
    : event
      ? await writeSecurityEvent(c, current, event, { kind: 'user', epoch: current.revocationEpoch })
      : null;
  const receipt =
    cut && options.receipt && at !== undefined ? receiptWrite({ user: current, draft: options.receipt, at, cut, eventId }) : null;
  return [...(captured?.writes ?? []), ...(receipt ? [receipt.write] : [])];
}

/** The cut a change with a receipt records (receipts.ts userCut), read after the user row was locked. */
const cutFor = (c: Queryable, tenantId: string, id: string, at: number | undefined, options: RevokeOptions): Promise<UserCut> | null =>
  options.receipt && at !== undefined ? userCut(c, tenantId, id, at) : null;

/**
 * The revoke inside the caller's transaction, which must be PgDb.tx 'pipelined', in two round
 * trips: the user row locked (FOR NO KEY UPDATE) and what the revoke ends read, sent together but
 * as two statements, so that the read's snapshot is taken once the lock is held
 * (docs/revocation-model.md); then everything it writes in one statement (the event and receipt,
 * the epoch bump, the audit records), not awaited here: it goes out with the transaction's COMMIT,
 * which fails if it failed.
 */
async function revokeIn(c: Queryable, tenantId: string, id: string, at: number, options: RevokeOptions): Promise<User | null> {
  const locked = loadUser(c, tenantId, id, 'update');
  const cut = cutFor(c, tenantId, id, at, options);
  // Its failure (the lock's, then 25P02) is the transaction's, reported by PgDb.tx.
  cut?.catch(() => undefined);
  const current = await locked;
  if (!current) return null;
  const ended = await endedWrites(c, current, at, options, cut && (await cut));
  runWrites(c, [...ended, { sql: DIRECTORY_SQL.revokeUser, args: [at, at, tenantId, id] }, ...options.audit.flatMap(auditWrites)]).catch(
    () => undefined,
  );
  return revokedUser(current, at);
}

export class PgUserStore implements UserStore {
  constructor(private readonly db: PgDb) {}

  async findById(tenantId: string, id: string): Promise<User | null> {
    const { rows } = await this.db.query(`${USER_SELECT} WHERE u.tenant_id = $1 AND u.id = $2`, [tenantId, id]);
    return rows[0] ? toUser(rows[0]) : null;
  }

  async findByIds(tenantId: string, ids: readonly string[]): Promise<User[]> {
    const storable = ids.filter((id) => !unstorableText(id));
    if (storable.length === 0) return [];
    const { rows } = await this.db.query(`${USER_SELECT} WHERE u.tenant_id = $1 AND u.id = ANY($2::text[])`, [tenantId, storable]);
    return rows.map(toUser);
  }

  async findByUserPrincipalName(tenantId: string, upn: string): Promise<User | null> {
    if (unstorableText(upn)) return null;
    const { rows } = await this.db.query(`${USER_SELECT} WHERE u.tenant_id = $1 AND u.upn_lower = $2`, [tenantId, upn.toLowerCase()]);
    return rows[0] ? toUser(rows[0]) : null;
  }

  async list(q: UserListQuery): Promise<User[]> {
    const { where, args, orderBy } = listSql(q, PG_QUERY);
    if (holdsUnstorable(args)) return [];
    const sql = numbered(`${USER_SELECT} WHERE ${['u.tenant_id = ?', ...where].join(' AND ')} ORDER BY ${orderBy} LIMIT ?`);
    const { rows } = await this.db.query(sql, [q.tenantId, ...args, q.limit]);
    return rows.map(toUser);
  }

  /** A taken id or UPN surfaces as ConflictError (unique violation, mapped in database.ts). */
  async insert(u: User, audit: AuditRecord[] = []): Promise<void> {
    await this.db.tx(async (c) => {
      await c.query(SQL.insertUser, userArgs(u, flag));
      await setRoles(c, u.id, u.roleTemplateIds);
      for (const a of audit) await insertAudit(c, a);
    });
  }

  /**
   * The revoke path (revokeSignInSessions): the user row is locked first (FOR NO KEY UPDATE), then
   * the epoch is bumped and both timestamps set with the audit records, in one transaction; the
   * promise resolves after COMMIT, which PostgreSQL makes durable (synchronous_commit on, the
   * default) before it answers — so an answered revoke survives a crash of this process or of the
   * server (docs/revocation-model.md). The locked row read first is the result, changed as the UPDATE changes it.
   */
  async revoke(tenantId: string, id: string, at: number, options: RevokeOptions): Promise<User | null> {
    const event = options.securityEvent;
    const revoked = await this.db.tx((c) => revokeIn(c, tenantId, id, at, options), 'read committed', 'pipelined');
    if (revoked && event) this.db.outboxCommitted.fire();
    return revoked;
  }

  /**
   * One transaction (one commit) for all the items, each revoked as revoke() does. The rows are
   * locked first, all of them, in id order: two bulk revokes naming the same users in another
   * order then queue behind each other instead of deadlocking.
   */
  async revokeMany(tenantId: string, at: number, items: readonly RevokeManyItem[]): Promise<(User | null)[]> {
    if (items.length === 0) return [];
    const ids = [...new Set(items.map((i) => i.id))].sort();
    const revoked = await this.db.tx(
      async (c) => {
        await c.query('SELECT id FROM users WHERE tenant_id = $1 AND id = ANY($2::text[]) ORDER BY id FOR NO KEY UPDATE', [tenantId, ids]);
        const out: (User | null)[] = [];
        for (const item of items) out.push(await revokeIn(c, tenantId, item.id, at, item.options));
        return out;
      },
      'read committed',
      'pipelined',
    );
    if (revoked.some((u, i) => u !== null && items[i]?.options.securityEvent)) this.db.outboxCommitted.fire();
    return revoked;
  }

  /** Like revoke(), locking the user row first; with `revokeAt` (disable, password reset) it also revokes. */
  async update(tenantId: string, id: string, patch: UserPatch, options: RevokeOptions & { revokeAt?: number }): Promise<User | null> {
    if (isPureRevoke(patch, options.revokeAt)) return this.revoke(tenantId, id, options.revokeAt, options);
    const event = options.securityEvent;
    const updated = await this.db.tx(async (c) => {
      const current = await loadUser(c, tenantId, id, 'update');
      if (!current) return null;
      const ended = await endedWrites(c, current, options.revokeAt, options, await cutFor(c, tenantId, id, options.revokeAt, options));
      const update = userUpdate(tenantId, id, patch, options.revokeAt, flag);
      await runWrites(c, [...ended, ...(update ? [update] : []), ...options.audit.flatMap(auditWrites)]);
      if (patch.roleTemplateIds !== undefined) await setRoles(c, id, patch.roleTemplateIds);
      return loadUser(c, tenantId, id);
    });
    if (updated && event) this.db.outboxCommitted.fire();
    return updated;
  }

  async delete(
    tenantId: string,
    id: string,
    audit: AuditRecord[],
    event?: SecurityEventDraft,
    receipt?: { draft: ReceiptDraft; at: number },
  ): Promise<boolean> {
    const deleted = await this.db.tx(async (c) => {
      // Lock the user first, in the same order as the revoke path, to keep deadlocks rare.
      const current = await loadUser(c, tenantId, id, 'update');
      if (!current) return false;
      // Before the rows go: the event's sessions and the receipt's cut are read from them.
      const options = { audit, ...(event ? { securityEvent: event } : {}), ...(receipt ? { receipt: receipt.draft } : {}) };
      const ended = await endedWrites(c, current, receipt?.at, options, await cutFor(c, tenantId, id, receipt?.at, options));
      await runWrites(c, ended);
      await c.query(SQL.deleteUserCodes, [id]);
      await c.query(SQL.deleteUserDeviceCodes, [id]);
      await c.query(SQL.deleteUserMemberships, [id]);
      await c.query(SQL.deleteUser, [tenantId, id]);
      for (const a of audit) await insertAudit(c, a);
      return true;
    });
    if (deleted && event) this.db.outboxCommitted.fire();
    return deleted;
  }

  async count(tenantId: string, where?: UserCondition): Promise<number> {
    if (!where) {
      const { rows } = await this.db.query<{ n: number }>(SQL.countUsers, [tenantId]);
      return rows[0]?.n ?? 0;
    }
    const c = conditionSql(where, PG_QUERY);
    if (holdsUnstorable(c.args)) return 0;
    const { rows } = await this.db.query<{ n: number }>(numbered(`${COUNT_MATCHING_USERS} AND ${c.sql}`), [tenantId, ...c.args]);
    return rows[0]?.n ?? 0;
  }
}

/** The client lookups asked together, in one statement (prepared, PgDb.statement). */
const SELECT_APPLICATIONS_BY_APP_ID = `SELECT a.* FROM applications a
  JOIN unnest($1::text[], $2::text[]) AS k(tenant_id, app_id) ON a.tenant_id = k.tenant_id AND a.app_id = k.app_id`;

export class PgApplicationStore implements ApplicationStore {
  /**
   * Every token request reads its client. Nothing is cached (docs/deployment.md: a change made on
   * one instance is what the next request on any instance sees); the lookups asked while earlier
   * ones are on their way share one statement (batcher.ts: each is answered by a read sent after
   * it was asked, so it sees every change committed before).
   */
  private readonly lookups = new StatementBatcher<{ tenantId: string; appId: string }, Application | null>((batch) => this.lookUp(batch));
  constructor(private readonly db: PgDb) {}
  async findByAppId(tenantId: string, appId: string): Promise<Application | null> {
    return this.lookups.submit({ tenantId, appId });
  }
  private async lookUp(batch: Waiter<{ tenantId: string; appId: string }, Application | null>[]): Promise<void> {
    const keys = new Map<string, { tenantId: string; appId: string }>();
    for (const { ask } of batch) keys.set(`${ask.tenantId} ${ask.appId}`, ask);
    const wanted = [...keys.values()];
    const rows = await this.db.preparedRows('portcullis-apps-by-app-id', SELECT_APPLICATIONS_BY_APP_ID, [
      wanted.map((k) => k.tenantId),
      wanted.map((k) => k.appId),
    ]);
    const found = new Map(rows.map((r) => [`${r.tenant_id} ${r.app_id}`, r]));
    // One object per caller: callers may change what they get.
    for (const w of batch) {
      const row = found.get(`${w.ask.tenantId} ${w.ask.appId}`);
      w.resolve(row ? toApplication(row) : null);
    }
  }
  async findById(tenantId: string, id: string): Promise<Application | null> {
    const { rows } = await this.db.query(SQL.selectApplicationById, [tenantId, id]);
    return rows[0] ? toApplication(rows[0]) : null;
  }
  async list(tenantId: string, page?: { limit: number; after?: string }): Promise<Application[]> {
    const { rows } = !page
      ? await this.db.query(SQL.listApplications, [tenantId])
      : page.after === undefined
        ? await this.db.query(SQL.listApplicationsFirst, [tenantId, page.limit])
        : await this.db.query(SQL.listApplicationsAfter, [tenantId, page.after, page.limit]);
    return rows.map(toApplication);
  }
  async delete(tenantId: string, appId: string, audit: AuditRecord[] = []): Promise<boolean> {
    return this.db.tx(async (c) => {
      await c.query(SQL.deleteIdentifierUris, [tenantId, appId]);
      const r = await c.query(SQL.deleteApplication, [tenantId, appId]);
      const deleted = (r.rowCount ?? 0) > 0;
      if (deleted) for (const a of audit) await insertAudit(c, a);
      return deleted;
    });
  }
  async findByIdentifierUri(tenantId: string, uri: string): Promise<Application | null> {
    const r = await this.db.query(SQL.selectApplicationByIdentifierUri, [tenantId, identifierUriKey(uri)]);
    return r.rows[0] ? toApplication(r.rows[0]) : null;
  }
  /** A URI another app holds surfaces as ConflictError('identifierUris') (unique violation, mapped in database.ts). */
  async upsert(a: Application, audit: AuditRecord[] = []): Promise<void> {
    await this.db.tx(async (c) => {
      await c.query(SQL.upsertApplication, applicationArgs(a, flag));
      await c.query(SQL.deleteIdentifierUris, [a.tenantId, a.appId]);
      for (const [i, uri] of (a.identifierUris ?? []).entries()) {
        await c.query(SQL.insertIdentifierUri, [a.tenantId, identifierUriKey(uri), uri, a.appId, i]);
      }
      for (const r of audit) await insertAudit(c, r);
    });
  }
}
