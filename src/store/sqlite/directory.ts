import type { Application, AuditRecord, Tenant, User } from '../../core/model.js';
import {
  ConflictError,
  type ApplicationStore,
  type RevokeManyItem,
  type RevokeOptions,
  type TenantStore,
  type UserCondition,
  type UserListQuery,
  type UserPatch,
  type UserStore,
} from '../store.js';
import type { SqliteDb } from './database.js';
import { insertAudit } from './audit-keys.js';
import { writeCapturedEventSync, writeSecurityEventSync } from './outbox.js';
import { captureReceiptSync, userCutSync } from './receipts.js';
import type { ReceiptDraft } from '../../core/revocation-receipt.js';
import { USER_SELECT, toApplication, toUser } from './rows.js';
import type { SecurityEventDraft } from '../../core/security-event.js';
import { revokedUser } from '../../core/credential-verdicts.js';
import { COUNT_MATCHING_USERS, conditionSql, listSql, type UserQueryDialect } from '../sql/user-query.js';
import { DIRECTORY_SQL as SQL, applicationArgs, identifierUriKey, isPureRevoke, userArgs, userUpdate } from '../sql/directory.js';

export class SqliteTenantStore implements TenantStore {
  constructor(private readonly s: SqliteDb) {}
  async get(): Promise<Tenant | null> {
    const r = this.s.stmt(SQL.selectTenant).get() as Record<string, unknown> | undefined;
    return r
      ? { id: r.id as string, domain: r.domain as string, displayName: r.display_name as string, createdAt: r.created_at as number }
      : null;
  }
  async insert(t: Tenant): Promise<void> {
    this.s.stmt(SQL.insertTenant).run(t.id, t.domain, t.displayName, t.createdAt);
  }
  async update(t: Tenant): Promise<void> {
    this.s.stmt(SQL.updateTenant).run(t.domain, t.displayName, t.id);
  }
}

/** SQLite has no BOOLEAN: flags are INTEGER 0/1. */
const flag = (b: boolean): number => (b ? 1 : 0);
const SQLITE_QUERY: UserQueryDialect = { collate: '', chr: 'char', flag };

function isUniqueViolation(e: unknown): boolean {
  return e instanceof Error && 'code' in e && String((e as { code: unknown }).code).startsWith('SQLITE_CONSTRAINT');
}

export class SqliteUserStore implements UserStore {
  constructor(private readonly s: SqliteDb) {}

  loadSync(tenantId: string, id: string): User | null {
    const r = this.s.stmt(`${USER_SELECT} WHERE u.tenant_id = ? AND u.id = ?`).get(tenantId, id) as Record<string, unknown> | undefined;
    return r ? toUser(r) : null;
  }

  async findById(tenantId: string, id: string): Promise<User | null> {
    return this.loadSync(tenantId, id);
  }

  async findByIds(tenantId: string, ids: readonly string[]): Promise<User[]> {
    if (ids.length === 0) return [];
    // One JSON array parameter: SQLite caps the number of bound parameters, not their size.
    const rows = this.s
      .stmt(`${USER_SELECT} WHERE u.tenant_id = ? AND u.id IN (SELECT value FROM json_each(?))`)
      .all(tenantId, JSON.stringify(ids)) as Record<string, unknown>[];
    return rows.map(toUser);
  }

  async findByUserPrincipalName(tenantId: string, upn: string): Promise<User | null> {
    const r = this.s.stmt(`${USER_SELECT} WHERE u.tenant_id = ? AND u.upn_lower = ?`).get(tenantId, upn.toLowerCase()) as
      | Record<string, unknown>
      | undefined;
    return r ? toUser(r) : null;
  }

  async list(q: UserListQuery): Promise<User[]> {
    const { where, args, orderBy } = listSql(q, SQLITE_QUERY);
    const sql = `${USER_SELECT} WHERE ${['u.tenant_id = ?', ...where].join(' AND ')} ORDER BY ${orderBy} LIMIT ?`;
    // Statements a condition shapes are prepared each time, so that client-chosen filters cannot
    // grow the statement cache without bound; the few fixed shapes are cached.
    const stmt = q.where ? this.s.db.prepare(sql) : this.s.stmt(sql);
    return (stmt.all(q.tenantId, ...args, q.limit) as Record<string, unknown>[]).map(toUser);
  }

