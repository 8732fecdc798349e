import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createApp, type PortcullisApp } from '../../src/app.js';
import { ManualClock } from '../../src/clock.js';
import { makeAppConfig } from '../../src/config.js';
import { openPostgresStore } from '../../src/store/postgres/open.js';
import type { Store } from '../../src/store/store.js';
import { PASSWORD, PUBLIC_URL, seedDirectory, type Harness } from '../helpers/harness.js';
import { PG_TEST_URL, freshSchema, requirePostgres } from '../helpers/postgres.js';
import { SOURCE_A, SOURCE_B, passwordGrant } from './abuse-helpers.js';

/**
 * Lockout state lives in the shared database: failures counted by one instance lock the account
 * on another, and concurrent failures on two instances are all counted.
 */
if (await requirePostgres('smart lockout across PostgreSQL instances')) {
  const clock = new ManualClock(Date.UTC(2026, 2, 1));
  let drop: () => Promise<void>;
  const stores: Store[] = [];
  const apps: PortcullisApp[] = [];
  let a: Harness;
  let b: Harness;
  before(async () => {
    const schema = await freshSchema();
    drop = schema.drop;
    for (let i = 0; i < 2; i++) stores.push(await openPostgresStore({ url: PG_TEST_URL, schema: schema.schema }, clock.now()));
    const users = await seedDirectory(stores[0]!, clock.now());
    for (const store of stores) {
      const app = await createApp({ config: makeAppConfig({ publicUrl: PUBLIC_URL, logLevel: 'silent' }), store, clock });
      await app.http.ready();
      apps.push(app);
    }
    const harness = (i: number): Harness => ({
      app: apps[i]!,
      store: stores[i]!,
      clock,
      dir: '',
      dbFile: '',
      users,
      close: async () => undefined,
    });
    a = harness(0);
    b = harness(1);
  });
  after(async () => {
    for (const app of apps) await app.close();
    for (const store of stores) await store.close();
    await drop();
  });

  test('failures on instance A lock the account on instance B', async () => {
    for (let i = 0; i < 10; i++)
      assert.deepEqual((await passwordGrant(a, 'alice@contoso.test', 'wrong', SOURCE_A)).body.error_codes, [50126]);
    assert.deepEqual((await passwordGrant(b, 'alice@contoso.test', PASSWORD, SOURCE_B)).body.error_codes, [50053]);
    clock.advance(60_000);
    assert.equal((await passwordGrant(b, 'alice@contoso.test', PASSWORD, SOURCE_B)).status, 200);
  });

  test('concurrent failures on both instances are all counted (no lost increments)', async () => {
    const attempts = Array.from({ length: 10 }, (_, i) => passwordGrant(i % 2 ? a : b, 'bob@contoso.test', 'wrong', SOURCE_A));
    const results = await Promise.all(attempts);
    assert.ok(results.every((r) => (r.body.error_codes as number[])[0] === 50126));
    assert.deepEqual((await passwordGrant(a, 'bob@contoso.test', PASSWORD, SOURCE_B)).body.error_codes, [50053]);
  });
}
