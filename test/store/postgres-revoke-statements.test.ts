import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { ManualClock } from '../../src/clock.js';
import { revokeUserSessions } from '../../src/core/revocation.js';
import type { RefreshTokenRecord } from '../../src/core/model.js';
import { REFRESH_TOKEN_ID_LENGTH } from '../../src/core/revocation-receipt.js';
import { newGuid } from '../../src/crypto/random.js';
import { oneStatement, returned, type Write } from '../../src/store/postgres/one-statement.js';
import type { Store } from '../../src/store/store.js';
import { freshPostgresStore, requirePostgres } from '../helpers/postgres.js';
import { contractRecords } from './contract-records.js';

// A revoke on PostgreSQL waits for a turn of a busy event loop per statement (BENCHMARKS.md,
// "PostgreSQL pinned"), so it sends as few as the lock order allows (src/store/postgres/directory.ts
// revokeIn): the user row locked, the cut read in a statement of its own, then every write in one.
const TENANT = '41111111-2222-4333-8444-555555555555';
const NOW = Date.UTC(2026, 5, 1);
const { user, session, grant } = contractRecords(TENANT, NOW);

/** The statements node-postgres sends while `fn` runs, by their first words. */
async function statementsOf(fn: () => Promise<unknown>): Promise<string[]> {
  const sent: string[] = [];
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, config: unknown, ...rest: unknown[]) {
    const text = typeof config === 'string' ? config : ((config as { text?: string } | null)?.text ?? '');
    sent.push(text.replace(/\s+/g, ' ').trim().split(' ').slice(0, 3).join(' '));
    return (query as (...a: unknown[]) => unknown).call(this, config, ...rest);
  } as typeof query;
  try {
    await fn();
  } finally {
    pg.Client.prototype.query = query;
  }
  return sent;
}

test('oneStatement: a returned value becomes a subquery of the earlier write; misuse is refused', () => {
  const event: Write = { sql: 'INSERT INTO e (a) VALUES (?) RETURNING id', args: ['x'], returning: 'id' };
  const receipt: Write = { sql: 'INSERT INTO r (b, event_id, c) VALUES (?, ?, ?)', args: ['y', returned(event), 'z'] };
  assert.deepEqual(oneStatement([event, receipt]), {
    text: 'WITH w0 AS (INSERT INTO e (a) VALUES ($1) RETURNING id), w1 AS (INSERT INTO r (b, event_id, c) VALUES ($2, (SELECT id FROM w0), $3)) SELECT (SELECT id FROM w0) AS w0',
    values: ['x', 'y', 'z'],
  });
  assert.throws(() => oneStatement([receipt, event]), /later write/);
  assert.throws(() => oneStatement([{ sql: 'UPDATE t SET a = ?', args: [1, 2] }]), /1 placeholders and 2 values/);
});

if (await requirePostgres('PostgreSQL revoke statements')) {
  describe('PostgreSQL revoke statements', () => {
    let store: Store;
    let close: () => Promise<void>;
    before(async () => {
      ({ store, close } = await freshPostgresStore({ id: TENANT, domain: 'statements.test', displayName: 'Statements' }, NOW));
    });
    after(() => close());

    test('a revoke with its event, receipt and audit record: BEGIN, the lock, the cut, the writes, COMMIT', async () => {
      const u = user(`revoke-${newGuid()}@statements.test`);
      await store.users.insert(u);
      const live = session(u);
      await store.sessions.insert(live);
      const g = grant(u, 'app-a', live.id);
      const token: RefreshTokenRecord = {
        hash: `${newGuid()}${newGuid()}`,
        grantId: g.id,
        tenantId: TENANT,
        userId: u.id,
        clientId: 'app-a',
        scopes: g.scopes,
        epoch: 0,
        issuedAt: NOW,
        expiresAt: NOW + 3600_000,
        consumedAt: null,
      };
      await store.grants.create(g, token);
      const correlationId = newGuid();
      const actor = { user: { id: 'admin-id', userPrincipalName: 'admin@statements.test', displayName: 'Admin' } };

      const sent = await statementsOf(() => revokeUserSessions(store, new ManualClock(NOW + 1), { target: u, actor, correlationId }));

      assert.deepEqual(sent, ['BEGIN ISOLATION LEVEL', 'SELECT u.*, (SELECT', 'WITH g AS', 'WITH w0 AS', 'COMMIT']);
      // What the one statement wrote: the event, the receipt naming it, the epoch, the audit record and its index rows.
      const [event] = await store.outbox.listEvents({ userId: u.id, limit: 5 });
      const receipt = await store.receipts.findByCorrelationId(TENANT, correlationId);
      assert.ok(event && receipt);
      assert.equal(receipt.eventId, event.id);
      assert.deepEqual(receipt.cut, {
        sessionIds: [live.id],
        applications: [
          { appId: 'app-a', grantIds: [g.id], refreshTokenIds: [token.hash.slice(0, REFRESH_TOKEN_ID_LENGTH)], sessionIds: [live.id] },
        ],
      });
      assert.equal((await store.users.findById(TENANT, u.id))?.revocationEpoch, 1);
      const byTarget = await store.audit.list({ tenantId: TENANT, targetId: u.id, limit: 5 });
      const byInitiator = await store.audit.list({ tenantId: TENANT, initiatorUserId: 'admin-id', limit: 5 });
      assert.deepEqual(
        byTarget.map((a) => a.correlationId),
        [correlationId],
      );
      assert.deepEqual(
        byInitiator.map((a) => a.correlationId),
        [correlationId],
      );
    });
  });
}
