import type { AuthorizationCode, DeviceCode, Grant, RefreshTokenRecord, SsoSession } from '../../core/model.js';
import { joinScopes } from '../sqlite/rows.js';

/**
 * SQL of sessions, codes, device codes, grants and refresh tokens that both dialects read alike
 * (the schemas are column for column the same). Locking clauses (FOR UPDATE, FOR SHARE) are
 * PostgreSQL's alone and appended by store/postgres; SQLite serialises writers instead.
 */
export const CREDENTIAL_SQL = {
  insertSession: `INSERT INTO sso_sessions (token_hash, id, tenant_id, user_id, epoch, auth_time, created_at, expires_at, ended_at,
      client_id, client_ip, user_agent, sign_in_method)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  selectSession: 'SELECT * FROM sso_sessions WHERE token_hash = ?',
  endSession: 'UPDATE sso_sessions SET ended_at = ? WHERE token_hash = ? AND ended_at IS NULL',
  insertCode: `INSERT INTO authorization_codes (hash, grant_id, tenant_id, client_id, user_id, session_id, redirect_uri, scopes,
      code_challenge, code_challenge_method, nonce, epoch, auth_time, expires_at, consumed_at, client_capabilities, sign_in_method)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  selectCode: 'SELECT * FROM authorization_codes WHERE hash = ?',
  consumeCode: 'UPDATE authorization_codes SET consumed_at = ? WHERE hash = ?',
  insertDeviceCode: `INSERT INTO device_codes (device_code_hash, user_code_hash, grant_id, tenant_id, client_id, scopes, status, user_id,
      session_id, epoch, auth_time, interval_seconds, expires_at, last_polled_at, consumed_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  selectPendingDeviceCode: `SELECT * FROM device_codes WHERE user_code_hash = ? AND status = 'pending' AND expires_at > ?`,
  /** Only a pending, unexpired code takes a decision; the row count says whether it did. */
  approveDeviceCode: `UPDATE device_codes SET status = 'approved', user_id = ?, session_id = ?, epoch = ?, auth_time = ?
    WHERE user_code_hash = ? AND status = 'pending' AND expires_at > ?`,
  declineDeviceCode: `UPDATE device_codes SET status = 'declined' WHERE user_code_hash = ? AND status = 'pending' AND expires_at > ?`,
  selectDeviceCode: 'SELECT * FROM device_codes WHERE device_code_hash = ?',
  stampDevicePoll: 'UPDATE device_codes SET last_polled_at = ? WHERE device_code_hash = ?',
  consumeDeviceCode: 'UPDATE device_codes SET consumed_at = ? WHERE device_code_hash = ?',
  insertGrant: `INSERT INTO grants (id, tenant_id, user_id, client_id, session_id, scopes, epoch, auth_time, created_at, revoked_at,
      client_capabilities, spa_expires_at, client_ip, user_agent, sign_in_method)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  selectGrant: 'SELECT * FROM grants WHERE id = ?',
  revokeGrant: 'UPDATE grants SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL',
  insertRefreshToken: `INSERT INTO refresh_tokens (hash, grant_id, tenant_id, user_id, client_id, scopes, epoch, issued_at, expires_at,
      consumed_at, client_ip, user_agent)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  selectRefreshToken: 'SELECT * FROM refresh_tokens WHERE hash = ?',
  /** Conditional, so a second consumer finds no row to change even without a row lock. */
  consumeRefreshToken: 'UPDATE refresh_tokens SET consumed_at = ? WHERE hash = ? AND consumed_at IS NULL',
} as const;

/** The bound values of the INSERTs above, in their column order. */
export const sessionArgs = (x: SsoSession): unknown[] => [
  x.tokenHash,
  x.id,
  x.tenantId,
  x.userId,
  x.epoch,
  x.authTime,
  x.createdAt,
  x.expiresAt,
  x.endedAt,
  x.clientId ?? null,
  x.clientIp ?? null,
  x.userAgent ?? null,
  x.signInMethod ?? null,
];

export const codeArgs = (c: AuthorizationCode): unknown[] => [
  c.hash,
  c.grantId,
  c.tenantId,
  c.clientId,
  c.userId,
  c.sessionId,
  c.redirectUri,
  joinScopes(c.scopes),
  c.codeChallenge,
  c.codeChallengeMethod,
  c.nonce,
  c.epoch,
  c.authTime,
  c.expiresAt,
  c.consumedAt,
  joinScopes(c.clientCapabilities ?? []),
  c.signInMethod ?? null,
];

export const deviceCodeArgs = (d: DeviceCode): unknown[] => [
  d.deviceCodeHash,
  d.userCodeHash,
  d.grantId,
  d.tenantId,
  d.clientId,
  joinScopes(d.scopes),
  d.status,
  d.userId,
  d.sessionId,
  d.epoch,
  d.authTime,
  d.interval,
  d.expiresAt,
  d.lastPolledAt,
  d.consumedAt,
];

export const grantArgs = (g: Grant): unknown[] => [
  g.id,
  g.tenantId,
  g.userId,
  g.clientId,
  g.sessionId,
  joinScopes(g.scopes),
  g.epoch,
  g.authTime,
  g.createdAt,
  g.revokedAt,
  joinScopes(g.clientCapabilities ?? []),
  g.spaExpiresAt ?? null,
  g.clientIp ?? null,
  g.userAgent ?? null,
  g.signInMethod ?? null,
];

export const refreshTokenArgs = (t: RefreshTokenRecord): unknown[] => [
  t.hash,
  t.grantId,
  t.tenantId,
  t.userId,
  t.clientId,
  joinScopes(t.scopes),
  t.epoch,
  t.issuedAt,
  t.expiresAt,
  t.consumedAt,
  t.clientIp ?? null,
  t.userAgent ?? null,
];
