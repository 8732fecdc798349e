import { OPS_SQL, backlogOf, countPending } from '../sql/ops.js';
import type { OpsStore, OutboxBacklog, PoolFigures } from '../store.js';
import type { SqliteDb } from './database.js';
import { MIGRATIONS } from './migrations.js';

type CountRow = { n: number; oldest: number | null };

export class SqliteOpsStore implements OpsStore {
  constructor(private readonly s: SqliteDb) {}

  async pendingMigrations(): Promise<number> {
    return countPending(MIGRATIONS, this.s.stmt(OPS_SQL.appliedVersions).all());
  }

  async outboxBacklog(): Promise<OutboxBacklog> {
    return backlogOf(this.s.stmt(OPS_SQL.unplannedEvents).get() as CountRow, this.s.stmt(OPS_SQL.pendingDeliveries).get() as CountRow);
  }

  pool(): PoolFigures | null {
    return null;
  }
}
