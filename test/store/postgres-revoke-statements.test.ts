import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import pg from 'pg';
import { ManualClock } from '../../src/clock.js';
import { userManagementRecord, userTarget } from '../../src/core/audit.js';
import { revokeUserSessions } from '../../src/core/revocation.js';
import type { RefreshTokenRecord } from '../../src/core/model.js';
import { REFRESH_TOKEN_ID_LENGTH } from '../../src/core/revocation-receipt.js';
import { newGuid } from '../../src/crypto/random.js';
import { oneStatement, returned, type Write } from '../../src/store/postgres/one-statement.js';
import { postgresStoreForSuite, requirePostgres } from '../helpers/postgres.js';
import { contractRecords } from './contract-records.js';

// A revoke on PostgreSQL waits for a turn of a busy event loop per statement (BENCHMARKS.md,
// "PostgreSQL pinned"), so it sends as few as the lock order allows (src/store/postgres/directory.ts
// revokeIn): the user row locked, the cut read in a statement of its own, then every write in one.
const TENANT = '41111111-2222-4333-8444-555555555555';
const NOW = Date.UTC(2026, 5, 1);
const { user, session, grant } = contractRecords(TENANT, NOW);

/**
 * What node-postgres does while `fn` runs: `>` a statement sent (by its first words), `<` its
 * answer received. Each run of sends is one round trip.
 */
async function statementsOf(fn: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, config: unknown, ...rest: unknown[]) {
    const text = typeof config === 'string' ? config : ((config as { text?: string } | null)?.text ?? '');
    const name = text.replace(/\s+/g, ' ').trim().split(' ').slice(0, 3).join(' ');
    seen.push(`> ${name}`);
    const answer = (query as (...a: unknown[]) => Promise<unknown>).call(this, config, ...rest);
    answer.then(
      () => seen.push(`< ${name}`),
      () => seen.push(`< ${name} failed`),
    );
    return answer;
  } as typeof query;
  try {
    await fn();
  } finally {
    pg.Client.prototype.query = query;
  }
  return seen;
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
    const suite = postgresStoreForSuite({ id: TENANT, domain: 'statements.test', displayName: 'Statements' }, NOW);

    test('a revoke with its event, receipt and audit record: BEGIN, the lock and the cut in one round trip, the writes and COMMIT in another', async () => {
      const u = user(`revoke-${newGuid()}@statements.test`);
      await suite.store.users.insert(u);
      const live = session(u);
      await suite.store.sessions.insert(live);
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
      await suite.store.grants.create(g, token);
      const correlationId = newGuid();
      const actor = { user: { id: 'admin-id', userPrincipalName: 'admin@statements.test', displayName: 'Admin' } };

      const sent = await statementsOf(() => revokeUserSessions(suite.store, new ManualClock(NOW + 1), { target: u, actor, correlationId }));

      // Two round trips: BEGIN with the lock and the cut read (each a statement of its own), then
      // the writes with COMMIT.
      assert.deepEqual(sent, [
        '> BEGIN ISOLATION LEVEL',
        '> SELECT u.*, (SELECT',
        '> WITH g AS',
        '< BEGIN ISOLATION LEVEL',
        '< SELECT u.*, (SELECT',
        '< WITH g AS',
        '> WITH w0 AS',
        '> COMMIT',
        '< WITH w0 AS',
        '< COMMIT',
      ]);
      // What the one statement wrote: the event, the receipt naming it, the epoch, the audit record and its index rows.
      const [event] = await suite.store.outbox.listEvents({ userId: u.id, limit: 5 });
      const receipt = await suite.store.receipts.findByCorrelationId(TENANT, correlationId);
      assert.ok(event && receipt);
      assert.equal(receipt.eventId, event.id);
      assert.deepEqual(receipt.cut, {
        sessionIds: [live.id],
        applications: [
          { appId: 'app-a', grantIds: [g.id], refreshTokenIds: [token.hash.slice(0, REFRESH_TOKEN_ID_LENGTH)], sessionIds: [live.id] },
        ],
      });
      assert.equal((await suite.store.users.findById(TENANT, u.id))?.revocationEpoch, 1);
      const byTarget = await suite.store.audit.list({ tenantId: TENANT, targetId: u.id, limit: 5 });
      const byInitiator = await suite.store.audit.list({ tenantId: TENANT, initiatorUserId: 'admin-id', limit: 5 });
      assert.deepEqual(
        byTarget.map((a) => a.correlationId),
        [correlationId],
      );
      assert.deepEqual(
        byInitiator.map((a) => a.correlationId),
        [correlationId],
      );
    });

    test('a revoke whose writes fail is not acknowledged and leaves nothing: COMMIT went out with them, and answered ROLLBACK', async () => {
      const u = user(`failing-${newGuid()}@statements.test`);
      await suite.store.users.insert(u);
      const correlationId = newGuid();
      const actor = { app: { appId: newGuid(), displayName: 'Admin app' } };
      // PostgreSQL refuses a NUL in text (22021): the statement of writes fails, after the lock and the cut succeeded.
      const record = userManagementRecord({
        tenantId: TENANT,
        at: NOW + 1,
        activity: 'Update StsRefreshTokenValidFrom Timestamp\u0000',
        operationType: 'Update',
        actor,
        correlationId,
        target: userTarget(u),
      });
      const sent = await statementsOf(() =>
        assert.rejects(
          suite.store.users.revoke(TENANT, u.id, NOW + 1, {
            audit: [record],
            securityEvent: { type: 'sessions-revoked', occurredAt: NOW + 1, initiatingEntity: 'admin', initiatedBy: actor, correlationId },
            receipt: { kind: 'revokeSignInSessions', correlationId, initiatedBy: actor },
          }),
          (e: { code?: string }) => e.code === '22021',
        ),
      );
      assert.ok(sent.includes('< WITH w0 AS failed'), sent.join(', '));
      assert.equal((await suite.store.users.findById(TENANT, u.id))?.revocationEpoch, 0);
      assert.equal(await suite.store.receipts.findByCorrelationId(TENANT, correlationId), null);
      assert.deepEqual(await suite.store.outbox.listEvents({ userId: u.id, limit: 5 }), []);
    });
  });
}
