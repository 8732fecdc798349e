import type {
  Application,
  AuditRecord,
  AuthorizationCode,
  DeviceCode,
  Grant,
  RefreshTokenRecord,
  SigningKey,
  SsoSession,
  User,
} from '../../core/model.js';
import { applicationResourceFields } from '../sql/directory.js';

/** Row shapes as SQLite returns them, and their mapping to domain records. */
type Row = Record<string, unknown>;

const str = (v: unknown): string => v as string;
const num = (v: unknown): number => v as number;
const optNum = (v: unknown): number | null => (v === null || v === undefined ? null : (v as number));
const optStr = (v: unknown): string | null => (v === null || v === undefined ? null : (v as string));
export const splitScopes = (v: unknown): string[] => (v ? str(v).split(' ').filter(Boolean) : []);
export const joinScopes = (s: readonly string[]): string => s.join(' ');

/**
 * The optional inventory columns of migration 100 (docs/sessions.md), set on a record only when
 * the row has them: records written without them read back exactly as they were written.
 */
function inventoryOf(r: Row, columns: Record<string, string>): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const [field, column] of Object.entries(columns)) {
    const v = r[column];
    if (v !== null && v !== undefined) out[field] = v as string | number;
  }
  return out;
}
const CONTEXT_COLUMNS = { clientIp: 'client_ip', userAgent: 'user_agent' };

/** Selects a user with its role assignments folded into one column. */
export const USER_SELECT = `SELECT u.*, (SELECT group_concat(role_template_id, ',') FROM role_assignments r WHERE r.user_id = u.id) AS roles FROM users u`;

export function toUser(r: Row): User {
  return {
    id: str(r.id),
    tenantId: str(r.tenant_id),
    userPrincipalName: str(r.user_principal_name),
    displayName: str(r.display_name),
    mail: optStr(r.mail),
    passwordHash: optStr(r.password_hash),
    accountEnabled: num(r.account_enabled) === 1,
    revocationEpoch: num(r.revocation_epoch),
    signInSessionsValidFrom: optNum(r.sign_in_sessions_valid_from),
    refreshTokensValidFrom: optNum(r.refresh_tokens_valid_from),
    roleTemplateIds: r.roles ? str(r.roles).split(',').sort() : [],
    createdAt: num(r.created_at),
  };
}

export function toApplication(r: Row): Application {
  return {
    appId: str(r.app_id),
    tenantId: str(r.tenant_id),
    displayName: str(r.display_name),
    publicClientRedirectUris: JSON.parse(str(r.public_client_redirect_uris)),
    webRedirectUris: JSON.parse(str(r.web_redirect_uris)),
    spaRedirectUris: JSON.parse(str(r.spa_redirect_uris)),
    secrets: JSON.parse(str(r.secrets)),
    allowPublicClientFlows: num(r.allow_public_client_flows) === 1,
    delegatedPermissions: JSON.parse(str(r.delegated_permissions)),
    applicationPermissions: JSON.parse(str(r.application_permissions)),
    createdAt: num(r.created_at),
    backchannelLogout: r.backchannel_logout ? JSON.parse(str(r.backchannel_logout)) : null,
    directoryRoles: r.directory_roles ? JSON.parse(str(r.directory_roles)) : [],
    ...applicationResourceFields(r),
  };
}

export function toSession(r: Row): SsoSession {
  return {
    id: str(r.id),
    tokenHash: str(r.token_hash),
    tenantId: str(r.tenant_id),
    userId: str(r.user_id),
    epoch: num(r.epoch),
    authTime: num(r.auth_time),
    createdAt: num(r.created_at),
    expiresAt: num(r.expires_at),
    endedAt: optNum(r.ended_at),
    ...inventoryOf(r, { ...CONTEXT_COLUMNS, clientId: 'client_id', signInMethod: 'sign_in_method', lastUsedAt: 'last_used_at' }),
  };
}

