import type { PurgeCursor, PurgeKind } from '../store.js';

/** A value a purge statement binds, named so that the statements can travel as data (to the SQLite cleanup worker). */
export type PurgeArg = 'cutoff' | 'limit' | 'fromAt' | 'fromId' | 'endAt' | 'endId';

export interface PurgeStatement {
  readonly sql: string;
  /** The values in placeholder order. */
  readonly args: readonly PurgeArg[];
}

/**
 * How one kind is deleted. A plain kind: `remove` deletes at most `limit` rows that are due, and
 * fewer than `limit` means nothing more is due (what it deleted is gone, so the next batch starts
 * from the bottom again). A keyset kind (`pageEnd` set): some of the rows it examines must stay, so
 * it walks an index in (created_at, id) order: `pageEnd` finds the key of the first row after the
 * page of `limit` rows that starts at the cursor (none: this is the last page), `remove` deletes
 * what is due in [cursor, end), both bounds of one index range, and the next batch starts at `end`.
 */
export interface PurgeSpec {
  readonly remove: PurgeStatement;
  readonly pageEnd?: PurgeStatement;
}

/** The cursor at the first row of a keyset kind. */
export const PURGE_START: PurgeCursor = { at: Number.MIN_SAFE_INTEGER, id: '' };
/** The end of the last page (exclusive): every key whose created_at is before the cutoff is below it. */
export const purgeEnd = (cutoff: number): PurgeCursor => ({ at: cutoff, id: '' });

/**
 * The bounded deletes of retention (core/retention.ts decides the cutoffs), the same in both
 * dialects: each picks at most `limit` keys in a subquery, so one statement never holds the write
 * lock for long.
 */
export const PURGE_SQL: Readonly<Record<PurgeKind, PurgeSpec>> = {
  signIns: {
    remove: {
      sql: 'DELETE FROM sign_ins WHERE id IN (SELECT id FROM sign_ins WHERE created_at < ? LIMIT ?)',
      args: ['cutoff', 'limit'],
    },
  },
  authorizationCodes: {
    remove: {
      sql: 'DELETE FROM authorization_codes WHERE hash IN (SELECT hash FROM authorization_codes WHERE expires_at < ? LIMIT ?)',
      args: ['cutoff', 'limit'],
    },
  },
  deviceCodes: {
    remove: {
      sql: 'DELETE FROM device_codes WHERE device_code_hash IN (SELECT device_code_hash FROM device_codes WHERE expires_at < ? LIMIT ?)',
      args: ['cutoff', 'limit'],
    },
  },
  // Expired, consumed or not: no longer redeemable. An unexpired consumed token stays, because
  // presenting it again is what reveals a leaked family (RFC 9700 §4.14.2, GrantStore.rotate).
  refreshTokens: {
    remove: {
      sql: 'DELETE FROM refresh_tokens WHERE hash IN (SELECT hash FROM refresh_tokens WHERE expires_at < ? LIMIT ?)',
      args: ['cutoff', 'limit'],
    },
  },
  // The tokens of grants revoked before the cutoff, in batches, before their grant goes.
  revokedGrantTokens: {
    remove: {
      sql: `DELETE FROM refresh_tokens WHERE hash IN (SELECT rt.hash FROM refresh_tokens rt JOIN grants g ON g.id = rt.grant_id
      WHERE g.revoked_at < ? LIMIT ?)`,
      args: ['cutoff', 'limit'],
    },
  },
  // A grant started before the cutoff with no refresh token left: every token it issued has
  // expired (or was deleted with its revoked grant above; a grant is revoked after it started, so
  // one revoked before the cutoff started before it too). A grant whose token is still valid (a
  // sign-in that keeps refreshing for longer than the retention) stays and is passed over: a
  // keyset walk over grants_created_id (migration 180), so the next batch does not scan past it
  // again. The end of the last page, (cutoff, ''), is above every key started before the cutoff
  // (no id sorts below ''), so `< end` there is `created_at < cutoff`.
  grants: {
    pageEnd: {
      sql: `SELECT created_at AS at, id FROM grants WHERE created_at < ? AND (created_at, id) >= (?, ?)
      ORDER BY created_at, id LIMIT 1 OFFSET ?`,
      args: ['cutoff', 'fromAt', 'fromId', 'limit'],
    },
    remove: {
      sql: `DELETE FROM grants WHERE id IN (SELECT g.id FROM grants g WHERE (g.created_at, g.id) >= (?, ?)
      AND (g.created_at, g.id) < (?, ?) AND NOT EXISTS (SELECT 1 FROM refresh_tokens rt WHERE rt.grant_id = g.id))`,
      args: ['fromAt', 'fromId', 'endAt', 'endId'],
    },
  },
  sessions: {
    remove: {
      sql: 'DELETE FROM sso_sessions WHERE token_hash IN (SELECT token_hash FROM sso_sessions WHERE ended_at < ? OR expires_at < ? LIMIT ?)',
      args: ['cutoff', 'cutoff', 'limit'],
    },
  },
  // Withdrawn keys only (retired_at set: neither published nor accepted), never the newest key.
  signingKeys: {
    remove: {
      sql: `DELETE FROM signing_keys WHERE kid IN (SELECT kid FROM signing_keys WHERE retired_at < ?
      AND kid <> (SELECT kid FROM signing_keys ORDER BY COALESCE(activates_at, created_at) DESC, created_at DESC, kid DESC LIMIT 1) LIMIT ?)`,
      args: ['cutoff', 'limit'],
    },
  },
};

export interface PurgeValues {
  cutoff: number;
  limit: number;
  from: PurgeCursor;
  /** Exclusive; purgeEnd(cutoff) on the last page. */
  end: PurgeCursor;
}

/** The values of `args`, in order. */
export function purgeArgs(args: readonly PurgeArg[], v: PurgeValues): unknown[] {
  return args.map((a) => {
    switch (a) {
      case 'cutoff':
        return v.cutoff;
      case 'limit':
        return v.limit;
      case 'fromAt':
        return v.from.at;
      case 'fromId':
        return v.from.id;
      case 'endAt':
        return v.end.at;
      case 'endId':
        return v.end.id;
    }
  });
}

/** The row pageEnd returns, as a cursor. */
export function toPurgeCursor(row: { at: unknown; id: unknown } | undefined): PurgeCursor | null {
  return row ? { at: Number(row.at), id: String(row.id) } : null;
}
