import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after as afterAll, test } from 'node:test';
import { makeAppConfig } from '../../src/config.js';
import type { Grant, RefreshTokenRecord } from '../../src/core/model.js';
import { retentionCutoffs, runRetention, startRetentionJob } from '../../src/core/retention.js';
import { newGuid } from '../../src/crypto/random.js';
import { SqliteDb } from '../../src/store/sqlite/database.js';
import { sqliteStoreOn } from '../../src/store/sqlite/open.js';
import type { Store } from '../../src/store/store.js';
import { makeSignIn, makeUser } from '../helpers/sign-ins.js';
import { waitFor } from '../helpers/wait.js';
import { storedSigningKey } from './contract-records.js';

/**
 * The retention cleanup of a SQLite database in a file runs on its own thread and connection
 * (src/store/sqlite/cleanup-worker.ts): it deletes exactly what the batches in the event loop
 * delete, never while the event loop does it, gives way to the server's writes, stops on request
 * and reports its failures. An in-memory database keeps the batches in the event loop.
 */

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 1);
const TENANT = 'b1c2d3e4-0000-4000-8000-00000000c1ea';
const config = makeAppConfig({ publicUrl: 'https://idp.test' });
const cutoffs = retentionCutoffs(config, NOW);

interface Opened {
  db: SqliteDb;
  store: Store;
  file: string;
}

function open(file: string): Opened {
  const db = new SqliteDb(file);
  db.migrate(NOW);
  return { db, store: sqliteStoreOn(db), file };
}

