import type { Application, AuditRecord, Tenant, User } from '../../core/model.js';
import {
  ConflictError,
  type ApplicationStore,
  type TenantStore,
  type UserListQuery,
  type UserPatch,
  type UserStore,
} from '../store.js';
import type { SqliteDb } from './database.js';
import { insertAudit } from './audit-keys.js';
import { writeSecurityEventSync } from './outbox.js';
import { USER_SELECT, toApplication, toUser } from './rows.js';
import type { SecurityEventDraft } from '../../core/security-event.js';

export class SqliteTenantStore implements TenantStore {
  constructor(private readonly s: SqliteDb) {}
  async get(): Promise<Tenant | null> {
    const r = this.s.stmt('SELECT * FROM tenants ORDER BY created_at LIMIT 1').get() as Record<string, unknown> | undefined;
    return r ? { id: r.id as string, domain: r.domain as string, displayName: r.display_name as string, createdAt: r.created_at as number } : null;
  }
  async insert(t: Tenant): Promise<void> {
    this.s.stmt('INSERT INTO tenants (id, domain, display_name, created_at) VALUES (?, ?, ?, ?)').run(t.id, t.domain, t.displayName, t.createdAt);
  }
  async update(t: Tenant): Promise<void> {
    this.s.stmt('UPDATE tenants SET domain = ?, display_name = ? WHERE id = ?').run(t.domain, t.displayName, t.id);
  }
}

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

  async findByUserPrincipalName(tenantId: string, upn: string): Promise<User | null> {
    const r = this.s.stmt(`${USER_SELECT} WHERE u.tenant_id = ? AND u.upn_lower = ?`).get(tenantId, upn.toLowerCase()) as
      | Record<string, unknown>
      | undefined;
    return r ? toUser(r) : null;
  }

  async list(q: UserListQuery): Promise<User[]> {
    const where = ['u.tenant_id = ?'];
    const args: unknown[] = [q.tenantId];
    if (q.userPrincipalName !== undefined) {
      where.push('u.upn_lower = ?');
      args.push(q.userPrincipalName.toLowerCase());
    }
    if (q.afterId !== undefined) {
      where.push('u.id > ?');
      args.push(q.afterId);
    }
    args.push(q.limit);
    const rows = this.s.stmt(`${USER_SELECT} WHERE ${where.join(' AND ')} ORDER BY u.id LIMIT ?`).all(...args) as Record<string, unknown>[];
    return rows.map(toUser);
  }

  async insert(u: User, audit: AuditRecord[] = []): Promise<void> {
    try {
      this.s.tx(() => {
        this.s
          .stmt(
            `INSERT INTO users (id, tenant_id, user_principal_name, upn_lower, display_name, mail, password_hash,
              account_enabled, revocation_epoch, sign_in_sessions_valid_from, refresh_tokens_valid_from, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            u.id, u.tenantId, u.userPrincipalName, u.userPrincipalName.toLowerCase(), u.displayName, u.mail,
            u.passwordHash, u.accountEnabled ? 1 : 0, u.revocationEpoch, u.signInSessionsValidFrom,
            u.refreshTokensValidFrom, u.createdAt,
          );
        this.setRoles(u.id, u.roleTemplateIds);
        for (const a of audit) insertAudit(this.s, a);
      });
    } catch (e) {
      if (isUniqueViolation(e)) throw new ConflictError('userPrincipalName');
      throw e;
    }
  }

  private setRoles(userId: string, roles: readonly string[]): void {
    this.s.stmt('DELETE FROM role_assignments WHERE user_id = ?').run(userId);
    for (const r of new Set(roles)) this.s.stmt('INSERT INTO role_assignments (user_id, role_template_id) VALUES (?, ?)').run(userId, r);
  }

  async update(
    tenantId: string,
    id: string,
    patch: UserPatch,
    options: { revokeAt?: number; audit: AuditRecord[]; securityEvent?: SecurityEventDraft },
  ): Promise<User | null> {
    const event = options.securityEvent;
    try {
      // Joins the group commit (group-commit.ts): answered after the fsync that covers it, with
      // its audit record and security event in the same transaction. A revocation goes ahead of
      // queued rotations so that refresh load does not delay its answer (issue 5, B2/B3).
      const updated = await this.s.groupCommit.run(() => this.updateNow(tenantId, id, patch, options), { urgent: options.revokeAt !== undefined });
      if (updated && event) this.s.outboxCommitted.fire();
      return updated;
    } catch (e) {
      if (isUniqueViolation(e)) throw new ConflictError('userPrincipalName');
      throw e;
    }
  }

  private updateNow(
    tenantId: string,
    id: string,
    patch: UserPatch,
    options: { revokeAt?: number; audit: AuditRecord[]; securityEvent?: SecurityEventDraft },
  ): User | null {
    const event = options.securityEvent;
    let current: User | null = null;
    if (event) {
      // Captured before the epoch moves: the sessions and grants this change ends.
      current = this.loadSync(tenantId, id);
      if (!current) return null;
      writeSecurityEventSync(this.s, current, event, { kind: 'user', epoch: current.revocationEpoch });
    }
    const sets: string[] = [];
    const args: unknown[] = [];
    if (patch.displayName !== undefined) {
      sets.push('display_name = ?');
      args.push(patch.displayName);
    }
    if (patch.userPrincipalName !== undefined) {
      sets.push('user_principal_name = ?', 'upn_lower = ?');
      args.push(patch.userPrincipalName, patch.userPrincipalName.toLowerCase());
    }
    if (patch.passwordHash !== undefined) {
      sets.push('password_hash = ?');
      args.push(patch.passwordHash);
    }
    if (patch.accountEnabled !== undefined) {
      sets.push('account_enabled = ?');
      args.push(patch.accountEnabled ? 1 : 0);
    }
    if (options.revokeAt !== undefined) {
      // One statement bumps the epoch and sets both valid-from stamps to the same instant.
      sets.push('revocation_epoch = revocation_epoch + 1', 'sign_in_sessions_valid_from = ?', 'refresh_tokens_valid_from = ?');
      args.push(options.revokeAt, options.revokeAt);
    }
    // The UPDATE's row count tells whether the user exists; only a patch without column changes
    // (roles alone) needs a read for that.
    const exists =
      sets.length > 0
        ? this.s.stmt(`UPDATE users SET ${sets.join(', ')} WHERE tenant_id = ? AND id = ?`).run(...args, tenantId, id).changes === 1
        : this.s.stmt('SELECT 1 FROM users WHERE tenant_id = ? AND id = ?').get(tenantId, id) !== undefined;
    if (!exists) return null;
    if (patch.roleTemplateIds !== undefined) this.setRoles(id, patch.roleTemplateIds);
    for (const a of options.audit) insertAudit(this.s, a);
    // A pure revoke (no patch) changes exactly the three columns set above, so the row read
    // before it gives the result without reading it again (one read less per revoke, B3).
    if (current && options.revokeAt !== undefined && Object.keys(patch).length === 0) {
      return { ...current, revocationEpoch: current.revocationEpoch + 1, signInSessionsValidFrom: options.revokeAt, refreshTokensValidFrom: options.revokeAt };
    }
    return this.loadSync(tenantId, id);
  }

  async delete(tenantId: string, id: string, audit: AuditRecord[], event?: SecurityEventDraft): Promise<boolean> {
    const deleted = this.s.tx(() => {
      const current = this.loadSync(tenantId, id);
      if (!current) return false;
      if (event) writeSecurityEventSync(this.s, current, event, { kind: 'user', epoch: current.revocationEpoch });
      // Credentials first: codes and device codes reference the user without a grant row.
      this.s.stmt('DELETE FROM authorization_codes WHERE user_id = ?').run(id);
      this.s.stmt('DELETE FROM device_codes WHERE user_id = ?').run(id);
      const info = this.s.stmt('DELETE FROM users WHERE tenant_id = ? AND id = ?').run(tenantId, id);
      if (info.changes === 0) return false;
      for (const a of audit) insertAudit(this.s, a);
      return true;
    });
    if (deleted && event) this.s.outboxCommitted.fire();
    return deleted;
  }

  async count(tenantId: string): Promise<number> {
    return (this.s.stmt('SELECT count(*) AS n FROM users WHERE tenant_id = ?').get(tenantId) as { n: number }).n;
  }
}

export class SqliteApplicationStore implements ApplicationStore {
  constructor(private readonly s: SqliteDb) {}
  async findByAppId(tenantId: string, appId: string): Promise<Application | null> {
    const r = this.s.stmt('SELECT * FROM applications WHERE tenant_id = ? AND app_id = ?').get(tenantId, appId) as
      | Record<string, unknown>
      | undefined;
    return r ? toApplication(r) : null;
  }
  async list(tenantId: string): Promise<Application[]> {
    return (this.s.stmt('SELECT * FROM applications WHERE tenant_id = ? ORDER BY app_id').all(tenantId) as Record<string, unknown>[]).map(
      toApplication,
    );
  }
  async upsert(a: Application, audit: AuditRecord[] = []): Promise<void> {
    this.s.tx(() => {
      this.s
        .stmt(
          `INSERT INTO applications (app_id, tenant_id, display_name, public_client_redirect_uris, web_redirect_uris,
             spa_redirect_uris, secrets, allow_public_client_flows, delegated_permissions, application_permissions, created_at,
             backchannel_logout, directory_roles)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (app_id) DO UPDATE SET display_name = excluded.display_name,
             public_client_redirect_uris = excluded.public_client_redirect_uris, web_redirect_uris = excluded.web_redirect_uris,
             spa_redirect_uris = excluded.spa_redirect_uris, secrets = excluded.secrets,
             allow_public_client_flows = excluded.allow_public_client_flows,
             delegated_permissions = excluded.delegated_permissions, application_permissions = excluded.application_permissions,
             backchannel_logout = excluded.backchannel_logout, directory_roles = excluded.directory_roles`,
        )
        .run(
          a.appId, a.tenantId, a.displayName, JSON.stringify(a.publicClientRedirectUris), JSON.stringify(a.webRedirectUris),
          JSON.stringify(a.spaRedirectUris), JSON.stringify(a.secrets), a.allowPublicClientFlows ? 1 : 0,
          JSON.stringify(a.delegatedPermissions), JSON.stringify(a.applicationPermissions), a.createdAt,
          a.backchannelLogout ? JSON.stringify(a.backchannelLogout) : null,
          a.directoryRoles && a.directoryRoles.length > 0 ? JSON.stringify(a.directoryRoles) : null,
        );
      for (const r of audit) insertAudit(this.s, r);
    });
  }
}
