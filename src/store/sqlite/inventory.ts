import type { AuditRecord } from '../../core/model.js';
import type { ReceiptDraft } from '../../core/revocation-receipt.js';
import type { SecurityEventDraft } from '../../core/security-event.js';
import type { CutFound, CutTarget, InventoryQuery, InventoryRecord } from '../../core/session-inventory.js';
import { cutStatements, inventoryPageSql, toInventoryRecord } from '../sql/inventory.js';
import type { CutArgs, InventoryStore } from '../store.js';
import { insertAudit } from './audit-keys.js';
import type { SqliteDb } from './database.js';
import type { SqliteUserStore } from './directory.js';
import { writeCapturedEventSync } from './outbox.js';
import { captureReceiptSync } from './receipts.js';

type Row = Record<string, unknown>;

/** The session inventory and targeted revocation on SQLite (store/sql/inventory.ts has the SQL). */
export class SqliteInventoryStore implements InventoryStore {
  constructor(
    private readonly s: SqliteDb,
    private readonly users: SqliteUserStore,
  ) {}

  async list(query: InventoryQuery): Promise<InventoryRecord[]> {
    const { sql, args } = inventoryPageSql(query);
    return (this.s.stmt(sql).all(...args) as Row[]).map(toInventoryRecord);
  }

  /**
   * Joins the group commit ahead of queued rotations, like UserStore.revoke: checked and written
   * in the committing transaction, answered after its fsync. A dry run only reads.
   */
  async cut(args: CutArgs): Promise<CutFound | null> {
    const result = args.dryRun ? this.cutNow(args) : await this.s.groupCommit.run(() => this.cutNow(args), { urgent: true });
    if (result?.evented) this.s.outboxCommitted.fire();
    return result ? { sessionIds: result.sessionIds, grantIds: result.grantIds } : null;
  }

  private cutNow(args: {
    tenantId: string;
    userId: string;
    target: CutTarget;
    now: number;
    dryRun: boolean;
    audit: (found: CutFound) => AuditRecord[];
    securityEvent?: SecurityEventDraft;
    receipt?: ReceiptDraft;
  }): (CutFound & { evented: boolean }) | null {
    const user = this.users.loadSync(args.tenantId, args.userId);
    if (!user) return null;
    const sql = cutStatements(user.id, user.revocationEpoch, args.target, args.now);
    const all = (b: { sql: string; args: unknown[] } | null): Row[] => (b ? (this.s.stmt(b.sql).all(...b.args) as Row[]) : []);
    if (args.dryRun) {
      return { sessionIds: ids(all(sql.liveSessions)), grantIds: ids(all(sql.liveGrants)), evented: false };
    }
    this.s.stmt(sql.markCodes.sql).run(...sql.markCodes.args);
    this.s.stmt(sql.markDeviceCodes.sql).run(...sql.markDeviceCodes.args);
    const sessionIds = ids(all(sql.endSessions));
    const grants = all(sql.revokeGrants);
    const found = { sessionIds, grantIds: ids(grants) };
    const evented = args.securityEvent !== undefined && (sessionIds.length > 0 || grants.length > 0);
    const eventId = evented && args.securityEvent ? writeCapturedEventSync(this.s, user, args.securityEvent, grants, sessionIds) : null;
    // After the UPDATEs, which return exactly what they ended: a cut marks grants and sessions
    // only, so the grants' refresh tokens the capture reads are still as they were before it.
    if (args.receipt) captureReceiptSync(this.s, { user, draft: args.receipt, at: args.now, cut: found, eventId });
    for (const a of args.audit(found)) insertAudit(this.s, a);
    return { ...found, evented };
  }
}

function ids(rows: Row[]): string[] {
  return rows.map((r) => String(r.id)).sort();
}
