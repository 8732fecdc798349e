import type { Application, User } from '../../core/model.js';
import type { UserPatch } from '../store.js';
import { columnsEqual } from './placeholders.js';

/**
 * SQL of tenants, users and applications that both dialects read alike. What differs stays in the
 * adapters: the user SELECT (group_concat vs string_agg), row locks, and how a boolean is bound
 * (SQLite INTEGER 0/1, PostgreSQL BOOLEAN; see `Flag`).
 */
export const DIRECTORY_SQL = {
  selectTenant: 'SELECT * FROM tenants ORDER BY created_at LIMIT 1',
  insertTenant: 'INSERT INTO tenants (id, domain, display_name, created_at) VALUES (?, ?, ?, ?)',
  updateTenant: 'UPDATE tenants SET domain = ?, display_name = ? WHERE id = ?',
  insertUser: `INSERT INTO users (id, tenant_id, user_principal_name, upn_lower, display_name, mail, password_hash,
      account_enabled, revocation_epoch, sign_in_sessions_valid_from, refresh_tokens_valid_from, created_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  /** The revoke: one statement bumps the epoch and sets both valid-from stamps to the same instant. */
  revokeUser: `UPDATE users SET revocation_epoch = revocation_epoch + 1, sign_in_sessions_valid_from = ?, refresh_tokens_valid_from = ?
    WHERE tenant_id = ? AND id = ?`,
  userExists: 'SELECT 1 FROM users WHERE tenant_id = ? AND id = ?',
  deleteRoles: 'DELETE FROM role_assignments WHERE user_id = ?',
  insertRole: 'INSERT INTO role_assignments (user_id, role_template_id) VALUES (?, ?)',
  /** Credentials first on delete: codes and device codes reference the user without a grant row. */
  deleteUserCodes: 'DELETE FROM authorization_codes WHERE user_id = ?',
  deleteUserDeviceCodes: 'DELETE FROM device_codes WHERE user_id = ?',
  /** A deleted user leaves every group (members have no foreign key: a member is a user or a group). */
  deleteUserMemberships: 'DELETE FROM group_members WHERE member_id = ?',
  deleteUser: 'DELETE FROM users WHERE tenant_id = ? AND id = ?',
  countUsers: 'SELECT count(*) AS n FROM users WHERE tenant_id = ?',
  selectApplication: 'SELECT * FROM applications WHERE tenant_id = ? AND app_id = ?',
  selectApplicationById: 'SELECT * FROM applications WHERE tenant_id = ? AND object_id = ?',
  listApplications: 'SELECT * FROM applications WHERE tenant_id = ? ORDER BY app_id',
  /** Keyset paging by appId (Graph $top / $skiptoken). */
  listApplicationsAfter: 'SELECT * FROM applications WHERE tenant_id = ? AND app_id > ? ORDER BY app_id LIMIT ?',
  listApplicationsFirst: 'SELECT * FROM applications WHERE tenant_id = ? ORDER BY app_id LIMIT ?',
  deleteApplication: 'DELETE FROM applications WHERE tenant_id = ? AND app_id = ?',
  /** The object id is written once, on insert: an upsert of an existing app never changes it. */
  upsertApplication: `INSERT INTO applications (app_id, tenant_id, display_name, public_client_redirect_uris, web_redirect_uris,
      spa_redirect_uris, secrets, allow_public_client_flows, delegated_permissions, application_permissions, created_at,
      backchannel_logout, directory_roles, identifier_uris, api, app_roles, required_resource_access, resource_grants, object_id)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (app_id) DO UPDATE SET display_name = excluded.display_name,
      public_client_redirect_uris = excluded.public_client_redirect_uris, web_redirect_uris = excluded.web_redirect_uris,
      spa_redirect_uris = excluded.spa_redirect_uris, secrets = excluded.secrets,
      allow_public_client_flows = excluded.allow_public_client_flows,
      delegated_permissions = excluded.delegated_permissions, application_permissions = excluded.application_permissions,
      backchannel_logout = excluded.backchannel_logout, directory_roles = excluded.directory_roles,
      identifier_uris = excluded.identifier_uris, api = excluded.api, app_roles = excluded.app_roles,
      required_resource_access = excluded.required_resource_access, resource_grants = excluded.resource_grants`,
  /** An upsert rewrites the app's identifier URIs; the primary key (tenant, lower-cased URI) keeps each on one app. */
  deleteIdentifierUris: 'DELETE FROM application_identifier_uris WHERE tenant_id = ? AND app_id = ?',
  insertIdentifierUri: 'INSERT INTO application_identifier_uris (tenant_id, uri_key, uri, app_id, position) VALUES (?, ?, ?, ?, ?)',
  identifierUriOwner: 'SELECT app_id FROM application_identifier_uris WHERE tenant_id = ? AND uri_key = ?',
  selectApplicationByIdentifierUri: `SELECT a.* FROM applications a
    JOIN application_identifier_uris u ON u.app_id = a.app_id AND u.tenant_id = a.tenant_id
    WHERE u.tenant_id = ? AND u.uri_key = ?`,
} as const;

/** Identifier URIs compare case-insensitively: the key they are unique and found by. */
export const identifierUriKey = (uri: string): string => uri.toLowerCase();

/** A JSON column that is NULL when the list is absent or empty (so older rows and new ones read alike). */
const jsonList = (list: readonly unknown[] | undefined): string | null => (list && list.length > 0 ? JSON.stringify(list) : null);

/** How the adapter binds a boolean column: SQLite 1/0, PostgreSQL true/false. */
export type Flag = (b: boolean) => unknown;

export const userArgs = (u: User, flag: Flag): unknown[] => [
  u.id,
  u.tenantId,
  u.userPrincipalName,
  u.userPrincipalName.toLowerCase(),
  u.displayName,
  u.mail,
  u.passwordHash,
  flag(u.accountEnabled),
  u.revocationEpoch,
  u.signInSessionsValidFrom,
  u.refreshTokensValidFrom,
  u.createdAt,
];

export const applicationArgs = (a: Application, flag: Flag): unknown[] => [
  a.appId,
  a.tenantId,
  a.displayName,
  JSON.stringify(a.publicClientRedirectUris),
  JSON.stringify(a.webRedirectUris),
  JSON.stringify(a.spaRedirectUris),
  JSON.stringify(a.secrets),
  flag(a.allowPublicClientFlows),
  JSON.stringify(a.delegatedPermissions),
  JSON.stringify(a.applicationPermissions),
  a.createdAt,
  a.backchannelLogout ? JSON.stringify(a.backchannelLogout) : null,
  jsonList(a.directoryRoles),
  jsonList(a.identifierUris),
  a.api ? JSON.stringify(a.api) : null,
  jsonList(a.appRoles),
  jsonList(a.requiredResourceAccess),
  jsonList(a.resourceGrants),
  a.id ?? a.appId,
];

/** The columns an application row holds beyond its fixed ones, read alike by both dialects. */
export function applicationResourceFields(
  r: Record<string, unknown>,
): Pick<Application, 'id' | 'identifierUris' | 'api' | 'appRoles' | 'requiredResourceAccess' | 'resourceGrants'> {
  const list = <T>(v: unknown): T[] => (typeof v === 'string' && v !== '' ? (JSON.parse(v) as T[]) : []);
  return {
    id: typeof r.object_id === 'string' && r.object_id !== '' ? r.object_id : String(r.app_id),
    identifierUris: list(r.identifier_uris),
    api: typeof r.api === 'string' && r.api !== '' ? JSON.parse(r.api) : { requestedAccessTokenVersion: null, oauth2PermissionScopes: [] },
    appRoles: list(r.app_roles),
    requiredResourceAccess: list(r.required_resource_access),
    resourceGrants: list(r.resource_grants),
  };
}

/**
 * The UPDATE of users.update: the patched columns and, with `revokeAt`, the revoke's three (see
 * `revokeUser`); null when the patch changes no column (roles alone), and then the adapter checks
 * that the user exists with `userExists`.
 */
export function userUpdate(
  tenantId: string,
  id: string,
  patch: UserPatch,
  revokeAt: number | undefined,
  flag: Flag,
): { sql: string; args: unknown[] } | null {
  const { parts, args } = columnsEqual([
    ['display_name', patch.displayName],
    ['user_principal_name', patch.userPrincipalName],
    ['upn_lower', patch.userPrincipalName?.toLowerCase()],
    ['password_hash', patch.passwordHash],
    ['account_enabled', patch.accountEnabled === undefined ? undefined : flag(patch.accountEnabled)],
  ]);
  // With a revoke, the same statement moves the epoch and both valid-from stamps (see revokeUser).
  const sets =
    revokeAt === undefined
      ? parts
      : [...parts, 'revocation_epoch = revocation_epoch + 1', 'sign_in_sessions_valid_from = ?', 'refresh_tokens_valid_from = ?'];
  if (sets.length === 0) return null;
  const values = revokeAt === undefined ? args : [...args, revokeAt, revokeAt];
  return { sql: `UPDATE users SET ${sets.join(', ')} WHERE tenant_id = ? AND id = ?`, args: [...values, tenantId, id] };
}

/** A patch with nothing but a revoke goes through the revoke path (UserStore.revoke). */
export const isPureRevoke = (patch: UserPatch, revokeAt: number | undefined): revokeAt is number =>
  revokeAt !== undefined && Object.keys(patch).length === 0;
