import { newTimeOrderedGuid } from '../../crypto/random.js';
import type { User } from '../../core/model.js';
import type { CutIds, ReceiptDraft } from '../../core/revocation-receipt.js';
import { RECEIPT_LIST_SQL, RECEIPT_SQL, listReceiptsSql, receiptInsertArgs, toStoredReceipt } from '../sql/receipts.js';
import type { ReceiptQuery, ReceiptStore, StoredReceipt } from '../store.js';
import type { SqliteDb } from './database.js';

type Row = Record<string, unknown>;

/** SQLite binds an id list as one JSON array parameter (it caps the number of parameters, not their size). */
const inList = (sql: string) => sql.replace('IN IDS', 'IN (SELECT value FROM json_each(?))');
const SQL = {
  grantsIn: inList(RECEIPT_LIST_SQL.grantsIn),
  tokensIn: inList(RECEIPT_LIST_SQL.tokensIn),
  byCorrelationIdsIn: inList(RECEIPT_LIST_SQL.byCorrelationIdsIn),
};

/**
 * THE receipt capture on SQLite (docs/receipts.md): call it inside the revoking transaction, before
 * the revoke ends the credentials, with the ids of the sessions and grants it ends; it reads their
 * applications and redeemable refresh tokens and records the receipt. SQLite serialises writers,
 * so what it reads is what the revoke ends. Returns the receipt's id.
 */
export function captureReceiptSync(
  s: SqliteDb,
  args: { user: User; draft: ReceiptDraft; at: number; cut: CutIds | UserCut; eventId: number | null },
): string {
  const grantIds = JSON.stringify(args.cut.grantIds);
  const grantRows = 'grantRows' in args.cut ? args.cut.grantRows : (s.stmt(SQL.grantsIn).all(grantIds) as Row[]);
  const tokenRows = s.stmt(SQL.tokensIn).all(args.at, grantIds) as Row[];
  const id = newTimeOrderedGuid();
  s.stmt(RECEIPT_SQL.insert).run(...receiptInsertArgs({ ...args, id, grantRows, tokenRows }));
  return id;
}

/** A user-wide cut with the rows it was read from (id, client_id, session_id per grant). */
export interface UserCut extends CutIds {
  grantRows: Row[];
}

/**
 * What a user-wide revoke ends: the live grants and sessions of the user's current epoch. The
 * grant rows carry what the receipt and the security event record, so neither reads them again.
 */
export function userCutSync(s: SqliteDb, user: User, at: number): UserCut {
  const grantRows = s.stmt(RECEIPT_SQL.userCutGrants).all(user.id, user.revocationEpoch) as Row[];
  const sessions = s.stmt(RECEIPT_SQL.userCutSessions).all(user.id, at, user.revocationEpoch) as Row[];
  return { grantIds: grantRows.map((r) => r.id as string), sessionIds: sessions.map((r) => r.id as string), grantRows };
}

export class SqliteReceiptStore implements ReceiptStore {
  constructor(private readonly s: SqliteDb) {}

  async findByCorrelationId(tenantId: string, correlationId: string): Promise<StoredReceipt | null> {
    return (await this.list({ tenantId, correlationId, limit: 1 }))[0] ?? null;
  }

  async findByCorrelationIds(tenantId: string, correlationIds: readonly string[]): Promise<StoredReceipt[]> {
    if (correlationIds.length === 0) return [];
    return (this.s.stmt(SQL.byCorrelationIdsIn).all(tenantId, JSON.stringify(correlationIds)) as Row[]).map(toStoredReceipt);
  }

  async list(q: ReceiptQuery): Promise<StoredReceipt[]> {
    const { sql, args } = listReceiptsSql(q);
    return (this.s.stmt(sql).all(...args) as Row[]).map(toStoredReceipt);
  }
}
