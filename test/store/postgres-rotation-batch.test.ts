import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import pg from 'pg';
import type { Application, RefreshTokenRecord } from '../../src/core/model.js';
import { newGuid } from '../../src/crypto/random.js';
import { ConflictError } from '../../src/store/store.js';
import { postgresStoreForSuite, requirePostgres } from '../helpers/postgres.js';
import { contractRecords } from './contract-records.js';

// Rotations asked at the same time share one read and one compare-and-set statement on
// PostgreSQL (src/store/postgres/rotation.ts, RotationGroupCommit), and client lookups asked at
// the same time share one read (src/store/postgres/directory.ts). Each rotation must still get the
// answer it would get alone, and one rotation's failure must not fail the others.
const TENANT = '41111111-2222-4333-8444-555555555555';
const NOW = Date.UTC(2026, 5, 1);
const { liveChain } = contractRecords(TENANT, NOW);

/** Counts the statements this process sends to PostgreSQL while `fn` runs, by their first words. */
async function counting<T>(fn: () => Promise<T>): Promise<{ result: T; sent: string[] }> {
  const sent: string[] = [];
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, config: unknown, ...rest: unknown[]) {
    const text = typeof config === 'string' ? config : ((config as { text?: string } | null)?.text ?? '');
    sent.push(text.replace(/\s+/g, ' ').trim().slice(0, 40));
    return (query as (...a: unknown[]) => unknown).call(this, config, ...rest);
  } as typeof query;
  try {
    return { result: await fn(), sent };
  } finally {
    pg.Client.prototype.query = query;
  }
}

if (await requirePostgres('PostgreSQL rotations and client lookups asked together')) {
  describe('PostgreSQL rotations and client lookups asked together', () => {
    const suite = postgresStoreForSuite({ id: TENANT, domain: 'batch.test', displayName: 'Batch' }, NOW);

    /** A user with one grant and one live refresh token. */
    const chain = (label: string) => liveChain(suite.store, `${label}-${newGuid()}@batch.test`, `${label}-${newGuid()}`);
    const successor = (hash: string) => (current: RefreshTokenRecord) => ({ ...current, hash, issuedAt: NOW + 10, consumedAt: null });
    const rotate = (hash: string, next: string, clientId = 'client-a') =>
      suite.store.grants.rotate(hash, clientId, NOW + 10, successor(next), 0);

    test('ten rotations asked in one turn: one read and one write for all of them, each stored', async () => {
      const chains = await Promise.all(Array.from({ length: 10 }, (_, i) => chain(`ten${i}`)));
      const { result, sent } = await counting(() => Promise.all(chains.map((c) => rotate(c.hash, `${c.hash}-next`))));
      assert.deepEqual(
        result.map((r) => r.ok),
        chains.map(() => true),
      );
      assert.equal(sent.length, 2, `statements sent: ${JSON.stringify(sent)}`);
      for (const c of chains) {
        const stored = await suite.store.grants.findRefreshToken(`${c.hash}-next`);
        assert.equal(stored?.token.consumedAt, null, 'the successor is live');
        assert.notEqual((await suite.store.grants.findRefreshToken(c.hash))?.token.consumedAt, null, 'the presented token is consumed');
      }
    });

    test('one batch, each rotation its own answer: live, revoked user, disabled user, revoked grant, unknown, other client', async () => {
      const live = await chain('live');
      const revoked = await chain('revoked');
      const disabled = await chain('disabled');
      const family = await chain('family');
      const other = await chain('other');
      await suite.store.users.revoke(TENANT, revoked.userId, NOW + 5, { audit: [] });
      await suite.store.users.update(TENANT, disabled.userId, { accountEnabled: false }, { audit: [] });
      await suite.store.grants.revoke(family.grantId, NOW + 5);
      const answers = await Promise.all([
        rotate(live.hash, 'mixed-live'),
        rotate(revoked.hash, 'mixed-revoked'),
        rotate(disabled.hash, 'mixed-disabled'),
        rotate(family.hash, 'mixed-family'),
        rotate('no-such-token', 'mixed-unknown'),
        rotate(other.hash, 'mixed-other', 'client-b'),
      ]);
      assert.deepEqual(
        answers.map((r) => (r.ok ? 'ok' : r.reason)),
        ['ok', 'revoked', 'disabled', 'revoked', 'not_found', 'not_found'],
      );
      for (const h of ['mixed-revoked', 'mixed-disabled', 'mixed-family', 'mixed-unknown', 'mixed-other']) {
        assert.equal(await suite.store.grants.findRefreshToken(h), null, `${h} not stored`);
      }
      assert.equal(
        (await suite.store.grants.findRefreshToken(other.hash))?.token.consumedAt,
        null,
        "another client's attempt does not burn it",
      );
    });

    test('the same token twice in one batch: exactly one rotation succeeds', async () => {
      const c = await chain('twice');
      const answers = await Promise.all([rotate(c.hash, 'twice-a'), rotate(c.hash, 'twice-b')]);
      assert.equal(answers.filter((r) => r.ok).length, 1, JSON.stringify(answers.map((r) => (r.ok ? 'ok' : r.reason))));
    });

    test('a rotation whose write fails fails alone: the others of its batch are stored', async () => {
      const taken = await chain('taken');
      const chains = await Promise.all(Array.from({ length: 4 }, (_, i) => chain(`fine${i}`)));
      const bad = await chain('bad');
      // Its successor's hash is already a stored token: the batch's one INSERT would violate the key.
      const answers = await Promise.allSettled([...chains.map((c) => rotate(c.hash, `${c.hash}-next`)), rotate(bad.hash, taken.hash)]);
      assert.deepEqual(
        answers.slice(0, 4).map((a) => (a.status === 'fulfilled' ? a.value.ok : a.reason)),
        [true, true, true, true],
      );
      const last = answers[4] as PromiseSettledResult<unknown>;
      assert.equal(last.status, 'rejected');
      assert.ok((last as PromiseRejectedResult).reason instanceof ConflictError);
      for (const c of chains) assert.ok(await suite.store.grants.findRefreshToken(`${c.hash}-next`));
      assert.equal((await suite.store.grants.findRefreshToken(bad.hash))?.token.consumedAt, null, 'the failed rotation consumed nothing');
    });

    test('client lookups asked in one turn share one read; each gets its own answer and object', async () => {
      const apps = await Promise.all(
        ['one', 'two'].map(async (name) => {
          const appId = newGuid();
          const app: Application = {
            tenantId: TENANT,
            appId,
            displayName: name,
            publicClientRedirectUris: [],
            webRedirectUris: [],
            spaRedirectUris: [],
            secrets: [],
            allowPublicClientFlows: true,
            delegatedPermissions: [],
            applicationPermissions: [],
            createdAt: NOW,
          };
          await suite.store.applications.upsert(app);
          return appId;
        }),
      );
      const unknown = newGuid();
      const { result, sent } = await counting(() =>
        Promise.all([apps[0], apps[1], apps[0], unknown].map((id) => suite.store.applications.findByAppId(TENANT, id as string))),
      );
      assert.equal(sent.length, 1, `statements sent: ${JSON.stringify(sent)}`);
      assert.deepEqual(
        result.map((a) => a?.displayName ?? null),
        ['one', 'two', 'one', null],
      );
      assert.notEqual(result[0], result[2], 'two callers of one app get two objects');
    });
  });
}
