import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { makeAppConfig } from '../../src/config.js';
import { keyRetentionMs } from '../../src/core/key-rotation.js';
import { PURGE_ORDER, retentionCutoffs, runRetention } from '../../src/core/retention.js';
import type { SignIn } from '../../src/core/sign-in.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import { TENANT_ID, makeHarness } from '../helpers/harness.js';
import { makeSignIn, makeUser } from '../helpers/sign-ins.js';
import { waitFor } from '../helpers/wait.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 1);

const signIn = (userId: string, createdAt: number): SignIn =>
  makeSignIn(TENANT_ID, { id: userId, userPrincipalName: 'x@contoso.test', displayName: 'X' }, createdAt, { ipAddress: null });

test('retention cutoffs: the log by --retention-days; credentials never before what they signed can expire', () => {
  const week = makeAppConfig({ publicUrl: 'https://idp.test', signIns: { retentionDays: 7 } });
  const cutoffs = retentionCutoffs(week, NOW);
  assert.equal(cutoffs.signIns, NOW - 7 * DAY);
  for (const kind of PURGE_ORDER.filter((k) => k !== 'signIns')) assert.equal(cutoffs[kind], NOW - 7 * DAY);
  const oneDay = makeAppConfig({ publicUrl: 'https://idp.test', signIns: { retentionDays: 1 } });
  assert.ok(keyRetentionMs(oneDay) > DAY, 'the 28 h CAE lifetime is longer than a day');
  assert.equal(retentionCutoffs(oneDay, NOW).grants, NOW - keyRetentionMs(oneDay));
  assert.equal(retentionCutoffs(oneDay, NOW).signIns, NOW - DAY);
  assert.throws(() => makeAppConfig({ publicUrl: 'https://idp.test', signIns: { retentionDays: 0 } }), /at least 1/);
});

test('runRetention in the event loop (a store without cleanOffLoop): bounded batches; a revoke queued meanwhile commits after at most one batch', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-retention-'));
  const store = openSqliteStore(join(dir, 'p.db'), NOW);
  try {
    await store.tenants.insert({ id: TENANT_ID, domain: 'contoso.test', displayName: 'C', createdAt: NOW });
    const user = makeUser(TENANT_ID, 'r@contoso.test', NOW);
    await store.users.insert(user);
    const old = NOW - 40 * DAY;
    await store.signIns.insertMany(Array.from({ length: 2500 }, (_, i) => signIn(user.id, old + i)));
    await store.signIns.insertMany([signIn(user.id, NOW - DAY)]);
    const config = makeAppConfig({ publicUrl: 'https://idp.test' });
    // The path of PostgreSQL and in-memory SQLite: purge in batches, no cleanOffLoop.
    const inLoop = { purge: store.retention.purge.bind(store.retention) };
    const cleanup = runRetention(inLoop, config, NOW, 250);
    const revoked = await store.users.revoke(TENANT_ID, user.id, NOW, { audit: [] });
    assert.equal(revoked?.revocationEpoch, 1);
    const leftWhenRevoked = (await store.signIns.list({ tenantId: TENANT_ID, limit: 5000 })).length;
    assert.ok(leftWhenRevoked > 1000, `the revoke waited for ${2501 - leftWhenRevoked} deletions`);
    const deleted = await cleanup;
    assert.equal(deleted.signIns, 2500);
    assert.equal((await store.signIns.list({ tenantId: TENANT_ID, limit: 5000 })).length, 1);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('serve runs the cleanup job every cleanupIntervalSeconds', async () => {
  const h = await makeHarness({ config: { signIns: { cleanupIntervalSeconds: 0.05 } } });
  try {
    const stale = signIn(h.users.alice!.id, Date.now() - 31 * DAY);
    const fresh = signIn(h.users.alice!.id, Date.now() - DAY);
    await h.store.signIns.insertMany([stale, fresh]);
    await waitFor('the cleanup job', async () => (await h.store.signIns.findById(TENANT_ID, stale.id)) === null, 5000);
    assert.ok(await h.store.signIns.findById(TENANT_ID, fresh.id));
  } finally {
    await h.close();
  }
});
