import type { Application, AuditRecord, Tenant, User } from '../../core/model.js';
import type { ApplicationStore, TenantStore, UserListQuery, UserPatch, UserStore } from '../store.js';
import { insertAudit } from './audit-keys.js';
import type { PgDb, Queryable } from './database.js';
import type { SecurityEventDraft } from '../../core/security-event.js';
import { writeSecurityEvent } from './outbox.js';
import { unstorableText } from './unstorable-text.js';
import { USER_SELECT, toApplication, toUser } from './rows.js';

export class PgTenantStore implements TenantStore {
  constructor(private readonly db: PgDb) {}
  async get(): Promise<Tenant | null> {
    const { rows } = await this.db.query('SELECT * FROM tenants ORDER BY created_at LIMIT 1');
    const r = rows[0];
    return r ? { id: r.id as string, domain: r.domain as string, displayName: r.display_name as string, createdAt: r.created_at as number } : null;
  }
  async insert(t: Tenant): Promise<void> {
    await this.db.query('INSERT INTO tenants (id, domain, display_name, created_at) VALUES ($1, $2, $3, $4)', [t.id, t.domain, t.displayName, t.createdAt]);
  }
  async update(t: Tenant): Promise<void> {
    await this.db.query('UPDATE tenants SET domain = $1, display_name = $2 WHERE id = $3', [t.domain, t.displayName, t.id]);
  }
}