  async insert(u: User, audit: AuditRecord[] = []): Promise<void> {
    try {
      this.s.tx(() => {
        this.s.stmt(SQL.insertUser).run(...userArgs(u, flag));
        this.setRoles(u.id, u.roleTemplateIds);
        for (const a of audit) insertAudit(this.s, a);
      });
    } catch (e) {
      if (isUniqueViolation(e)) throw new ConflictError('userPrincipalName');
      throw e;
    }
  }

  private setRoles(userId: string, roles: readonly string[]): void {
    this.s.stmt(SQL.deleteRoles).run(userId);
    for (const r of new Set(roles)) this.s.stmt(SQL.insertRole).run(userId, r);
  }

  /**
   * Joins the group commit (group-commit.ts) ahead of queued rotations, so that refresh load does
   * not delay its answer (bench/b2-revoke.ts); answered after the fsync that covers it, with its audit
   * record and security event in the same transaction.
   */
  async revoke(tenantId: string, id: string, at: number, options: RevokeOptions): Promise<User | null> {
    const revoked = await this.s.groupCommit.run(() => this.revokeNow(tenantId, id, at, options), { urgent: true });
    if (revoked && options.securityEvent) this.s.outboxCommitted.fire();
    return revoked;
  }

  /**
   * One work of the group commit for all the items (revokeNow each, in order): no savepoint and no
   * promise per user. A work that throws undoes all of its items, so the call fails as a whole.
   */
  async revokeMany(tenantId: string, at: number, items: readonly RevokeManyItem[]): Promise<(User | null)[]> {
    if (items.length === 0) return [];
    const revoked = await this.s.groupCommit.run(() => items.map((item) => this.revokeNow(tenantId, item.id, at, item.options)), {
      urgent: true,
    });
    if (revoked.some((u, i) => u !== null && items[i]?.options.securityEvent)) this.s.outboxCommitted.fire();
    return revoked;
  }

  /** The row read first is the result, changed as the UPDATE changes it: one read per revoke. */
  private revokeNow(tenantId: string, id: string, at: number, options: RevokeOptions): User | null {
    const current = this.loadSync(tenantId, id);
    if (!current) return null;
    this.captureEnded(current, at, options);
    this.s.stmt(SQL.revokeUser).run(at, at, tenantId, id);
    for (const a of options.audit) insertAudit(this.s, a);
    return revokedUser(current, at);
  }

  /**
   * Before the epoch moves, in the revoking transaction: the security event and the receipt of the
   * sessions and grants the change ends (those of the user's current epoch). A receipt needs the
   * revoke's instant `at`; a change that does not revoke (no `at`) has none.
   */
  private captureEnded(current: User, at: number | undefined, options: RevokeOptions): void {
    const event = options.securityEvent;
    const cut = options.receipt && at !== undefined ? userCutSync(this.s, current, at) : null;
    // An event at the revoke's instant covers exactly the cut (the same grants and live sessions):
    // one read of them for both (BENCHMARKS.md, B3).
    const eventId = !event
      ? null
      : cut && event.occurredAt === at
        ? writeCapturedEventSync(this.s, current, event, cut.grantRows, cut.sessionIds)
        : writeSecurityEventSync(this.s, current, event, { kind: 'user', epoch: current.revocationEpoch });
    if (cut && options.receipt && at !== undefined) captureReceiptSync(this.s, { user: current, draft: options.receipt, at, cut, eventId });
  }

  async update(tenantId: string, id: string, patch: UserPatch, options: RevokeOptions & { revokeAt?: number }): Promise<User | null> {
    if (isPureRevoke(patch, options.revokeAt)) return this.revoke(tenantId, id, options.revokeAt, options);
    const event = options.securityEvent;
    try {
      // Joins the group commit like revoke(); one that also revokes (disable, password reset)
      // goes ahead of queued rotations too.
      const updated = await this.s.groupCommit.run(() => this.updateNow(tenantId, id, patch, options), {
        urgent: options.revokeAt !== undefined,
      });
      if (updated && event) this.s.outboxCommitted.fire();
      return updated;
    } catch (e) {
      if (isUniqueViolation(e)) throw new ConflictError('userPrincipalName');
      throw e;
    }
  }

  private updateNow(tenantId: string, id: string, patch: UserPatch, options: RevokeOptions & { revokeAt?: number }): User | null {
    if (options.securityEvent || (options.receipt && options.revokeAt !== undefined)) {
      const current = this.loadSync(tenantId, id);
      if (!current) return null;
      this.captureEnded(current, options.revokeAt, options);
    }
    // The UPDATE's row count tells whether the user exists; only a patch without column changes
    // (roles alone) needs a read for that.
    const update = userUpdate(tenantId, id, patch, options.revokeAt, flag);
    const exists = update
      ? this.s.stmt(update.sql).run(...update.args).changes === 1
      : this.s.stmt(SQL.userExists).get(tenantId, id) !== undefined;
    if (!exists) return null;
    if (patch.roleTemplateIds !== undefined) this.setRoles(id, patch.roleTemplateIds);
    for (const a of options.audit) insertAudit(this.s, a);
    return this.loadSync(tenantId, id);
  }

