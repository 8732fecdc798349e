import { rotationFirstLook, rotationVerdict, type Rotated } from '../../core/credential-verdicts.js';
import type { Grant, RefreshTokenRecord } from '../../core/model.js';
import { refreshTokenArgs } from '../sql/credentials.js';
import { StatementBatcher, type Waiter } from './batcher.js';
import { type RotationAsk, StoreUnavailableError } from '../store.js';
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
 * then runs the locking transaction (which also handles reuse, refusals and races). One rotation
 * alone; RotationGroupCommit below runs concurrent ones together and falls back to this.
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

/** READ for many tokens at once. */
const READ_MANY = READ.replace('WHERE t.hash = $1', 'WHERE t.hash = ANY($1::text[])');

/**
 * CONSUME_AND_INSERT for many rotations in one statement, one row of `input` per rotation: the
 * successor's columns, then the presented token's facts. Each row keeps its own conditions: its
 * grant and user are locked FOR SHARE only if they still allow it (`live`, in the users' id order,
 * the order UserStore.revokeMany locks them in), its token is consumed only if still unconsumed
 * and only if its row is live, and its successor is inserted only if that consume changed the
 * row. The successors' hashes come back: a rotation whose successor is not among them stored
 * nothing.
 */
const CONSUME_AND_INSERT_MANY = `WITH input AS MATERIALIZED (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::bigint[],
        $9::bigint[], $10::bigint[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::bigint[], $17::bigint[], $18::text[])
      AS i(hash, grant_id, tenant_id, user_id, client_id, scopes, epoch, issued_at, expires_at, consumed_at, client_ip, user_agent,
        old_grant_id, old_tenant_id, old_user_id, old_epoch, now, old_hash)
  ), live AS MATERIALIZED (
    SELECT i.old_hash FROM input i
      JOIN grants g ON g.id = i.old_grant_id
      JOIN users u ON u.tenant_id = i.old_tenant_id AND u.id = i.old_user_id
    WHERE g.revoked_at IS NULL AND u.account_enabled AND u.revocation_epoch = i.old_epoch
    ORDER BY u.id, g.id
    FOR SHARE OF g, u
  ), consumed AS (
    UPDATE refresh_tokens t SET consumed_at = i.now FROM input i
    WHERE t.hash = i.old_hash AND t.consumed_at IS NULL AND i.old_hash IN (SELECT old_hash FROM live)
    RETURNING t.hash
  )
  INSERT INTO refresh_tokens (hash, grant_id, tenant_id, user_id, client_id, scopes, epoch, issued_at, expires_at,
      consumed_at, client_ip, user_agent)
  SELECT i.hash, i.grant_id, i.tenant_id, i.user_id, i.client_id, i.scopes, i.epoch, i.issued_at, i.expires_at,
      i.consumed_at, i.client_ip, i.user_agent
  FROM input i JOIN consumed c ON c.hash = i.old_hash
  RETURNING hash`;

/** Column arrays for CONSUME_AND_INSERT_MANY, from the rows' argument lists. */
function columns(rows: readonly unknown[][], width: number): unknown[][] {
  return Array.from({ length: width }, (_, k) => rows.map((r) => r[k]));
}

/**
 * Group commit of refresh-token rotations (like the SQLite store's, src/store/sqlite/group-commit.ts):
 * the rotations asked while the previous batches are on their way share one READ_MANY and one
 * CONSUME_AND_INSERT_MANY, i.e. one commit (one WAL flush) and two round trips for the whole
 * batch, and each caller is answered after that statement committed. What one rotation gets is
 * what rotateWithoutTransaction would give it:
 * - a token that is not a clean pass (unknown, refused, a grant or user that does not allow it,
 *   the same token twice in one batch) gets null at once, and the caller runs the locking
 *   transaction as before;
 * - a row the write did not store (lost race, revoke committed meanwhile) gets null;
 * - if the write fails, no row of it was stored (one statement); unless the database is
 *   unavailable (then every rotation would fail alike), each rotation runs again on its own
 *   (rotateWithoutTransaction), so one row's failure fails that rotation only.
 */
export class RotationGroupCommit {
  private readonly batcher: StatementBatcher<RotationAsk, Rotated | null>;

  constructor(
    private readonly db: PgDb,
    maxInFlight = 2,
  ) {
    this.batcher = new StatementBatcher((batch) => this.run(batch), maxInFlight);
  }

  rotate(ask: RotationAsk): Promise<Rotated | null> {
    return this.batcher.submit(ask);
  }

  private alone(w: Waiter<RotationAsk, Rotated | null>): void {
    const a = w.ask;
    rotateWithoutTransaction(this.db, a.hash, a.clientId, a.now, a.next, a.graceMs, a.crossOrigin).then(w.resolve, w.reject);
  }

  private async run(batch: Waiter<RotationAsk, Rotated | null>[]): Promise<void> {
    const read = await this.db.statement({
      name: 'portcullis-rotate-read-many',
      text: READ_MANY,
      values: [[...new Set(batch.map((w) => w.ask.hash))]],
      rowMode: 'array',
    });
    const found = new Map<string, Record<string, unknown>[]>();
    for (const row of read.rows) {
      const parts = split(read.fields, row);
      found.set(parts[0]?.hash as string, parts);
    }
    const writes: { w: Waiter<RotationAsk, Rotated | null>; done: Rotated & { ok: true } }[] = [];
    const taken = new Set<string>();
    for (const w of batch) {
      const a = w.ask;
      const parts = found.get(a.hash);
      if (!parts || taken.has(a.hash)) {
        w.resolve(null);
        continue;
      }
      const [t, g, u] = parts as [Record<string, unknown>, Record<string, unknown>, Record<string, unknown>];
      const token = toRefreshToken(t);
      if (rotationFirstLook(token, a.clientId, a.now, a.graceMs).refuse || g.id === null || u.id === null) {
        w.resolve(null);
        continue;
      }
      const grant = toGrant(g);
      const user = toUser(u);
      if (rotationVerdict(token, grant, user, a.now, a.crossOrigin)) {
        w.resolve(null);
        continue;
      }
      let nextToken: RefreshTokenRecord;
      try {
        nextToken = a.next(token, grant);
      } catch (e) {
        w.reject(e);
        continue;
      }
      taken.add(a.hash);
      writes.push({ w, done: { ok: true, record: { ...token, consumedAt: a.now }, user, grant, next: nextToken } });
    }
    if (writes.length === 0) return;
    let stored: Set<string>;
    try {
      const rows = writes.map(({ done, w }) => [
        ...refreshTokenArgs(done.next),
        done.record.grantId,
        done.record.tenantId,
        done.record.userId,
        done.record.epoch,
        w.ask.now,
        w.ask.hash,
      ]);
      const wrote = await this.db.statement({
        name: 'portcullis-rotate-many',
        text: CONSUME_AND_INSERT_MANY,
        values: columns(rows, 18),
        rowMode: 'array',
      });
      stored = new Set(wrote.rows.map((r) => r[0] as string));
    } catch (e) {
      // A deadlock (mapped to StoreUnavailableError too) is retried; a database that is not there is not.
      if (!isRetryable(e) && e instanceof StoreUnavailableError) {
        for (const { w } of writes) w.reject(e);
      } else {
        // Nothing of the statement was stored: each rotation again, on its own.
        for (const { w } of writes) this.alone(w);
      }
      return;
    }
    for (const { w, done } of writes) w.resolve(stored.has(done.next.hash) ? done : null);
  }
}
