import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import pg from 'pg';
import { newGuid } from '../../src/crypto/random.js';
import { PG_TEST_URL, postgresStoreForSuite, requirePostgres } from '../helpers/postgres.js';
import { contractRecords } from './contract-records.js';

// Rotation on PostgreSQL first tries two statements without a transaction
// (src/store/postgres/rotation.ts): an unlocked read, then a compare-and-set that locks the grant
// and the user only if they still allow it. These cases hold a conflicting change open in another
// connection, let the rotation read the old state and queue behind that lock, then commit the
// change: the rotation must see it (as the locking transaction would) and store nothing.
const TENANT = '21111111-2222-4333-8444-555555555555';
const NOW = Date.UTC(2026, 5, 1);
const { liveChain } = contractRecords(TENANT, NOW);

if (await requirePostgres('PostgreSQL rotation against changes committed while it waits')) {
  describe('PostgreSQL rotation against changes committed while it waits', () => {
    const suite = postgresStoreForSuite({ id: TENANT, domain: 'race.test', displayName: 'Race' }, NOW);

    /** A user with one grant and one live refresh token; returns the ids and the token's hash. */
    const chain = () => liveChain(suite.store, `${newGuid()}@race.test`, newGuid());

    /**
     * Runs `change` in an open transaction of its own connection, starts `rotate`, waits (bounded)
     * until the rotation is blocked by that transaction, commits, and returns the rotation's answer.
     */
    async function rotateWhileHeld(change: (c: pg.Client) => Promise<unknown>, hash: string, successor: string) {
      const holder = new pg.Client({ connectionString: PG_TEST_URL, options: `-c search_path=${suite.schema}` });
      await holder.connect();
      try {
        await holder.query('BEGIN');
        await change(holder);
        const holderPid = (await holder.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
        const rotation = suite.store.grants.rotate(
          hash,
          'client-a',
          NOW + 10,
          (current) => ({ ...current, hash: successor, issuedAt: NOW + 10, consumedAt: null }),
          0,
        );
        const watcher = new pg.Client({ connectionString: PG_TEST_URL });
        await watcher.connect();
        let blocked = false;
        try {
          for (let i = 0; i < 200 && !blocked; i++) {
            const { rows } = await watcher.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))', [
              holderPid,
            ]);
            blocked = rows[0].n > 0;
            if (!blocked) await new Promise((r) => setTimeout(r, 25));
          }
        } finally {
          await watcher.end();
        }
        assert.ok(blocked, 'the rotation queued behind the open change');
        await holder.query('COMMIT');
        return await rotation;
      } finally {
        await holder.end();
      }
    }

    test('a revoke of the user that commits while the rotation waits refuses it (revoked), nothing stored', async () => {
      const { userId, hash } = await chain();
      const r = await rotateWhileHeld(
        (c) =>
          c.query('UPDATE users SET revocation_epoch = revocation_epoch + 1, refresh_tokens_valid_from = $2 WHERE id = $1', [
            userId,
            NOW + 5,
          ]),
        hash,
        'succ-revoked',
      );
      assert.equal(r.ok ? 'ok' : r.reason, 'revoked');
      assert.equal(await suite.store.grants.findRefreshToken('succ-revoked'), null, 'no successor');
      assert.equal((await suite.store.grants.findRefreshToken(hash))?.token.consumedAt, null, 'the token is not consumed');
    });

    test('disabling the account while the rotation waits refuses it (disabled)', async () => {
      const { userId, hash } = await chain();
      const r = await rotateWhileHeld(
        (c) => c.query('UPDATE users SET account_enabled = false WHERE id = $1', [userId]),
        hash,
        'succ-disabled',
      );
      assert.equal(r.ok ? 'ok' : r.reason, 'disabled');
      assert.equal(await suite.store.grants.findRefreshToken('succ-disabled'), null);
    });

    test('a family revoke that commits while the rotation waits refuses it (revoked)', async () => {
      const { grantId, hash } = await chain();
      const r = await rotateWhileHeld(
        (c) => c.query('UPDATE grants SET revoked_at = $2 WHERE id = $1', [grantId, NOW + 5]),
        hash,
        'succ-grant',
      );
      assert.equal(r.ok ? 'ok' : r.reason, 'revoked');
      assert.equal(await suite.store.grants.findRefreshToken('succ-grant'), null);
    });

    test('another rotation of the same token that commits first wins; this one is refused (consumed)', async () => {
      const { hash } = await chain();
      const r = await rotateWhileHeld(
        (c) => c.query('UPDATE refresh_tokens SET consumed_at = $2 WHERE hash = $1', [hash, NOW + 5]),
        hash,
        'succ-consumed',
      );
      assert.equal(r.ok ? 'ok' : r.reason, 'consumed');
      assert.equal(await suite.store.grants.findRefreshToken('succ-consumed'), null);
    });

    test('a change that does not concern the rotation lets it through once committed', async () => {
      const { userId, hash } = await chain();
      const r = await rotateWhileHeld((c) => c.query(`UPDATE users SET display_name = 'Renamed' WHERE id = $1`, [userId]), hash, 'succ-ok');
      assert.ok(r.ok);
      assert.equal((await suite.store.grants.findRefreshToken('succ-ok'))?.token.consumedAt, null, 'the successor is live');
      assert.equal((await suite.store.grants.findRefreshToken(hash))?.token.consumedAt, NOW + 10, 'the token is consumed');
    });
  });
}
