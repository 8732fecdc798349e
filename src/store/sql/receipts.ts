import type { User } from '../../core/model.js';
import type { CutIds, ReceiptDraft, RevocationReceipt } from '../../core/revocation-receipt.js';
import { buildCut } from '../../core/revocation-receipt.js';
import type { ReceiptQuery, StoredReceipt } from '../store.js';

/**
 * Revocation receipt SQL both dialects read alike (docs/receipts.md). What differs stays in the
 * adapters: how a list of ids is bound (SQLite one JSON array through json_each, PostgreSQL a
 * text[]), so the `…In` statements end with the id list's placeholder for the adapter to wrap.
 */
export const RECEIPT_SQL = {
  /** What a user-wide revoke (revoke, disable, password reset) ends: the grants and live sessions of the epoch it closes. */
  /** With the application and session of each grant: what the receipt and the security event both record (one read for both). */
  userCutGrants: 'SELECT id, client_id, session_id FROM grants WHERE user_id = ? AND revoked_at IS NULL AND epoch = ?',
  userCutSessions: 'SELECT id FROM sso_sessions WHERE user_id = ? AND ended_at IS NULL AND expires_at > ? AND epoch = ?',
  insert: `INSERT INTO revocation_receipts (id, tenant_id, correlation_id, kind, user_id, user_principal_name, revoked_at, initiated_by,
      event_id, cut) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
} as const;

/** The id-list reads of a capture; `IDS` is replaced by the adapter's list expression. */
export const RECEIPT_LIST_SQL = {
  grantsIn: 'SELECT id, client_id, session_id FROM grants WHERE id IN IDS',
  /** Redeemable tokens only: a consumed or expired one was dead before the revoke. */
  tokensIn: 'SELECT grant_id, hash FROM refresh_tokens WHERE consumed_at IS NULL AND expires_at > ? AND grant_id IN IDS',
  byCorrelationIdsIn: `SELECT r.*, e.id AS event_row, e.planned_at AS event_planned_at FROM revocation_receipts r
    LEFT JOIN security_events e ON e.id = r.event_id WHERE r.tenant_id = ? AND r.correlation_id IN IDS
    ORDER BY r.revoked_at DESC, r.id DESC`,
} as const;

const RECEIPT_SELECT = `SELECT r.*, e.id AS event_row, e.planned_at AS event_planned_at FROM revocation_receipts r
  LEFT JOIN security_events e ON e.id = r.event_id`;

type Row = Record<string, unknown>;

/**
 * The values of `insert`: the cut built from what the capture read. `eventId` is passed through
 * as it is (PostgreSQL may give a value its statement computes: store/postgres/one-statement.ts).
 */
export function receiptInsertArgs(args: {
  id: string;
  user: User;
  draft: ReceiptDraft;
  at: number;
  cut: CutIds;
  eventId: unknown;
  grantRows: Row[];
  tokenRows: Row[];
}): unknown[] {
  const grants = args.grantRows.map((r) => ({
    id: r.id as string,
    clientId: r.client_id as string,
    sessionId: (r.session_id as string | null) ?? null,
  }));
  const tokens = args.tokenRows.map((r) => ({ grantId: r.grant_id as string, hash: r.hash as string }));
  return [
    args.id,
    args.user.tenantId,
    args.draft.correlationId,
    args.draft.kind,
    args.user.id,
    args.user.userPrincipalName,
    args.at,
    JSON.stringify(args.draft.initiatedBy),
    args.eventId,
    JSON.stringify(buildCut(args.cut.sessionIds, grants, tokens)),
  ];
}

/** ReceiptStore.list: newest first, filtered by user and time, keyset paged. */
export function listReceiptsSql(q: ReceiptQuery): { sql: string; args: unknown[] } {
  const where = ['r.tenant_id = ?'];
  const args: unknown[] = [q.tenantId];
  if (q.userId !== undefined) {
    where.push('r.user_id = ?');
    args.push(q.userId);
  }
  if (q.correlationId !== undefined) {
    where.push('r.correlation_id = ?');
    args.push(q.correlationId);
  }
  if (q.from !== undefined) {
    where.push('r.revoked_at >= ?');
    args.push(q.from);
  }
  if (q.to !== undefined) {
    where.push('r.revoked_at <= ?');
    args.push(q.to);
  }
  if (q.before !== undefined) {
    where.push('(r.revoked_at < ? OR (r.revoked_at = ? AND r.id < ?))');
    args.push(q.before.at, q.before.at, q.before.id);
  }
  args.push(q.limit);
  return { sql: `${RECEIPT_SELECT} WHERE ${where.join(' AND ')} ORDER BY r.revoked_at DESC, r.id DESC LIMIT ?`, args };
}

export function toStoredReceipt(r: Row): StoredReceipt {
  const eventId = r.event_id === null || r.event_id === undefined ? null : Number(r.event_id);
  const receipt: RevocationReceipt = {
    id: r.id as string,
    tenantId: r.tenant_id as string,
    correlationId: r.correlation_id as string,
    kind: r.kind as string,
    userId: r.user_id as string,
    userPrincipalName: r.user_principal_name as string,
    revokedAt: Number(r.revoked_at),
    initiatedBy: JSON.parse(r.initiated_by as string),
    eventId,
    cut: JSON.parse(r.cut as string),
  };
  let push: StoredReceipt['push'] = 'none';
  if (eventId !== null)
    push = r.event_row === null || r.event_row === undefined ? 'expired' : r.event_planned_at == null ? 'planning' : 'planned';
  return { ...receipt, push };
}
