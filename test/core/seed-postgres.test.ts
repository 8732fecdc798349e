import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../src/clock.js';
import { applySeed, parseSeed } from '../../src/core/seed.js';
import { deleteUser, updateUser } from '../../src/core/user-management.js';
import { verifySecret } from '../../src/crypto/passwords.js';
import { openPostgresStore } from '../../src/store/postgres/open.js';
import type { Store } from '../../src/store/store.js';
import { PG_TEST_URL, freshSchema, requirePostgres } from '../helpers/postgres.js';

/** The seed records on the real PostgreSQL server: runtime changes survive a re-apply there too. */
const TENANT = { id: '6b9f0c55-8d2e-4f7a-9c3b-5e6d7f8a9b0c', domain: 'pg-seed.test', displayName: 'PG' };
const seedJson = {
  tenant: TENANT,
  users: [
    { userPrincipalName: 'alice@pg-seed.test', displayName: 'Alice', password: 'Seeded-Alice-1' },
    { userPrincipalName: 'bob@pg-seed.test', displayName: 'Bob', password: 'Seeded-Bob-1' },
  ],
  applications: [
    { appId: '7a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d', displayName: 'App', passwordCredentials: [{ secretText: 'app-secret-0123456789' }] },
  ],
};
const RUNTIME = { actor: { user: { id: 'admin', userPrincipalName: 'admin@pg-seed.test', displayName: 'Admin' } }, correlationId: 'c' };

if (await requirePostgres('seed on PostgreSQL')) {
  describe('seed on PostgreSQL', () => {
    let store: Store;
    let drop: () => Promise<void>;
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    before(async () => {
      const schema = await freshSchema();
      drop = schema.drop;
      store = await openPostgresStore({ url: PG_TEST_URL, schema: schema.schema });
    });
    after(async () => {
      await store.close();
      await drop();
    });

    it('keeps a runtime password reset and deletion; an unchanged seed runs no argon2', async () => {
      const first = await applySeed(store, parseSeed(seedJson), clock);
      assert.equal(first.created, 4);
      const deps = { store, clock, tenant: { ...TENANT, createdAt: 0 } };
      const alice = await store.users.findByUserPrincipalName(TENANT.id, 'alice@pg-seed.test');
      const bob = await store.users.findByUserPrincipalName(TENANT.id, 'bob@pg-seed.test');
      assert.ok(alice && bob);
      await updateUser(deps, alice, { password: 'Runtime-Reset-1' }, RUNTIME);
      await deleteUser(deps, bob, RUNTIME);

      const again = await applySeed(store, parseSeed(seedJson), clock);
      assert.deepEqual([again.created, again.updated, again.unchanged, again.skipped, again.adopted, again.argon2], [0, 0, 3, 1, 0, 0]);
      assert.equal(await verifySecret((await store.users.findById(TENANT.id, alice.id))?.passwordHash ?? '', 'Runtime-Reset-1'), true);
      assert.equal(await store.users.findByUserPrincipalName(TENANT.id, 'bob@pg-seed.test'), null);
    });
  });
}
