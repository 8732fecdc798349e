import type { CutTarget, InventoryQuery, InventoryRecord } from '../../core/session-inventory.js';
import type { SignInMethod } from '../../core/model.js';
import { splitScopes } from '../sqlite/rows.js';

/**
 * The session inventory's SQL (docs/sessions.md), the same in both dialects. A listing is two
 * keyset-paged branches, one per table, each served by an index on (user_id | tenant_id,
 * created_at, id) from migration 100 and cut to the page size before they are merged, so a page
 * costs two index range scans of at most `limit` rows plus three index seeks per grant into
 * refresh_tokens(grant_id, issued_at) — whatever the number of rows the user or tenant holds.
 * A grant's scopes are read from the grant row itself (every refresh token of the family is
 * issued with the grant's scopes, src/identity/grants/refresh-token.ts), so they cost no seek.
 */
type Row = Record<string, unknown>;

const SESSION_LIVE = 's.ended_at IS NULL AND s.expires_at > ? AND s.epoch = u.revocation_epoch AND u.account_enabled = TRUE';
/** The newest refresh token of a grant decides when it was last used and whether it can still be refreshed. */
const NEWEST_TOKEN = (column: string) =>
  `(SELECT t.${column} FROM refresh_tokens t WHERE t.grant_id = g.id ORDER BY t.issued_at DESC LIMIT 1)`;
const GRANT_LIVE = `g.revoked_at IS NULL AND g.epoch = u.revocation_epoch AND u.account_enabled = TRUE AND ${NEWEST_TOKEN('expires_at')} > ?`;

interface Branch {
  sql: string;
  args: unknown[];
}

function branch(kind: 'session' | 'grant', q: InventoryQuery): Branch {
  const a = kind === 'session' ? 's' : 'g';
  const live = kind === 'session' ? SESSION_LIVE : GRANT_LIVE;
  const columns =
    kind === 'session'
      ? `'session' AS kind, s.id, s.tenant_id, s.user_id, s.client_id, s.id AS session_id, s.created_at,
         COALESCE(s.last_used_at, s.created_at) AS last_used_at, s.client_ip, s.user_agent, s.sign_in_method,
         CAST(NULL AS TEXT) AS scopes`
      : `'grant' AS kind, g.id, g.tenant_id, g.user_id, g.client_id, g.session_id, g.created_at,
         COALESCE(${NEWEST_TOKEN('issued_at')}, g.created_at) AS last_used_at,
         COALESCE(${NEWEST_TOKEN('client_ip')}, g.client_ip) AS client_ip,
         COALESCE(${NEWEST_TOKEN('user_agent')}, g.user_agent) AS user_agent, g.sign_in_method, g.scopes`;
  const where: string[] = [];
  const args: unknown[] = [];
  if (q.userId !== undefined) {
    // One user: the tenant is checked on the user row, never on the session or grant. Both
    // `user_id = ?` and `tenant_id = ?` there would let the planner pick the tenant's index, and
    // SQLite without statistics (the server never runs ANALYZE) did: it walked the whole tenant
    // for one user's page. The user's id, repeated on `u`, lets PostgreSQL read that one user
    // row by its key instead of hashing every user of the table (users.id is COLLATE "C",
    // store/postgres/migrations.ts, so it does not derive it through the join).
    where.push(`${a}.user_id = ? AND u.id = ? AND u.tenant_id = ?`);
    args.push(q.userId, q.userId, q.tenantId);
  } else {
    where.push(`${a}.tenant_id = ?`);
    args.push(q.tenantId);
  }
  if (q.appId !== undefined) {
    where.push(`${a}.client_id = ?`);
    args.push(q.appId);
  }
  if (q.live !== undefined) {
    where.push(q.live ? `(${live})` : `NOT (${live})`);
    args.push(q.now);
  }
  if (q.createdFrom !== undefined) {
    where.push(`${a}.created_at >= ?`);
    args.push(q.createdFrom);
  }
  if (q.createdBefore !== undefined) {
    where.push(`${a}.created_at < ?`);
    args.push(q.createdBefore);
  }
  if (q.after) {
    where.push(`(${a}.created_at, ${a}.id) < (?, ?)`);
    args.push(q.after.createdAt, q.after.id);
  }
  args.push(q.limit);
  const table = kind === 'session' ? 'sso_sessions s' : 'grants g';
  return {
    sql: `SELECT * FROM (SELECT ${columns}, CASE WHEN ${live} THEN 1 ELSE 0 END AS live
      FROM ${table} JOIN users u ON u.id = ${a}.user_id
      WHERE ${where.join(' AND ')}
      ORDER BY ${a}.created_at DESC, ${a}.id DESC LIMIT ?) AS ${kind}_page`,
    args,
  };
}

/** One page of the inventory, newest first: both branches, merged and cut to `limit`. */
export function inventoryPageSql(q: InventoryQuery): { sql: string; args: unknown[] } {
  const sessions = branch('session', q);
  const grants = branch('grant', q);
  // The live CASE of each branch binds `now` ahead of the branch's own values.
  return {
    sql: `${sessions.sql} UNION ALL ${grants.sql} ORDER BY created_at DESC, id DESC LIMIT ?`,
    args: [...withCaseNow(sessions, q.now), ...withCaseNow(grants, q.now), q.limit],
  };
}

/** The SELECT list's CASE comes first in the text, so its `now` (one for a session, one for a grant) leads the values. */
function withCaseNow(b: Branch, now: number): unknown[] {
  return [now, ...b.args];
}

