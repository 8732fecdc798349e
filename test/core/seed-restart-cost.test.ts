import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { ManualClock } from '../../src/clock.js';
import { applySeed, parseSeed } from '../../src/core/seed.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';

/**
 * A restart with an unchanged 500-user seed: judged by what it does (argon2 computations counted
 * by applySeed, rows of the real file), never by a timing, which would depend on the machine.
 */
const USERS = 500;
const seedJson = {
  tenant: { id: '3c9f0c55-8d2e-4f7a-9c3b-5e6d7f8a9b0c', domain: 'scale.test', displayName: 'Scale' },
  users: Array.from({ length: USERS }, (_, i) => ({ userPrincipalName: `user${i}@scale.test`, displayName: `User ${i}`, password: `Seed-Pass-${i}!` })),
  applications: [{ appId: '4a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d', displayName: 'App', passwordCredentials: [{ secretText: 'app-secret-0123456789' }] }],
};

function dump(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    return JSON.stringify(['users', 'applications', 'audit_records', 'seed_entries'].map((t) => db.prepare(`SELECT * FROM ${t} ORDER BY rowid`).all()));
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
      const r = await applySeed(first, parseSeed(seedJson), clock);
      assert.equal(r.created, USERS + 2);
      assert.equal(r.argon2, USERS + 1);
    } finally {
      await first.close();
    }
    const before = dump(file);
    clock.advance(3600_000);
    // The restart: a new connection to the same file, the same seed.
    const second = openSqliteStore(file, clock.now());
    try {
      const r = await applySeed(second, parseSeed(seedJson), clock);
      assert.deepEqual([r.created, r.updated, r.unchanged, r.skipped, r.adopted], [0, 0, USERS + 2, 0, 0]);
      assert.equal(r.argon2, 0);
    } finally {
      await second.close();
    }
    assert.equal(dump(file), before);
  });
});
