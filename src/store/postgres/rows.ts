import type { Application, User } from '../../core/model.js';
import { applicationResourceFields } from '../sql/directory.js';

/**
 * Row mapping for PostgreSQL. The schema mirrors SQLite's (same column names; BIGINT parsed to
 * number by the pool; JSON kept as TEXT), so the credential, audit and key mappers are shared
 * with store/sqlite/rows.ts; only the two tables with BOOLEAN flags map differently.
 */
export {
  joinScopes,
  toAudit,
  toCode,
  toDeviceCode,
  toGrant,
  toRefreshToken,
  toSession,
  toSigningKey,
} from '../sqlite/rows.js';

type Row = Record<string, unknown>;

/** The user's role assignments folded into one column, for a query that reads `users u`. */
export const USER_ROLES_COLUMN = `(SELECT string_agg(r.role_template_id, ',') FROM role_assignments r WHERE r.user_id = u.id) AS roles`;
/** A user with its role assignments folded into one column; `$where` is appended by callers. */
export const USER_SELECT = `SELECT u.*, ${USER_ROLES_COLUMN} FROM users u`;

const optNum = (v: unknown): number | null => (v === null || v === undefined ? null : (v as number));
const optStr = (v: unknown): string | null => (v === null || v === undefined ? null : (v as string));

export function toUser(r: Row): User {
  return {
    id: r.id as string,
    tenantId: r.tenant_id as string,
    userPrincipalName: r.user_principal_name as string,
    displayName: r.display_name as string,
    mail: optStr(r.mail),
    passwordHash: optStr(r.password_hash),
    accountEnabled: r.account_enabled === true,
    revocationEpoch: r.revocation_epoch as number,
    signInSessionsValidFrom: optNum(r.sign_in_sessions_valid_from),
    refreshTokensValidFrom: optNum(r.refresh_tokens_valid_from),
    roleTemplateIds: r.roles ? (r.roles as string).split(',').sort() : [],
    createdAt: r.created_at as number,
  };
}

export function toApplication(r: Row): Application {
  return {
    appId: r.app_id as string,
    tenantId: r.tenant_id as string,
    displayName: r.display_name as string,
    publicClientRedirectUris: JSON.parse(r.public_client_redirect_uris as string),
    webRedirectUris: JSON.parse(r.web_redirect_uris as string),
    spaRedirectUris: JSON.parse(r.spa_redirect_uris as string),
    secrets: JSON.parse(r.secrets as string),
    allowPublicClientFlows: r.allow_public_client_flows === true,
    delegatedPermissions: JSON.parse(r.delegated_permissions as string),
    applicationPermissions: JSON.parse(r.application_permissions as string),
    createdAt: r.created_at as number,
    backchannelLogout: r.backchannel_logout ? JSON.parse(r.backchannel_logout as string) : null,
    directoryRoles: r.directory_roles ? JSON.parse(r.directory_roles as string) : [],
    ...applicationResourceFields(r),
  };
}
