import type { PurgeKind } from '../store.js';

/**
 * The bounded deletes of retention (core/retention.ts decides the cutoffs), the same in both
 * dialects: each picks at most `limit` keys in a subquery, so one statement never holds the write
 * lock for long. `args(cutoff, limit)` gives the values in placeholder order.
 */
export const PURGE_SQL: Readonly<Record<PurgeKind, { sql: string; args: (cutoff: number, limit: number) => unknown[] }>> = {
  signIns: {
    sql: 'DELETE FROM sign_ins WHERE id IN (SELECT id FROM sign_ins WHERE created_at < ? LIMIT ?)',
    args: (c, l) => [c, l],
  },
  authorizationCodes: {
    sql: 'DELETE FROM authorization_codes WHERE hash IN (SELECT hash FROM authorization_codes WHERE expires_at < ? LIMIT ?)',
    args: (c, l) => [c, l],
  },
  deviceCodes: {
    sql: 'DELETE FROM device_codes WHERE device_code_hash IN (SELECT device_code_hash FROM device_codes WHERE expires_at < ? LIMIT ?)',
    args: (c, l) => [c, l],
  },
  // Expired, consumed or not: no longer redeemable. An unexpired consumed token stays, because
  // presenting it again is what reveals a leaked family (RFC 9700 §4.14.2, GrantStore.rotate).
  refreshTokens: {
    sql: 'DELETE FROM refresh_tokens WHERE hash IN (SELECT hash FROM refresh_tokens WHERE expires_at < ? LIMIT ?)',
    args: (c, l) => [c, l],
  },
  // The tokens of grants revoked before the cutoff, in batches, before their grant goes.
  revokedGrantTokens: {
    sql: `DELETE FROM refresh_tokens WHERE hash IN (SELECT rt.hash FROM refresh_tokens rt JOIN grants g ON g.id = rt.grant_id
      WHERE g.revoked_at < ? LIMIT ?)`,
    args: (c, l) => [c, l],
  },
  // A grant with no refresh token left, revoked or started before the cutoff: every token it issued has expired.
  grants: {
    sql: `DELETE FROM grants WHERE id IN (SELECT g.id FROM grants g WHERE (g.revoked_at < ? OR g.created_at < ?)
      AND NOT EXISTS (SELECT 1 FROM refresh_tokens rt WHERE rt.grant_id = g.id) LIMIT ?)`,
    args: (c, l) => [c, c, l],
  },
  sessions: {
    sql: 'DELETE FROM sso_sessions WHERE token_hash IN (SELECT token_hash FROM sso_sessions WHERE ended_at < ? OR expires_at < ? LIMIT ?)',
    args: (c, l) => [c, c, l],
  },
  // Withdrawn keys only (retired_at set: neither published nor accepted), never the newest key.
  signingKeys: {
    sql: `DELETE FROM signing_keys WHERE kid IN (SELECT kid FROM signing_keys WHERE retired_at < ?
      AND kid <> (SELECT kid FROM signing_keys ORDER BY COALESCE(activates_at, created_at) DESC, created_at DESC, kid DESC LIMIT 1) LIMIT ?)`,
    args: (c, l) => [c, l],
  },
};