export function toGrant(r: Row): Grant {
  return {
    id: str(r.id),
    tenantId: str(r.tenant_id),
    userId: str(r.user_id),
    clientId: str(r.client_id),
    sessionId: optStr(r.session_id),
    scopes: splitScopes(r.scopes),
    epoch: num(r.epoch),
    authTime: num(r.auth_time),
    createdAt: num(r.created_at),
    revokedAt: optNum(r.revoked_at),
    clientCapabilities: splitScopes(r.client_capabilities),
    ...inventoryOf(r, { ...CONTEXT_COLUMNS, signInMethod: 'sign_in_method' }),
  };
}

export function toRefreshToken(r: Row): RefreshTokenRecord {
  return {
    hash: str(r.hash),
    grantId: str(r.grant_id),
    tenantId: str(r.tenant_id),
    userId: str(r.user_id),
    clientId: str(r.client_id),
    scopes: splitScopes(r.scopes),
    epoch: num(r.epoch),
    issuedAt: num(r.issued_at),
    expiresAt: num(r.expires_at),
    consumedAt: optNum(r.consumed_at),
    ...inventoryOf(r, CONTEXT_COLUMNS),
  };
}

export function toCode(r: Row): AuthorizationCode {
  return {
    hash: str(r.hash),
    grantId: str(r.grant_id),
    tenantId: str(r.tenant_id),
    clientId: str(r.client_id),
    userId: str(r.user_id),
    sessionId: str(r.session_id),
    redirectUri: str(r.redirect_uri),
    scopes: splitScopes(r.scopes),
    codeChallenge: optStr(r.code_challenge),
    codeChallengeMethod: optStr(r.code_challenge_method) as AuthorizationCode['codeChallengeMethod'],
    nonce: optStr(r.nonce),
    epoch: num(r.epoch),
    authTime: num(r.auth_time),
    expiresAt: num(r.expires_at),
    consumedAt: optNum(r.consumed_at),
    clientCapabilities: splitScopes(r.client_capabilities),
    ...inventoryOf(r, { signInMethod: 'sign_in_method' }),
  };
}

export function toDeviceCode(r: Row): DeviceCode {
  return {
    deviceCodeHash: str(r.device_code_hash),
    userCodeHash: str(r.user_code_hash),
    grantId: str(r.grant_id),
    tenantId: str(r.tenant_id),
    clientId: str(r.client_id),
    scopes: splitScopes(r.scopes),
    status: str(r.status) as DeviceCode['status'],
    userId: optStr(r.user_id),
    sessionId: optStr(r.session_id),
    epoch: optNum(r.epoch),
    authTime: optNum(r.auth_time),
    interval: num(r.interval_seconds),
    expiresAt: num(r.expires_at),
    lastPolledAt: optNum(r.last_polled_at),
    consumedAt: optNum(r.consumed_at),
  };
}

export function toAudit(r: Row): AuditRecord {
  return {
    id: str(r.id),
    tenantId: str(r.tenant_id),
    activityDateTime: num(r.activity_date_time),
    activityDisplayName: str(r.activity_display_name),
    category: str(r.category),
    loggedByService: str(r.logged_by_service),
    operationType: str(r.operation_type),
    result: str(r.result) as AuditRecord['result'],
    resultReason: str(r.result_reason),
    correlationId: str(r.correlation_id),
    initiatedBy: JSON.parse(str(r.initiated_by)),
    targetResources: JSON.parse(str(r.target_resources)),
  };
}

export function toSigningKey(r: Row): SigningKey {
  return {
    kid: str(r.kid),
    alg: 'RS256',
    privateKeyPem: str(r.private_key_pem),
    publicJwk: JSON.parse(str(r.public_jwk)),
    createdAt: num(r.created_at),
    // NULL: a key from before activation times (or from an older writer) signed from its creation.
    activatesAt: optNum(r.activates_at) ?? num(r.created_at),
    retiredAt: optNum(r.retired_at),
  };
}
