import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import pg from 'pg';
import { postgresStoreForSuite, requirePostgres } from '../helpers/postgres.js';
import { makeSignIn, makeUser } from '../helpers/sign-ins.js';

// A batch of the sign-in log (core/sign-in-recorder.ts writes one every flush interval while
// tokens are issued) is one statement on PostgreSQL: the entries and every user's activity
// (src/store/postgres/sign-ins.ts `insertMany`), not a transaction of five round trips.
const TENANT = '51111111-2222-4333-8444-555555555555';
const NOW = Date.UTC(2026, 5, 1);

if (await requirePostgres('PostgreSQL sign-in batch in one statement')) {
  describe('PostgreSQL sign-in batch in one statement', () => {
    const suite = postgresStoreForSuite({ id: TENANT, domain: 'signins.test', displayName: 'Sign-ins' }, NOW);

    test('entries of two users: one statement stores the entries and both users’ activity', async () => {
      const ann = makeUser(TENANT, 'ann@signins.test', NOW);
      const ben = makeUser(TENANT, 'ben@signins.test', NOW);
      await suite.store.users.insert(ann);
      await suite.store.users.insert(ben);
      const entries = [
        makeSignIn(TENANT, ann, NOW + 1),
        makeSignIn(TENANT, ann, NOW + 2, { isInteractive: false }),
        makeSignIn(TENANT, ben, NOW + 3, { isInteractive: false }),
      ];
      const sent: string[] = [];
      const query = pg.Client.prototype.query;
      pg.Client.prototype.query = function (this: pg.Client, config: unknown, ...rest: unknown[]) {
        sent.push(String(typeof config === 'string' ? config : (config as { text?: string }).text).slice(0, 30));
        return (query as (...a: unknown[]) => unknown).call(this, config, ...rest);
      } as typeof query;
      try {
        await suite.store.signIns.insertMany(entries);
      } finally {
        pg.Client.prototype.query = query;
      }
      assert.equal(sent.length, 1, JSON.stringify(sent));
      const listed = await suite.store.signIns.list({ tenantId: TENANT, limit: 10 });
      assert.deepEqual(
        listed.map((e) => e.id),
        [...entries].reverse().map((e) => e.id),
      );
      const activity = await suite.store.signIns.activity([ann.id, ben.id]);
      assert.equal(activity.get(ann.id)?.lastSignInAt, NOW + 1);
      assert.equal(activity.get(ann.id)?.lastNonInteractiveSignInAt, NOW + 2);
      assert.equal(activity.get(ann.id)?.lastSuccessfulSignInAt, NOW + 2);
      assert.equal(activity.get(ben.id)?.lastNonInteractiveSignInAt, NOW + 3);
      assert.equal(activity.get(ben.id)?.lastSignInAt, null);
    });
  });
}