export function toInventoryRecord(r: Row): InventoryRecord {
  const opt = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
  return {
    kind: r.kind === 'grant' ? 'grant' : 'session',
    id: String(r.id),
    tenantId: String(r.tenant_id),
    userId: String(r.user_id),
    clientId: opt(r.client_id),
    sessionId: opt(r.session_id),
    createdAt: Number(r.created_at),
    lastUsedAt: Number(r.last_used_at),
    clientIp: opt(r.client_ip),
    userAgent: opt(r.user_agent),
    signInMethod: opt(r.sign_in_method) as SignInMethod | null,
    live: r.live === 1 || r.live === true || r.live === '1',
    scopes: r.kind === 'grant' ? splitScopes(r.scopes) : null,
  };
}

/**
 * A targeted revocation's predicates (core/targeted-revocation.ts): which of the user's grants,
 * browser sessions and outstanding codes a target covers. Each is `column test` text with its
 * values, appended to a statement already filtered on the user.
 */
function grantsPredicate(target: CutTarget): Branch {
  switch (target.kind) {
    case 'session':
      return { sql: 'session_id = ?', args: [target.sessionId] };
    case 'app':
      return { sql: 'client_id = ?', args: [target.appId] };
    case 'allExcept':
      return { sql: '(session_id IS NULL OR session_id <> ?)', args: [target.sessionId] };
  }
}

function sessionsPredicate(target: CutTarget): Branch | null {
  switch (target.kind) {
    case 'session':
      return { sql: 'id = ?', args: [target.sessionId] };
    case 'app':
      return null;
    case 'allExcept':
      return { sql: 'id <> ?', args: [target.sessionId] };
  }
}

/**
 * How long after its expiry a code is still marked by a cut: a code redeemed just before the cut
 * starts its grant in a later transaction of the same token request (src/identity/issue-tokens.ts),
 * and that grant must see the mark. A token request ends long before this; older codes either
 * made their grant (which the cut revokes) or never will.
 */
export const CUT_CODE_MARGIN_MS = 10 * 60 * 1000;

/** The statements of one cut, in the order they run: codes first, then sessions, then grants (store/postgres lock order). */
export function cutStatements(
  userId: string,
  epoch: number,
  target: CutTarget,
  now: number,
): {
  liveSessions: Branch | null;
  liveGrants: Branch;
  markCodes: Branch;
  markDeviceCodes: Branch;
  endSessions: Branch | null;
  revokeGrants: Branch;
} {
  const g = grantsPredicate(target);
  const s = sessionsPredicate(target);
  const sessionWhere = s
    ? { sql: `user_id = ? AND ended_at IS NULL AND expires_at > ? AND epoch = ? AND ${s.sql}`, args: [userId, now, epoch, ...s.args] }
    : null;
  const grantWhere = { sql: `user_id = ? AND revoked_at IS NULL AND epoch = ? AND ${g.sql}`, args: [userId, epoch, ...g.args] };
  const codeWhere = {
    sql: `user_id = ? AND cut_at IS NULL AND expires_at > ? AND ${g.sql}`,
    args: [userId, now - CUT_CODE_MARGIN_MS, ...g.args],
  };
  return {
    liveSessions: sessionWhere
      ? { sql: `SELECT id FROM sso_sessions WHERE ${sessionWhere.sql} ORDER BY id`, args: sessionWhere.args }
      : null,
    liveGrants: { sql: `SELECT id, client_id, session_id FROM grants WHERE ${grantWhere.sql} ORDER BY id`, args: grantWhere.args },
    markCodes: {
      sql: `UPDATE authorization_codes SET cut_at = ?, consumed_at = COALESCE(consumed_at, ?) WHERE ${codeWhere.sql}`,
      args: [now, now, ...codeWhere.args],
    },
    markDeviceCodes: {
      sql: `UPDATE device_codes SET cut_at = ?, consumed_at = COALESCE(consumed_at, ?) WHERE ${codeWhere.sql}`,
      args: [now, now, ...codeWhere.args],
    },
    endSessions: sessionWhere
      ? { sql: `UPDATE sso_sessions SET ended_at = ? WHERE ${sessionWhere.sql} RETURNING id`, args: [now, ...sessionWhere.args] }
      : null,
    revokeGrants: {
      sql: `UPDATE grants SET revoked_at = ? WHERE ${grantWhere.sql} RETURNING id, client_id, session_id`,
      args: [now, ...grantWhere.args],
    },
  };
}

/**
 * Whether a grant about to be created from a code (same grant id) or a browser session may still
 * start (GrantStore.create): not if a cut marked its code or ended its session meanwhile.
 */
export const GRANT_START_SQL = {
  codeCut: 'SELECT cut_at FROM authorization_codes WHERE grant_id = ?',
  deviceCodeCut: 'SELECT cut_at FROM device_codes WHERE grant_id = ?',
  sessionEnded: 'SELECT ended_at FROM sso_sessions WHERE id = ?',
  /** SSO use: at most one write a minute per session (docs/sessions.md). */
  touchSession: 'UPDATE sso_sessions SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)',
} as const;

/** Whether any row read by GRANT_START_SQL carries a mark (cut_at, ended_at). */
export const anyMarked = (rows: readonly Record<string, unknown>[], column: 'cut_at' | 'ended_at'): boolean =>
  rows.some((r) => r[column] !== null && r[column] !== undefined);

/** last_used_at is written at most once per this interval, so a burst of silent sign-ins costs one write. */
export const SESSION_TOUCH_INTERVAL_MS = 60_000;
