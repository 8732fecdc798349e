import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ThrowawayPostgres, requireServerBinaries } from '../helpers/throwaway-postgres.js';
import { postgresBackend, type Backend } from './revocation/backend.js';
import { checkRevocationModel, failureReport, propertySettings } from './revocation/run-property.js';

/**
 * The same model-based property as revocation-sqlite.test.ts on PostgreSQL: a server of the
 * test's own (throwaway-postgres.ts), a fresh database per generated sequence; a restart closes
 * the pool and reopens the same database.
 */
if (requireServerBinaries('property: revocation model on PostgreSQL')) {
  let server: ThrowawayPostgres;
  let backend: Backend;
  before(async () => {
    server = await ThrowawayPostgres.start();
    backend = await postgresBackend(server);
  });
  after(async () => {
    await backend?.close().catch(() => undefined);
    await server?.destroy();
  });

  // PORTCULLIS_PROPERTY_SECONDS bounds when new sequences start; the one running then may finish.
  test('PostgreSQL: every interleaving keeps I1–I5 (model-based, real HTTP)', {
    timeout: (propertySettings(1).timeLimitMs / 1000 + 300) * 1000,
  }, async () => {
    const settings = propertySettings(10);
    const result = await checkRevocationModel(backend, settings);
    const f = result.figures;
    console.log(
      `property postgres: runs=${f.runs} steps=${f.steps} restarts=${f.restarts} refusedRefreshes=${f.refusedRefreshes} seed=${result.details.seed}`,
    );
    assert.equal(result.details.failed, false, failureReport(result, 'test/property/revocation-postgres'));
    assert.ok(f.runs >= 1 && f.steps > 0, 'the property ran');
  });
}
