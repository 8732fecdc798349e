import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { KeyRing } from '../../src/core/key-ring.js';
import { Readiness } from '../../src/ops/health.js';
import { AppMetrics } from '../../src/ops/metrics.js';
import { openPostgresStore } from '../../src/store/postgres/open.js';
import type { Store } from '../../src/store/store.js';
import { PG_TEST_URL, adminQuery, freshSchema, requirePostgres } from '../helpers/postgres.js';
import { parsePrometheusText, sampleValue } from './prometheus-text.js';

/** The operator probes on PostgreSQL (docs/operations.md): pool gauges, migrations, readiness with the pool closed. */
if (await requirePostgres('ops probes on PostgreSQL')) {
  describe('ops probes on PostgreSQL', () => {
    let fresh: Awaited<ReturnType<typeof freshSchema>>;
    let store: Store;
    before(async () => {
      fresh = await freshSchema('portcullis_ops');
      store = await openPostgresStore({ url: PG_TEST_URL, schema: fresh.schema, poolMax: 3 });
    });
    after(async () => {
      await store.close().catch(() => undefined);
      await fresh.drop();
    });

    test('pool figures, outbox backlog and migrations from the database', async () => {
      assert.equal(await store.ops.pendingMigrations(), 0);
      assert.deepEqual(await store.ops.outboxBacklog(), { unplannedEvents: 0, pendingDeliveries: 0, oldestAt: null });
      const samples = parsePrometheusText(await new AppMetrics(store).exposition());
      const total = sampleValue(samples, 'portcullis_db_pool_connections', { state: 'total' });
      assert.ok(total !== undefined && total >= 1 && total <= 3, `total ${total}`);
      assert.ok((sampleValue(samples, 'portcullis_db_pool_connections', { state: 'idle' }) ?? -1) >= 0);
      assert.equal(sampleValue(samples, 'portcullis_db_pool_waiting_requests'), 0);
      assert.equal(sampleValue(samples, 'portcullis_outbox_backlog', { stage: 'event' }), 0);

      await adminQuery(
        `DELETE FROM ${fresh.schema}.schema_migrations WHERE version = (SELECT MAX(version) FROM ${fresh.schema}.schema_migrations)`,
      );
      assert.equal(await store.ops.pendingMigrations(), 1);
    });

    test('readiness is DOWN once the pool is closed', async () => {
      const keys = await KeyRing.open(store, Date.now());
      let now = 0;
      const readiness = new Readiness(store, keys, () => now);
      assert.equal((await readiness.check()).checks.find((c) => c.name === 'database')?.status, 'UP');
      await store.close();
      now += 1000;
      const down = await readiness.check();
      assert.equal(down.status, 'DOWN');
      assert.equal(down.checks.find((c) => c.name === 'database')?.status, 'DOWN');
      assert.equal(down.checks.find((c) => c.name === 'signing-keys')?.status, 'UP');
    });
  });
}