  async delete(
    tenantId: string,
    id: string,
    audit: AuditRecord[],
    event?: SecurityEventDraft,
    receipt?: { draft: ReceiptDraft; at: number },
  ): Promise<boolean> {
    const deleted = this.s.tx(() => {
      const current = this.loadSync(tenantId, id);
      if (!current) return false;
      // Before the rows go: the event's sessions and the receipt's cut are read from them.
      this.captureEnded(current, receipt?.at, {
        audit,
        ...(event ? { securityEvent: event } : {}),
        ...(receipt ? { receipt: receipt.draft } : {}),
      });
      this.s.stmt(SQL.deleteUserCodes).run(id);
      this.s.stmt(SQL.deleteUserDeviceCodes).run(id);
      this.s.stmt(SQL.deleteUserMemberships).run(id);
      const info = this.s.stmt(SQL.deleteUser).run(tenantId, id);
      if (info.changes === 0) return false;
      for (const a of audit) insertAudit(this.s, a);
      return true;
    });
    if (deleted && event) this.s.outboxCommitted.fire();
    return deleted;
  }

  async count(tenantId: string, where?: UserCondition): Promise<number> {
    if (!where) return (this.s.stmt(SQL.countUsers).get(tenantId) as { n: number }).n;
    const c = conditionSql(where, SQLITE_QUERY);
    return (this.s.db.prepare(`${COUNT_MATCHING_USERS} AND ${c.sql}`).get(tenantId, ...c.args) as { n: number }).n;
  }
}

export class SqliteApplicationStore implements ApplicationStore {
  constructor(private readonly s: SqliteDb) {}
  async findByAppId(tenantId: string, appId: string): Promise<Application | null> {
    const r = this.s.stmt(SQL.selectApplication).get(tenantId, appId) as Record<string, unknown> | undefined;
    return r ? toApplication(r) : null;
  }
  async findById(tenantId: string, id: string): Promise<Application | null> {
    const r = this.s.stmt(SQL.selectApplicationById).get(tenantId, id) as Record<string, unknown> | undefined;
    return r ? toApplication(r) : null;
  }
  async list(tenantId: string, page?: { limit: number; after?: string }): Promise<Application[]> {
    const rows = !page
      ? this.s.stmt(SQL.listApplications).all(tenantId)
      : page.after === undefined
        ? this.s.stmt(SQL.listApplicationsFirst).all(tenantId, page.limit)
        : this.s.stmt(SQL.listApplicationsAfter).all(tenantId, page.after, page.limit);
    return (rows as Record<string, unknown>[]).map(toApplication);
  }
  async delete(tenantId: string, appId: string, audit: AuditRecord[] = []): Promise<boolean> {
    return this.s.tx(() => {
      this.s.stmt(SQL.deleteIdentifierUris).run(tenantId, appId);
      const deleted = this.s.stmt(SQL.deleteApplication).run(tenantId, appId).changes > 0;
      if (deleted) for (const r of audit) insertAudit(this.s, r);
      return deleted;
    });
  }
  async findByIdentifierUri(tenantId: string, uri: string): Promise<Application | null> {
    const r = this.s.stmt(SQL.selectApplicationByIdentifierUri).get(tenantId, identifierUriKey(uri)) as Record<string, unknown> | undefined;
    return r ? toApplication(r) : null;
  }
  async upsert(a: Application, audit: AuditRecord[] = []): Promise<void> {
    try {
      this.s.tx(() => {
        this.s.stmt(SQL.upsertApplication).run(...applicationArgs(a, flag));
        this.s.stmt(SQL.deleteIdentifierUris).run(a.tenantId, a.appId);
        (a.identifierUris ?? []).forEach((uri, i) => {
          this.s.stmt(SQL.insertIdentifierUri).run(a.tenantId, identifierUriKey(uri), uri, a.appId, i);
        });
        for (const r of audit) insertAudit(this.s, r);
      });
    } catch (e) {
      if (isUniqueViolation(e)) throw new ConflictError('identifierUris');
      throw e;
    }
  }
}