const dirs: string[] = [];
function tempDir(): { dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-cleanup-worker-'));
  dirs.push(dir);
  return { dir };
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Every kind: `n` of what is due and some of what must stay. */
async function seedMix(store: Store, n: number): Promise<void> {
  await store.tenants.insert({ id: TENANT, domain: 'cleanup.test', displayName: 'C', createdAt: NOW });
  const user = makeUser(TENANT, 'c@cleanup.test', NOW);
  await store.users.insert(user);
  const old = NOW - 40 * DAY;
  const signIn = (at: number) => makeSignIn(TENANT, user, at, { ipAddress: null });
  await store.signIns.insertMany([...Array.from({ length: n }, (_, i) => signIn(old + i)), signIn(NOW - DAY)]);
  const grant = (o: Partial<Grant> = {}): Grant => ({
    id: newGuid(),
    tenantId: TENANT,
    userId: user.id,
    clientId: 'client-c',
    sessionId: null,
    scopes: ['openid'],
    epoch: 0,
    authTime: old,
    createdAt: old,
    revokedAt: null,
    ...o,
  });
  const token = (g: Grant, o: Partial<RefreshTokenRecord> = {}): RefreshTokenRecord => ({
    hash: newGuid(),
    grantId: g.id,
    tenantId: TENANT,
    userId: user.id,
    clientId: g.clientId,
    scopes: g.scopes,
    epoch: 0,
    issuedAt: g.createdAt,
    expiresAt: g.createdAt + DAY,
    consumedAt: null,
    ...o,
  });
  for (let i = 0; i < n; i++) {
    const expired = grant({ createdAt: old + i });
    await store.grants.create(expired, token(expired));
    // Every third one a sign-in that keeps refreshing: its grant and token stay.
    if (i % 3 === 0) {
      const live = grant({ createdAt: old + i });
      await store.grants.create(live, token(live, { issuedAt: NOW, expiresAt: NOW + 90 * DAY }));
    }
  }
  const consumed = grant();
  await store.grants.create(consumed, token(consumed, { consumedAt: old + 5, expiresAt: NOW + DAY }));
  const revoked = grant({ revokedAt: old + 10 });
  await store.grants.create(revoked, token(revoked, { expiresAt: NOW + DAY }));
  const session = (o: { endedAt?: number | null; expiresAt: number }) => ({
    id: newGuid(),
    tokenHash: newGuid(),
    tenantId: TENANT,
    userId: user.id,
    epoch: 0,
    authTime: old,
    createdAt: old,
    endedAt: null,
    ...o,
  });
  await store.sessions.insert(session({ expiresAt: old + 1000 }));
  await store.sessions.insert(session({ expiresAt: NOW + DAY, endedAt: old + 1000 }));
  await store.sessions.insert(session({ expiresAt: NOW + DAY }));
  const key = (kid: string, activatesAt: number, retiredAt: number | null) => storedSigningKey(kid, old, activatesAt, retiredAt);
  await store.keys.insert(key('withdrawn', old, old + 1));
  await store.keys.insert(key('unretired', old, null));
  await store.keys.insert(key('newest', NOW + 3650 * DAY, old + 2));
}

const TABLES = {
  sign_ins: 'id',
  grants: 'id',
  refresh_tokens: 'hash',
  sso_sessions: 'token_hash',
  signing_keys: 'kid',
} as const;

/** The keys left in every table retention touches. */
function remaining(db: SqliteDb): Record<string, string[]> {
  return Object.fromEntries(
    Object.entries(TABLES).map(([table, key]) => [
      table,
      (db.db.prepare(`SELECT ${key} AS k FROM ${table} ORDER BY ${key}`).all() as { k: string }[]).map((r) => r.k),
    ]),
  );
}

const count = (db: SqliteDb, table: keyof typeof TABLES): number =>
  (db.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

test('a database in a file is cleaned off the event loop, and exactly what the batches in the event loop delete goes', async () => {
  const tmp = tempDir();
  const a = open(join(tmp.dir, 'a.db'));
  await seedMix(a.store, 300);
  await a.db.close();
  copyFileSync(join(tmp.dir, 'a.db'), join(tmp.dir, 'b.db'));
  const worker = open(join(tmp.dir, 'a.db'));
  const loop = open(join(tmp.dir, 'b.db'));
  try {
    const before = remaining(worker.db);
    let report: { transactions: number } | null = null;
    const byWorker = await runRetention(worker.store.retention, config, NOW, undefined, undefined, { onReport: (r) => (report = r) });
    assert.ok(report, 'the file database went through cleanOffLoop');
    const byLoop = await runRetention({ purge: loop.store.retention.purge.bind(loop.store.retention) }, config, NOW, 50, 0);
    assert.deepEqual(byWorker, byLoop);
    assert.deepEqual(
      {
        signIns: byWorker.signIns,
        refreshTokens: byWorker.refreshTokens,
        revokedGrantTokens: byWorker.revokedGrantTokens,
        grants: byWorker.grants,
      },
      { signIns: 300, refreshTokens: 300, revokedGrantTokens: 1, grants: 301 },
    );
    assert.equal(byWorker.sessions, 2);
    assert.equal(byWorker.signingKeys, 1);
    const after = remaining(worker.db);
    assert.deepEqual(after, remaining(loop.db));
    // What stays: the recent sign-in, the 100 refreshing grants and their tokens, the consumed
    // unexpired token and its grant, the live session, the unretired and the newest key.
    assert.equal(after.sign_ins!.length, 1);
    assert.equal(after.grants!.length, 101);
    assert.equal(after.refresh_tokens!.length, 101);
    assert.equal(after.sso_sessions!.length, 1);
    assert.deepEqual(after.signing_keys, ['newest', 'unretired']);
    assert.ok(before.grants!.length > after.grants!.length);
  } finally {
    await worker.db.close();
    await loop.db.close();
  }
});

test('the deletes run on another thread: they go on while the event loop is blocked', async () => {
  const tmp = tempDir();
  const o = open(join(tmp.dir, 'p.db'));
  try {
    await seedMix(o.store, 0);
    const user = (o.db.db.prepare('SELECT id FROM users LIMIT 1').get() as { id: string }).id;
    const signIn = (i: number) =>
      makeSignIn(TENANT, { id: user, userPrincipalName: 'c@cleanup.test', displayName: 'C' }, NOW - 40 * DAY + i, { ipAddress: null });
    await o.store.signIns.insertMany(Array.from({ length: 30_000 }, (_, i) => signIn(i)));
    const total = count(o.db, 'sign_ins');
    // Small, slow transactions, so that the run outlasts the blocked stretch below.
    const run = o.db.startCleanup(cutoffs, { budgetMs: 1, maxRows: 50, pauseMs: 5 });
    assert.ok(run);
    await waitFor('the first deletes', () => count(o.db, 'sign_ins') < total, 20_000, 5);
    const before = count(o.db, 'sign_ins');
    // Block the event loop: nothing of this thread can run a delete meanwhile.
    const until = Date.now() + 400;
    while (Date.now() < until) {
      /* busy */
    }
    const after = count(o.db, 'sign_ins');
    assert.ok(after < before, `rows were deleted while the event loop was blocked (${before} → ${after})`);
    assert.ok(after > 1, 'the run was still going (the test measured something)');
    const report = await run.done;
    assert.equal(report.deleted.signIns, total - 1);
    assert.equal(report.stopped, false);
  } finally {
    await o.db.close();
  }
});

test('the cleanup thread keeps off the write lock while the server has writes queued', async () => {
  const tmp = tempDir();
  const o = open(join(tmp.dir, 'p.db'));
  try {
    await seedMix(o.store, 200);
    const total = count(o.db, 'sign_ins');
    o.db.writeIntent.begin();
    const run = o.db.startCleanup(cutoffs, { maxDeferMs: 60_000 });
    assert.ok(run);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(count(o.db, 'sign_ins'), total, 'nothing deleted while a write was announced');
    assert.equal(run.progress(), null);
    o.db.writeIntent.end();
    const report = await run.done;
    assert.equal(report.deleted.signIns, 200);
  } finally {
    await o.db.close();
  }
});

test('stopping: the run ends after its current transaction with what it deleted; closing the store stops it too', async () => {
  const tmp = tempDir();
  const o = open(join(tmp.dir, 'p.db'));
  try {
    await seedMix(o.store, 0);
    const user = (o.db.db.prepare('SELECT id FROM users LIMIT 1').get() as { id: string }).id;
    await o.store.signIns.insertMany(
      Array.from({ length: 20_000 }, (_, i) =>
        makeSignIn(TENANT, { id: user, userPrincipalName: 'c@cleanup.test', displayName: 'C' }, NOW - 40 * DAY + i, { ipAddress: null }),
      ),
    );
    const total = count(o.db, 'sign_ins');
    const stop = new AbortController();
    const cleaning = o.store.retention.cleanOffLoop?.(cutoffs, stop.signal);
    assert.ok(cleaning, 'a file database has cleanOffLoop');
    await waitFor('the first deletes', () => count(o.db, 'sign_ins') < total, 20_000, 5);
    stop.abort();
    const report = await cleaning;
    assert.equal(report.stopped, true);
    const left = count(o.db, 'sign_ins');
    assert.equal(report.deleted.signIns, total - left, 'the report counts what its committed transactions deleted');
    assert.ok(left > 1, 'stopped before the end');
    assert.equal(report.deleted.grants, 0, 'the kinds after the stop were not reached');

    // Closing the store while a run is going: close() resolves once the thread has gone, and the run settles.
    const again = o.db.startCleanup(cutoffs, { budgetMs: 1, maxRows: 20 });
    assert.ok(again);
    await waitFor('the first deletes', () => count(o.db, 'sign_ins') < left, 20_000, 5);
    await o.db.close();
    const stopped = await again.done;
    assert.equal(stopped.stopped, true);
  } finally {
    await o.db.close();
  }
});

test('a failure in the cleanup thread rejects the run with its message, and the job logs it and goes on', async () => {
  const tmp = tempDir();
  const o = open(join(tmp.dir, 'p.db'));
  try {
    await seedMix(o.store, 10);
    o.db.db.exec('DROP TABLE sign_ins');
    await assert.rejects(runRetention(o.store.retention, config, NOW), /cleanup worker failed: .*no such table: sign_ins/);
    const warnings: string[] = [];
    const job = startRetentionJob(
      o.store.retention,
      { ...config, signIns: { ...config.signIns, cleanupIntervalSeconds: 0.05 } },
      () => NOW,
      { info: () => undefined, warn: (m) => warnings.push(m) },
    );
    await waitFor('the failure logged', () => warnings.length >= 2, 20_000);
    await job.close();
    assert.match(warnings[0]!, /^retention: cleanup failed \(cleanup worker failed: .*no such table: sign_ins\); next run retries$/);
  } finally {
    await o.db.close();
  }
});

test('an in-memory database cannot be shared with another thread: it is cleaned in batches in the event loop', async () => {
  const o = open(':memory:');
  try {
    assert.equal(o.db.shareable, false);
    assert.equal(o.db.startCleanup(cutoffs), null);
    assert.equal(o.store.retention.cleanOffLoop?.(cutoffs), null);
    await seedMix(o.store, 30);
    const deleted = await runRetention(o.store.retention, config, NOW, 7, 0);
    assert.equal(deleted.signIns, 30);
    assert.equal(deleted.grants, 31);
    assert.equal(count(o.db, 'grants'), 11, 'the ten refreshing grants and the consumed one stay');
  } finally {
    await o.db.close();
  }
});
