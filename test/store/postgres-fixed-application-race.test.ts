import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { createFixedApplication } from '../../src/core/application-registration.js';
import type { Tenant } from '../../src/core/model.js';
import { systemClock } from '../../src/clock.js';
import { makeAppConfig } from '../../src/config.js';
import { CONSOLE_APP_ID, ensureConsoleApplication } from '../../src/console/registration.js';
import { newGuid } from '../../src/crypto/random.js';
import { openPostgresStore } from '../../src/store/postgres/open.js';
import type { Store } from '../../src/store/store.js';
import { PG_TEST_URL, freshSchema, requirePostgres } from '../helpers/postgres.js';
import { contractRecords } from './contract-records.js';

// Registrations with a fixed appId (the console's, a seed file's) are written by every instance
// at start. Instances starting together on one PostgreSQL database all read "absent" and insert;
// INSERT … ON CONFLICT (app_id) arbitrates only that index, so the insert that comes second can
// fail on another unique index while the first is in progress. That once ended `serve` with
// "unexpected error: duplicate_identifier_uri" (test/scale/cae-multi-instance.test.ts, two
// instances started at once). Two stores here stand for two instances.
const ROUNDS = 25;
const NOW = Date.UTC(2026, 5, 1);

if (await requirePostgres('PostgreSQL: two instances registering one fixed-id application at once')) {
  describe('PostgreSQL: two instances registering one fixed-id application at once', () => {
    let a: Store;
    let b: Store;
    let schema: string;
    let drop: () => Promise<void>;
    before(async () => {
      ({ schema, drop } = await freshSchema());
      a = await openPostgresStore({ url: PG_TEST_URL, schema });
      b = await openPostgresStore({ url: PG_TEST_URL, schema });
    });
    after(async () => {
      await a.close();
      await b.close();
      await drop();
    });

    async function tenant(): Promise<Tenant> {
      const t: Tenant = { id: newGuid(), domain: `${newGuid()}.test`, displayName: 'Race', createdAt: NOW };
      await a.tenants.insert(t);
      return t;
    }

    /** Removes the console's registration, as on a fresh database (its appId is one per database). */
    async function forgetConsole(): Promise<void> {
      const c = new pg.Client({ connectionString: PG_TEST_URL, options: `-c search_path=${schema}` });
      await c.connect();
      try {
        await c.query('DELETE FROM applications WHERE app_id = $1', [CONSOLE_APP_ID]);
      } finally {
        await c.end();
      }
    }

    test('the console registration: both instances start, one registration', async () => {
      const config = makeAppConfig({ publicUrl: 'http://localhost:5050' });
      const t = await tenant();
      for (let round = 0; round < ROUNDS; round++) {
        await forgetConsole();
        await Promise.all([a, b].map((store) => ensureConsoleApplication({ config, tenant: t, store, clock: systemClock })));
        const app = await a.applications.findByAppId(t.id, CONSOLE_APP_ID);
        assert.equal(app?.displayName, 'Portcullis Console', `round ${round}`);
      }
    });

    test('a seeded API with an identifier URI: one instance creates it, the other is told it exists', async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const t = await tenant();
        const app = contractRecords(t.id, NOW).application({ displayName: 'Orders API', identifierUris: [`api://orders-${round}`] });
        const created = await Promise.all([a, b].map((store) => createFixedApplication(store.applications, app)));
        assert.ok(created.includes(true), `round ${round}: one of them created it`);
        assert.equal((await b.applications.findByAppId(t.id, app.appId))?.identifierUris?.[0], `api://orders-${round}`);
      }
    });

    test('an identifier URI another app holds is still refused', async () => {
      const t = await tenant();
      const { application } = contractRecords(t.id, NOW);
      assert.equal(await createFixedApplication(a.applications, application({ identifierUris: ['api://taken'] })), true);
      await assert.rejects(
        createFixedApplication(b.applications, application({ identifierUris: ['api://taken'] })),
        /duplicate_identifier_uri/,
      );
    });
  });
}
