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

/**
 * The three reads of a user-wide cut in one statement (one round trip, one snapshot): the shared
 * statements of store/sql/receipts.ts as its WITH queries, the tokens of the grants read.
 */
const USER_CUT = numbered(`WITH g AS (${RECEIPT_SQL.userCutGrants}), s AS (${RECEIPT_SQL.userCutSessions}),
  t AS (${RECEIPT_LIST_SQL.tokensIn.replace('IN IDS', 'IN (SELECT id FROM g)')})
  SELECT (SELECT json_agg(g) FROM g) AS grants, (SELECT json_agg(s.id) FROM s) AS sessions, (SELECT json_agg(t) FROM t) AS tokens`);

/**
 * What a user-wide revoke ends: the live grants and sessions of the user's current epoch, and the
 * redeemable refresh tokens of those grants. The grant rows carry what the receipt and the
 * security event record, so neither reads them again.
 */
export async function userCut(c: Queryable, user: User, at: number): Promise<UserCut> {
  const { rows } = await c.query(USER_CUT, [user.id, user.revocationEpoch, user.id, at, user.revocationEpoch, at]);
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
