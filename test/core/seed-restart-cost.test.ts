import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { ManualClock } from '../../src/clock.js';
import { applySeed, parseSeed, type SeedProgress } from '../../src/core/seed.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import type { Store } from '../../src/store/store.js';

/**
 * A restart with an unchanged 500-user seed: judged by what it does (argon2 computations counted
 * by applySeed, store calls, rows of the real file), never by a timing, which would depend on the
 * machine (bench/b6-big-seed.ts times 10,000 users).
 */
const USERS = 500;
const seedJson = {
  tenant: { id: '3c9f0c55-8d2e-4f7a-9c3b-5e6d7f8a9b0c', domain: 'scale.test', displayName: 'Scale' },
  users: Array.from({ length: USERS }, (_, i) => ({
    userPrincipalName: `user${i}@scale.test`,
    displayName: `User ${i}`,
    password: `Seed-Pass-${i}!`,
  })),
  applications: [
    { appId: '4a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d', displayName: 'App', passwordCredentials: [{ secretText: 'app-secret-0123456789' }] },
  ],
};

const EVERY_100 = { users: 100, ms: 3_600_000, minMs: 0 };

/**
 * The real store, with every call to its users and seed-state stores counted (reads and writes
 * alike; each call still goes to the store).
 */
function countingReads(store: Store): { store: Store; calls: Record<string, number> } {
  const calls: Record<string, number> = {};
  const counted = <T extends object>(name: string, target: T): T =>
    new Proxy(target, {
      get(t, p) {
        const v = Reflect.get(t, p, t) as unknown;
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => {
          calls[`${name}.${String(p)}`] = (calls[`${name}.${String(p)}`] ?? 0) + 1;
          return (v as (...a: unknown[]) => unknown).apply(t, args);
        };
      },
    });
  const wrapped = new Proxy(store, {
    get(t, p) {
      if (p === 'users') return counted('users', t.users);
      if (p === 'seedState') return counted('seedState', t.seedState);
      const v = Reflect.get(t, p, t) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  });
  return { store: wrapped, calls };
}

function dump(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    return JSON.stringify(
      ['users', 'applications', 'audit_records', 'seed_entries'].map((t) => db.prepare(`SELECT * FROM ${t} ORDER BY rowid`).all()),
    );
  } finally {
    db.close();
  }
}

describe('seed restart cost', () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-seed-cost-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it(`an unchanged ${USERS}-user seed: the restart runs no argon2 and writes nothing`, { timeout: 600_000 }, async () => {
    const file = join(dir, 'portcullis.db');
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const first = openSqliteStore(file, clock.now());
    try {
      const progress: SeedProgress[] = [];
      const r = await applySeed(first, parseSeed(seedJson), clock, { onProgress: (p) => progress.push(p), every: EVERY_100 });
      assert.equal(r.created, USERS + 2);
      assert.equal(r.argon2, USERS + 1);
      // Every 100 users (seeds this small report nothing by default), one argon2 hash per user so far.
      assert.deepEqual(
        progress.map((p) => [p.users, p.total, p.argon2]),
        [100, 200, 300, 400].map((n) => [n, USERS, n]),
      );
    } finally {
      await first.close();
    }
    const before = dump(file);
    clock.advance(3600_000);
    // The restart: a new connection to the same file, the same seed.
    const second = openSqliteStore(file, clock.now());
    try {
      const progress: SeedProgress[] = [];
      const { store, calls } = countingReads(second);
      const r = await applySeed(store, parseSeed(seedJson), clock, { onProgress: (p) => progress.push(p), every: EVERY_100 });
      // The digest key, one read of the seed records and one of the users they point at: no lookup
      // per user, and no write.
      assert.deepEqual(calls, { 'seedState.digestKey': 1, 'seedState.list': 1, 'users.findByIds': 1 });
      assert.deepEqual([r.created, r.updated, r.unchanged, r.skipped, r.adopted], [0, 0, USERS + 2, 0, 0]);
      assert.equal(r.argon2, 0);
      assert.deepEqual(
        progress.map((p) => [p.users, p.argon2]),
        [100, 200, 300, 400].map((n) => [n, 0]),
      );
    } finally {
      await second.close();
    }
    assert.equal(dump(file), before);
  });
});
