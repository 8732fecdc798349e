import { newTimeOrderedGuid } from '../../crypto/random.js';
import type { User } from '../../core/model.js';
import type { CutIds, ReceiptDraft } from '../../core/revocation-receipt.js';
import { numbered, numberedAll } from '../sql/placeholders.js';
import { RECEIPT_LIST_SQL, RECEIPT_SQL, listReceiptsSql, receiptInsertArgs, toStoredReceipt } from '../sql/receipts.js';
import type { ReceiptQuery, ReceiptStore, StoredReceipt } from '../store.js';
import type { PgDb, Queryable } from './database.js';
import { unstorableText } from './unstorable-text.js';
import { runWrites, type Write } from './one-statement.js';

/** PostgreSQL binds an id list as one text[] parameter. */
const inList = (sql: string) => numbered(sql.replace('IN IDS', '= ANY(?::text[])'));
const SQL = {
  ...numberedAll(RECEIPT_SQL),
  grantsIn: inList(RECEIPT_LIST_SQL.grantsIn),
  tokensIn: inList(RECEIPT_LIST_SQL.tokensIn),
  byCorrelationIdsIn: inList(RECEIPT_LIST_SQL.byCorrelationIdsIn),
};

/**
 * THE receipt capture on PostgreSQL (docs/receipts.md): call it inside the revoking transaction,
 * after taking the row locks that make the revoke exclusive (the user row FOR NO KEY UPDATE for a
 * user-wide revoke, the grant row FOR UPDATE for one grant: redemptions hold FOR SHARE on both
 * until they commit) and before ending anything, with the ids of the sessions and grants the revoke
 * ends. It reads their applications and redeemable refresh tokens (a UserCut has read them already)
 * and records the receipt. Returns the receipt's id.
 */
export async function captureReceipt(
  c: Queryable,
  args: { user: User; draft: ReceiptDraft; at: number; cut: CutIds | UserCut; eventId: number | null },
): Promise<string> {
  const grantIds = [...args.cut.grantIds];
  const grantRows = 'grantRows' in args.cut ? args.cut.grantRows : (await c.query(SQL.grantsIn, [grantIds])).rows;
  const tokenRows = 'tokenRows' in args.cut ? args.cut.tokenRows : (await c.query(SQL.tokensIn, [args.at, grantIds])).rows;
  const receipt = receiptWrite({ ...args, cut: { ...args.cut, grantRows, tokenRows } });
  await runWrites(c, [receipt.write]);
  return receipt.id;
}

/**
 * The receipt of a user-wide cut as a write of a combined statement (one-statement.ts): its
 * `eventId` may be `returned(event)`, the event written by the same statement.
 */
export function receiptWrite(args: { user: User; draft: ReceiptDraft; at: number; cut: UserCut; eventId: unknown }): {
  id: string;
  write: Write;
} {
  const id = newTimeOrderedGuid();
  const { grantRows, tokenRows } = args.cut;
  return { id, write: { sql: RECEIPT_SQL.insert, args: receiptInsertArgs({ ...args, id, grantRows, tokenRows }) } };
}

/** A user-wide cut with the rows it was read from: id, client_id, session_id per grant; grant_id, hash per redeemable token. */
export interface UserCut extends CutIds {
  grantRows: Record<string, unknown>[];
  tokenRows: Record<string, unknown>[];
}

/** The epoch of the user's row, which the revoking transaction holds locked. */
const LOCKED_EPOCH = '(SELECT revocation_epoch FROM users WHERE tenant_id = ? AND id = ?)';
const atLockedEpoch = (sql: string): string => {
  if (!sql.endsWith('epoch = ?')) throw new Error(`a cut read that does not end with its epoch: ${sql}`);
  return `${sql.slice(0, -1)}${LOCKED_EPOCH}`;
};

/**
 * The three reads of a user-wide cut in one statement (one round trip, one snapshot): the shared
 * statements of store/sql/receipts.ts as its WITH queries, the tokens of the grants read. The
 * epoch is read from the user's row, not passed: the revoke sends this statement right behind the
 * one that locks the row, before that one's answer (directory.ts revokeIn), and the row cannot
 * change while it is locked.
 */
const USER_CUT = numbered(`WITH g AS (${atLockedEpoch(RECEIPT_SQL.userCutGrants)}), s AS (${atLockedEpoch(RECEIPT_SQL.userCutSessions)}),
  t AS (${RECEIPT_LIST_SQL.tokensIn.replace('IN IDS', 'IN (SELECT id FROM g)')})
  SELECT (SELECT json_agg(g) FROM g) AS grants, (SELECT json_agg(s.id) FROM s) AS sessions, (SELECT json_agg(t) FROM t) AS tokens`);

/**
 * What a user-wide revoke ends: the live grants and sessions of the user's current epoch, and the
 * redeemable refresh tokens of those grants. Call it with the user's row locked (FOR NO KEY
 * UPDATE), in a statement after the lock's. The grant rows carry what the receipt and the security
 * event record, so neither reads them again.
 */
export async function userCut(c: Queryable, tenantId: string, userId: string, at: number): Promise<UserCut> {
  const { rows } = await c.query(USER_CUT, [userId, tenantId, userId, userId, at, tenantId, userId, at]);
  const row = rows[0] ?? {};
  const grantRows = (row.grants ?? []) as Record<string, unknown>[];
  return {
    grantIds: grantRows.map((r) => r.id as string),
    sessionIds: (row.sessions ?? []) as string[],
    grantRows,
    tokenRows: (row.tokens ?? []) as Record<string, unknown>[],
  };
}

export class PgReceiptStore implements ReceiptStore {
  constructor(private readonly db: PgDb) {}

  async findByCorrelationId(tenantId: string, correlationId: string): Promise<StoredReceipt | null> {
    return (await this.list({ tenantId, correlationId, limit: 1 }))[0] ?? null;
  }

  async findByCorrelationIds(tenantId: string, correlationIds: readonly string[]): Promise<StoredReceipt[]> {
    const storable = correlationIds.filter((id) => !unstorableText(id));
    if (storable.length === 0) return [];
    return (await this.db.query(SQL.byCorrelationIdsIn, [tenantId, storable])).rows.map(toStoredReceipt);
  }

  async list(q: ReceiptQuery): Promise<StoredReceipt[]> {
    if ([q.userId, q.correlationId].some((v) => v !== undefined && unstorableText(v))) return [];
    const { sql, args } = listReceiptsSql(q);
    return (await this.db.query(numbered(sql), args)).rows.map(toStoredReceipt);
  }
}
