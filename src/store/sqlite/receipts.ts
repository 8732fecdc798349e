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
  /**
   * RECEIPT_SQL.userCutGrants with each grant's redeemable refresh tokens (tokensIn's condition):
   * a user-wide cut in one read instead of two (BENCHMARKS.md, B3). A grant without such a token
   * comes back once, with a NULL hash.
   */
  userCutGrantsAndTokens: `SELECT g.id, g.client_id, g.session_id, t.hash FROM grants g
    LEFT JOIN refresh_tokens t ON t.grant_id = g.id AND t.consumed_at IS NULL AND t.expires_at > ?
    WHERE g.user_id = ? AND g.revoked_at IS NULL AND g.epoch = ?`,
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
  const { cut } = args;
  const grantIds = 'grantRows' in cut ? '' : JSON.stringify(cut.grantIds);
  const grantRows = 'grantRows' in cut ? cut.grantRows : (s.stmt(SQL.grantsIn).all(grantIds) as Row[]);
  // A user cut read its tokens with its grants, as of the same instant `at`.
  const tokenRows = 'tokenRows' in cut ? cut.tokenRows : (s.stmt(SQL.tokensIn).all(args.at, grantIds) as Row[]);
  const id = newTimeOrderedGuid();
  s.stmt(RECEIPT_SQL.insert).run(...receiptInsertArgs({ ...args, id, grantRows, tokenRows }));
  return id;
}

/**
 * A user-wide cut with the rows it was read from: id, client_id, session_id per grant, and the
 * grants' redeemable refresh tokens (grant_id, hash) as of the revoke's instant.
 */
export interface UserCut extends CutIds {
  grantRows: Row[];
  tokenRows: Row[];
}

/**
 * What a user-wide revoke ends: the live grants and sessions of the user's current epoch. The
 * grant rows carry what the receipt and the security event record, so neither reads them again.
 */
export function userCutSync(s: SqliteDb, user: User, at: number): UserCut {
  const rows = s.stmt(SQL.userCutGrantsAndTokens).all(at, user.id, user.revocationEpoch) as Row[];
  const grantRows: Row[] = [];
  const tokenRows: Row[] = [];
  const seen = new Set<unknown>();
  for (const r of rows) {
    // One row per (grant, token), or per grant without one.
    if (!seen.has(r.id)) grantRows.push({ id: r.id, client_id: r.client_id, session_id: r.session_id });
    seen.add(r.id);
    if (r.hash !== null) tokenRows.push({ grant_id: r.id, hash: r.hash });
  }
  const sessions = s.stmt(RECEIPT_SQL.userCutSessions).all(user.id, at, user.revocationEpoch) as Row[];
  return { grantIds: grantRows.map((r) => r.id as string), sessionIds: sessions.map((r) => r.id as string), grantRows, tokenRows };
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
