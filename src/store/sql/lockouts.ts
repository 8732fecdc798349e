/**
 * Lockout SQL both dialects read alike. The read-modify-write differs and stays in the adapters:
 * SQLite reads and upserts inside BEGIN IMMEDIATE; PostgreSQL makes sure the row exists, locks it
 * FOR UPDATE and updates it, so concurrent failures for one subject serialise across instances.
 */
export const LOCKOUT_SQL = {
  selectLive: 'SELECT * FROM lockouts WHERE key = ? AND expires_at > ?',
  clear: 'DELETE FROM lockouts WHERE key = ?',
} as const;

/** Expired rows deleted per update: enough to outpace inserts, small enough to cost nothing. */
const PRUNE_BATCH = 16;

/** A few expired rows of other subjects go with each update, so the table stays bounded. */
export const pruneLockoutsSql = (skipLocked: '' | ' FOR UPDATE SKIP LOCKED'): string =>
  `DELETE FROM lockouts WHERE key IN (SELECT key FROM lockouts WHERE expires_at <= ? AND key <> ? LIMIT ${PRUNE_BATCH}${skipLocked})`;
