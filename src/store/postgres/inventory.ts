import type { CutFound, InventoryQuery, InventoryRecord } from '../../core/session-inventory.js';
import { cutStatements, inventoryPageSql, toInventoryRecord } from '../sql/inventory.js';
import { numbered } from '../sql/placeholders.js';
import type { CutArgs, InventoryStore } from '../store.js';
import { insertAudit } from './audit-keys.js';
import type { PgDb, Queryable } from './database.js';
import { loadUser } from './directory.js';
import { writeCapturedEvent } from './outbox.js';
import { captureReceipt } from './receipts.js';

type Row = Record<string, unknown>;

/**
 * The session inventory and targeted revocation on PostgreSQL (store/sql/inventory.ts has the SQL).
 * A cut locks the user row FOR SHARE (a user-wide revoke, FOR NO KEY UPDATE, serialises with it;
 * rotations, FOR SHARE, do not), then writes codes, sessions and grants in that order — the order
 * GrantStore.create reads them in, so the two never wait on each other in a cycle. Each UPDATE
 * re-reads rows committed meanwhile (READ COMMITTED), so a grant started just before is revoked too.
 */
export class PgInventoryStore implements InventoryStore {
  constructor(private readonly db: PgDb) {}

  async list(query: InventoryQuery): Promise<InventoryRecord[]> {
    const { sql, args } = inventoryPageSql(query);
    return (await this.db.query(numbered(sql), args)).rows.map(toInventoryRecord);
  }

  async cut(args: CutArgs): Promise<CutFound | null> {
    const result = await this.db.tx(async (c) => {
      const user = await loadUser(c, args.tenantId, args.userId, 'share');
      if (!user) return null;
      const sql = cutStatements(user.id, user.revocationEpoch, args.target, args.now);
      const all = async (b: { sql: string; args: unknown[] } | null): Promise<Row[]> =>
        b ? (await c.query(numbered(b.sql), b.args)).rows : [];
      if (args.dryRun) return { sessionIds: ids(await all(sql.liveSessions)), grantIds: ids(await all(sql.liveGrants)), evented: false };
      await run(c, sql.markCodes);
      await run(c, sql.markDeviceCodes);
      const sessionIds = ids(await all(sql.endSessions));
      const grants = await all(sql.revokeGrants);
      const found = { sessionIds, grantIds: ids(grants) };
      const evented = args.securityEvent !== undefined && (sessionIds.length > 0 || grants.length > 0);
      const eventId = evented && args.securityEvent ? await writeCapturedEvent(c, user, args.securityEvent, grants, sessionIds) : null;
      // After the UPDATEs, which return exactly what they ended (rows committed meanwhile
      // included): a cut marks grants and sessions only, so their refresh tokens are as before it.
      if (args.receipt) await captureReceipt(c, { user, draft: args.receipt, at: args.now, cut: found, eventId });
      for (const a of args.audit(found)) await insertAudit(c, a);
      return { ...found, evented };
    });
    if (result?.evented) this.db.outboxCommitted.fire();
    return result ? { sessionIds: result.sessionIds, grantIds: result.grantIds } : null;
  }
}

async function run(c: Queryable, b: { sql: string; args: unknown[] }): Promise<void> {
  await c.query(numbered(b.sql), b.args);
}

function ids(rows: Row[]): string[] {
  return rows.map((r) => String(r.id)).sort();
}
