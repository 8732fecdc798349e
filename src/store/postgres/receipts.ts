import { newTimeOrderedGuid } from '../../crypto/random.js';
import type { User } from '../../core/model.js';
import type { CutIds, ReceiptDraft } from '../../core/revocation-receipt.js';
import { numbered, numberedAll } from '../sql/placeholders.js';
import { RECEIPT_LIST_SQL, RECEIPT_SQL, listReceiptsSql, receiptInsertArgs, toStoredReceipt } from '../sql/receipts.js';
import type { ReceiptQuery, ReceiptStore, StoredReceipt } from '../store.js';
import type { PgDb, Queryable } from './database.js';
import { unstorableText } from './unstorable-text.js';

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
 * ends. It reads their applications and redeemable refresh tokens and records the receipt.
 * Returns the receipt's id.
 */
export async function captureReceipt(
  c: Queryable,
  args: { user: User; draft: ReceiptDraft; at: number; cut: CutIds | UserCut; eventId: number | null },
): Promise<string> {
  const grantIds = [...args.cut.grantIds];
  const grantRows = 'grantRows' in args.cut ? args.cut.grantRows : (await c.query(SQL.grantsIn, [grantIds])).rows;
  const tokenRows = (await c.query(SQL.tokensIn, [args.at, grantIds])).rows;
  const id = newTimeOrderedGuid();
  await c.query(SQL.insert, receiptInsertArgs({ ...args, id, grantRows, tokenRows }));
  return id;
}

/** A user-wide cut with the rows it was read from (id, client_id, session_id per grant). */
export interface UserCut extends CutIds {
  grantRows: Record<string, unknown>[];
}

/**
 * What a user-wide revoke ends: the live grants and sessions of the user's current epoch. The
 * grant rows carry what the receipt and the security event record, so neither reads them again.
 */
export async function userCut(c: Queryable, user: User, at: number): Promise<UserCut> {
  const grantRows = (await c.query(SQL.userCutGrants, [user.id, user.revocationEpoch])).rows;
  const sessions = (await c.query(SQL.userCutSessions, [user.id, at, user.revocationEpoch])).rows;
  return { grantIds: grantRows.map((r) => r.id as string), sessionIds: sessions.map((r) => r.id as string), grantRows };
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
