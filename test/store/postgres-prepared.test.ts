import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RefreshTokenRecord } from '../../src/core/model.js';
import { newGuid } from '../../src/crypto/random.js';
import { openPostgresStore } from '../../src/store/postgres/open.js';
import type { Store } from '../../src/store/store.js';
import { PG_TEST_URL, adminQuery, freshSchema, requirePostgres } from '../helpers/postgres.js';
import { contractRecords } from './contract-records.js';

// The token path's reads are prepared statements by name (src/store/postgres/database.ts
// `statement`). A migration run by a newer instance that adds a column makes PostgreSQL refuse
// a prepared `SELECT *` ("cached plan must not change result type") on every connection that
// prepared it; an instance still running must keep answering, not fail every refresh.
const TENANT = '31111111-2222-4333-8444-555555555555';
const NOW = Date.UTC(2026, 5, 1);
const { user, grant } = contractRecords(TENANT, NOW);

if (await requirePostgres('PostgreSQL prepared statements across a schema change')) {
  describe('PostgreSQL prepared statements across a schema change', () => {
    let store: Store;
    let schema: string;
    let drop: () => Promise<void>;
    before(async () => {
      ({ schema, drop } = await freshSchema());
      // One connection, so the statements prepared before the change are the ones used after it.
      store = await openPostgresStore({ url: PG_TEST_URL, schema, poolMax: 1 });
      await store.tenants.insert({ id: TENANT, domain: 'prepared.test', displayName: 'Prepared', createdAt: NOW });
    });
    after(async () => {
      await store.close();
      await drop();
    });

    test('refresh-token rotation and the client lookup keep working after columns are added', async () => {
      const u = user('prepared@prepared.test');
      await store.users.insert(u);
      const g = grant(u, 'client-p', null);
      const token = (hash: string): RefreshTokenRecord => ({
        hash,
        grantId: g.id,
        tenantId: TENANT,
        userId: u.id,
        clientId: 'client-p',
        scopes: g.scopes,
        epoch: 0,
        issuedAt: NOW,
        expiresAt: NOW + 3600_000,
        consumedAt: null,
      });
      assert.ok(await store.grants.create(g, token('p-0')));
      const next = (hash: string) => (current: RefreshTokenRecord) => ({ ...current, hash, issuedAt: NOW + 1 });
      assert.ok((await store.grants.rotate('p-0', 'client-p', NOW + 1, next('p-1'), 0)).ok, 'prepared before the change');
      assert.equal(await store.applications.findByAppId(TENANT, newGuid()), null);

      for (const table of ['refresh_tokens', 'grants', 'users', 'applications']) {
        await adminQuery(`ALTER TABLE ${schema}.${table} ADD COLUMN added_by_a_later_version TEXT`);
      }

      const after = await store.grants.rotate('p-1', 'client-p', NOW + 2, next('p-2'), 0);
      assert.ok(after.ok, 'rotation after the change');
      assert.equal(after.user.id, u.id);
      assert.ok((await store.grants.rotate('p-2', 'client-p', NOW + 3, next('p-3'), 0)).ok, 'and the one after');
      assert.equal(await store.applications.findByAppId(TENANT, newGuid()), null, 'client lookup after the change');
    });
  });
}
