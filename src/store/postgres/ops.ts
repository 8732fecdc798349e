import { OPS_SQL, backlogOf, countPending } from '../sql/ops.js';
import type { OpsStore, OutboxBacklog, PoolFigures } from '../store.js';
import type { PgDb } from './database.js';
import { PG_MIGRATIONS } from './migrations.js';

export class PgOpsStore implements OpsStore {
  constructor(private readonly db: PgDb) {}

  async pendingMigrations(): Promise<number> {
    return countPending(PG_MIGRATIONS, (await this.db.query(OPS_SQL.appliedVersions)).rows);
  }

  async outboxBacklog(): Promise<OutboxBacklog> {
    const [events, deliveries] = await Promise.all([this.db.query(OPS_SQL.unplannedEvents), this.db.query(OPS_SQL.pendingDeliveries)]);
    return backlogOf(events.rows[0], deliveries.rows[0]);
  }

  /** node-postgres Pool: totalCount (open connections), idleCount, waitingCount (queued requests). */
  pool(): PoolFigures {
    const p = this.db.pool;
    return { total: p.totalCount, idle: p.idleCount, waiting: p.waitingCount };
  }
}