/**
 * Reads a user inside a transaction. `lock` takes a row lock that lasts until commit:
 * - 'share' (FOR SHARE) in every redemption, so a revoke cannot commit between the epoch check
 *   and the rotation that relies on it (DESIGN.md I1, I4);
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
  await c.query('DELETE FROM role_assignments WHERE user_id = $1', [userId]);
  for (const r of new Set(roles)) await c.query('INSERT INTO role_assignments (user_id, role_template_id) VALUES ($1, $2)', [userId, r]);
}

export class PgUserStore implements UserStore {
  constructor(private readonly db: PgDb) {}

  async findById(tenantId: string, id: string): Promise<User | null> {
    const { rows } = await this.db.query(`${USER_SELECT} WHERE u.tenant_id = $1 AND u.id = $2`, [tenantId, id]);
    return rows[0] ? toUser(rows[0]) : null;
  }

  async findByUserPrincipalName(tenantId: string, upn: string): Promise<User | null> {
    if (unstorableText(upn)) return null;
    const { rows } = await this.db.query(`${USER_SELECT} WHERE u.tenant_id = $1 AND u.upn_lower = $2`, [tenantId, upn.toLowerCase()]);
    return rows[0] ? toUser(rows[0]) : null;
  }

  async list(q: UserListQuery): Promise<User[]> {
    const where = ['u.tenant_id = $1'];
    const args: unknown[] = [q.tenantId];
    if (q.userPrincipalName !== undefined) {
      if (unstorableText(q.userPrincipalName)) return [];
      args.push(q.userPrincipalName.toLowerCase());
      where.push(`u.upn_lower = $${args.length}`);
    }
    if (q.afterId !== undefined) {
      args.push(q.afterId);
      where.push(`u.id > $${args.length}`);
    }
    args.push(q.limit);
    const { rows } = await this.db.query(`${USER_SELECT} WHERE ${where.join(' AND ')} ORDER BY u.id LIMIT $${args.length}`, args);
    return rows.map(toUser);
  }

  /** A taken id or UPN surfaces as ConflictError (unique violation, mapped in database.ts). */
  async insert(u: User, audit: AuditRecord[] = []): Promise<void> {
    await this.db.tx(async (c) => {
      await c.query(
        `INSERT INTO users (id, tenant_id, user_principal_name, upn_lower, display_name, mail, password_hash,
          account_enabled, revocation_epoch, sign_in_sessions_valid_from, refresh_tokens_valid_from, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
        [
          u.id, u.tenantId, u.userPrincipalName, u.userPrincipalName.toLowerCase(), u.displayName, u.mail, u.passwordHash,
          u.accountEnabled, u.revocationEpoch, u.signInSessionsValidFrom, u.refreshTokensValidFrom, u.createdAt,
        ],
      );
      await setRoles(c, u.id, u.roleTemplateIds);
      for (const a of audit) await insertAudit(c, a);
    });
  }

  /**
   * The revoke path (revokeSignInSessions, password reset, disable): the user row is locked
   * first, then the epoch is bumped and both timestamps set with the audit records, in one
   * transaction; the promise resolves after COMMIT, which PostgreSQL makes durable
   * (synchronous_commit on, the default) before it answers — so an answered revoke survives a
   * crash of this process or of the server (DESIGN.md I3).
   */
  async update(
    tenantId: string,
    id: string,
    patch: UserPatch,
    options: { revokeAt?: number; audit: AuditRecord[]; securityEvent?: SecurityEventDraft },
  ): Promise<User | null> {
    const event = options.securityEvent;
    const updated = await this.db.tx(async (c) => {
      const current = await loadUser(c, tenantId, id, 'update');
      if (!current) return null;
      // Captured before the epoch moves: the sessions and grants this change ends.
      if (event) await writeSecurityEvent(c, current, event, { kind: 'user', epoch: current.revocationEpoch });
      const sets: string[] = [];
      const args: unknown[] = [];
      const set = (column: string, value: unknown) => {
        args.push(value);
        sets.push(`${column} = $${args.length}`);
      };
      if (patch.displayName !== undefined) set('display_name', patch.displayName);
      if (patch.userPrincipalName !== undefined) {
        set('user_principal_name', patch.userPrincipalName);
        set('upn_lower', patch.userPrincipalName.toLowerCase());
      }
      if (patch.passwordHash !== undefined) set('password_hash', patch.passwordHash);
      if (patch.accountEnabled !== undefined) set('account_enabled', patch.accountEnabled);
      if (options.revokeAt !== undefined) {
        sets.push('revocation_epoch = revocation_epoch + 1');
        set('sign_in_sessions_valid_from', options.revokeAt);
        set('refresh_tokens_valid_from', options.revokeAt);
      }
      if (sets.length > 0) {
        args.push(tenantId, id);
        await c.query(`UPDATE users SET ${sets.join(', ')} WHERE tenant_id = $${args.length - 1} AND id = $${args.length}`, args);
      }
      if (patch.roleTemplateIds !== undefined) await setRoles(c, id, patch.roleTemplateIds);
      for (const a of options.audit) await insertAudit(c, a);
      return loadUser(c, tenantId, id);
    });
    if (updated && event) this.db.outboxCommitted.fire();
    return updated;
  }

  async delete(tenantId: string, id: string, audit: AuditRecord[], event?: SecurityEventDraft): Promise<boolean> {
    const deleted = await this.db.tx(async (c) => {
      // Lock the user first, in the same order as the revoke path, to keep deadlocks rare.
      const current = await loadUser(c, tenantId, id, 'update');
      if (!current) return false;
      if (event) await writeSecurityEvent(c, current, event, { kind: 'user', epoch: current.revocationEpoch });
      await c.query('DELETE FROM authorization_codes WHERE user_id = $1', [id]);
      await c.query('DELETE FROM device_codes WHERE user_id = $1', [id]);
      await c.query('DELETE FROM users WHERE tenant_id = $1 AND id = $2', [tenantId, id]);
      for (const a of audit) await insertAudit(c, a);
      return true;
    });
    if (deleted && event) this.db.outboxCommitted.fire();
    return deleted;
  }

  async count(tenantId: string): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>('SELECT count(*) AS n FROM users WHERE tenant_id = $1', [tenantId]);
    return rows[0]?.n ?? 0;
  }
}

export class PgApplicationStore implements ApplicationStore {
  constructor(private readonly db: PgDb) {}
  async findByAppId(tenantId: string, appId: string): Promise<Application | null> {
    const { rows } = await this.db.query('SELECT * FROM applications WHERE tenant_id = $1 AND app_id = $2', [tenantId, appId]);
    return rows[0] ? toApplication(rows[0]) : null;
  }
  async list(tenantId: string): Promise<Application[]> {
    const { rows } = await this.db.query('SELECT * FROM applications WHERE tenant_id = $1 ORDER BY app_id', [tenantId]);
    return rows.map(toApplication);
  }
  async upsert(a: Application, audit: AuditRecord[] = []): Promise<void> {
    await this.db.tx(async (c) => {
      await c.query(
        `INSERT INTO applications (app_id, tenant_id, display_name, public_client_redirect_uris, web_redirect_uris,
           spa_redirect_uris, secrets, allow_public_client_flows, delegated_permissions, application_permissions, created_at,
           backchannel_logout, directory_roles)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         ON CONFLICT (app_id) DO UPDATE SET display_name = EXCLUDED.display_name,
           public_client_redirect_uris = EXCLUDED.public_client_redirect_uris, web_redirect_uris = EXCLUDED.web_redirect_uris,
           spa_redirect_uris = EXCLUDED.spa_redirect_uris, secrets = EXCLUDED.secrets,
           allow_public_client_flows = EXCLUDED.allow_public_client_flows,
           delegated_permissions = EXCLUDED.delegated_permissions, application_permissions = EXCLUDED.application_permissions,
           backchannel_logout = EXCLUDED.backchannel_logout, directory_roles = EXCLUDED.directory_roles`,
        [
          a.appId, a.tenantId, a.displayName, JSON.stringify(a.publicClientRedirectUris), JSON.stringify(a.webRedirectUris),
          JSON.stringify(a.spaRedirectUris), JSON.stringify(a.secrets), a.allowPublicClientFlows,
          JSON.stringify(a.delegatedPermissions), JSON.stringify(a.applicationPermissions), a.createdAt,
          a.backchannelLogout ? JSON.stringify(a.backchannelLogout) : null,
          a.directoryRoles && a.directoryRoles.length > 0 ? JSON.stringify(a.directoryRoles) : null,
        ],
      );
      for (const r of audit) await insertAudit(c, r);
    });
  }
}
