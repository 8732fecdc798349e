import { rotationFirstLook, rotationVerdict, type Rotated } from '../../core/credential-verdicts.js';
import type { Grant, RefreshTokenRecord } from '../../core/model.js';
import { refreshTokenArgs } from '../sql/credentials.js';
import { isRetryable, type PgDb } from './database.js';
import { USER_ROLES_COLUMN, toGrant, toRefreshToken, toUser } from './rows.js';

/**
 * Refresh-token rotation in two statements and no explicit transaction when nothing stands in
 * its way, which is nearly every refresh; the locking transaction (credentials.ts
 * `PgGrantStore.rotate`) took seven round trips (BEGIN, three locking reads, consume, insert,
 * COMMIT) and stays the path for everything else.
 *
 * 1. `READ`, no locks: the token, its grant and its user in one join. The verdicts of
 *    core/credential-verdicts.ts run on them; anything but a clean pass returns null, and the
 *    caller runs the locking transaction, which decides refusals exactly as before.
 * 2. `CONSUME_AND_INSERT`, one statement that commits on its own (a compare-and-set): it locks the
 *    grant and the user FOR SHARE only if they still say what the verdict relied on (grant not
 *    revoked, account enabled, epoch = the token's), consumes the token only if it is still
 *    unconsumed, and inserts the successor only if that consume changed the row. Under READ
 *    COMMITTED a row lock that had to wait re-reads the newest version of the row and checks the
 *    condition again (https://www.postgresql.org/docs/current/transaction-iso.html#XACT-READ-COMMITTED),
 *    so a revoke that committed first (FOR NO KEY UPDATE on the user, directory.ts) is seen and
 *    nothing is written, and a revoke that comes later waits for this statement's commit: the
 *    order the transaction's FOR SHARE reads give (I1, I4 in docs/revocation-model.md). A family
 *    revoke (FOR UPDATE on the grant) and a concurrent rotation of the same token (the row lock
 *    of the UPDATE) are ordered the same way. Nothing inserted: the caller runs the locking
 *    transaction, which finds out why (consumed, revoked, ...).
 *
 * The token, grant and user attributes the verdict reads besides those three are fixed when the
 * rows are created (client, expiry, SPA lifetime), so the unlocked read is as good as a locked one
 * for them.
 */
const READ = `SELECT t.*, NULL AS "|grant", g.*, NULL AS "|user", u.*, ${USER_ROLES_COLUMN}
  FROM refresh_tokens t
  LEFT JOIN grants g ON g.id = t.grant_id
  LEFT JOIN users u ON u.tenant_id = t.tenant_id AND u.id = t.user_id
  WHERE t.hash = $1`;

/** $1-$12 the successor (refreshTokenArgs' order), then the presented token's facts. */
const CONSUME_AND_INSERT = `WITH live AS (
    SELECT 1 FROM grants g, users u
    WHERE g.id = $13 AND g.revoked_at IS NULL
      AND u.tenant_id = $14 AND u.id = $15 AND u.account_enabled AND u.revocation_epoch = $16
    FOR SHARE OF g, u
  ), consumed AS (
    UPDATE refresh_tokens SET consumed_at = $17 WHERE hash = $18 AND consumed_at IS NULL AND EXISTS (SELECT 1 FROM live)
    RETURNING hash
  )
  INSERT INTO refresh_tokens (hash, grant_id, tenant_id, user_id, client_id, scopes, epoch, issued_at, expires_at,
      consumed_at, client_ip, user_agent)
  SELECT $1::text, $2::text, $3::text, $4::text, $5::text, $6::text, $7::bigint, $8::bigint, $9::bigint,
      $10::bigint, $11::text, $12::text
  FROM consumed`;

/** Splits one array-mode row of READ at its marker columns into the three tables' rows. */
function split(fields: readonly { name: string }[], row: readonly unknown[]): Record<string, unknown>[] {
  const parts: Record<string, unknown>[] = [{}];
  fields.forEach((f, i) => {
    if (f.name === '|grant' || f.name === '|user') parts.push({});
    else (parts[parts.length - 1] as Record<string, unknown>)[f.name] = row[i];
  });
  return parts;
}

/**
 * The rotation when the token, its grant and its user all let it through, or null: the caller
 * then runs the locking transaction (which also handles reuse, refusals and races).
 */
export async function rotateWithoutTransaction(
  db: PgDb,
  hash: string,
  clientId: string,
  now: number,
  next: (current: RefreshTokenRecord, grant: Grant) => RefreshTokenRecord,
  graceMs: number,
  crossOrigin: boolean,
): Promise<Rotated | null> {
  const read = await db.statement({ name: 'portcullis-rotate-read', text: READ, values: [hash], rowMode: 'array' });
  const row = read.rows[0];
  if (!row) return null;
  const [t, g, u] = split(read.fields, row) as [Record<string, unknown>, Record<string, unknown>, Record<string, unknown>];
  const token = toRefreshToken(t);
  if (rotationFirstLook(token, clientId, now, graceMs).refuse || g.id === null || u.id === null) return null;
  const grant = toGrant(g);
  const user = toUser(u);
  if (rotationVerdict(token, grant, user, now, crossOrigin)) return null;
  const nextToken = next(token, grant);
  try {
    const wrote = await db.statement({
      name: 'portcullis-rotate',
      text: CONSUME_AND_INSERT,
      values: [...refreshTokenArgs(nextToken), token.grantId, token.tenantId, token.userId, token.epoch, now, hash],
    });
    if (wrote.rowCount !== 1) return null;
  } catch (e) {
    // A deadlock with another writer: the locking transaction retries (database.ts tx).
    if (isRetryable(e)) return null;
    throw e;
  }
  return { ok: true, record: { ...token, consumedAt: now }, user, grant, next: nextToken };
}
