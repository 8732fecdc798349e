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
 * A seed record keeps a digest of the whole entry ('*') beside one per property
 * (src/core/seed-tracking.ts): an unchanged entry is told by that one digest. These check that the
 * shortcut never hides a change, and that records kept before it existed (no '*') still work.
 */
const TENANT = { id: '2d9f0c55-8d2e-4f7a-9c3b-5e6d7f8a9b0c', domain: 'whole.test', displayName: 'Whole' };
const seedJson = (displayName: string) => ({
  tenant: TENANT,
  users: [
    { userPrincipalName: 'ann@whole.test', displayName, password: 'Ann-Pass-1!' },
    { userPrincipalName: 'ben@whole.test', displayName: 'Ben', password: 'Ben-Pass-1!', accountEnabled: false },
  ],
  applications: [],
});

function userDigests(file: string): Record<string, Record<string, string>> {
  const db = new Database(file, { readonly: true });
  try {
    const rows = db.prepare("SELECT entry_key, digests FROM seed_entries WHERE kind = 'user'").all() as {
      entry_key: string;
      digests: string;
    }[];
    return Object.fromEntries(rows.map((r) => [r.entry_key, JSON.parse(r.digests) as Record<string, string>]));
  } finally {
    db.close();
  }
}

/** A store written before whole-entry digests were kept: the records lose their '*'. */
function dropWholeDigests(file: string): void {
  const db = new Database(file);
  try {
    db.prepare('UPDATE seed_entries SET digests = json_remove(digests, \'$."*"\')').run();
  } finally {
    db.close();
  }
}

async function apply(file: string, clock: ManualClock, displayName: string) {
  const store = openSqliteStore(file, clock.now());
  try {
    const r = await applySeed(store, parseSeed(seedJson(displayName)), clock);
    const ann = await store.users.findByUserPrincipalName(TENANT.id, 'ann@whole.test');
    return { r, annName: ann?.displayName };
  } finally {
    await store.close();
  }
}

describe('seed whole-entry digest', () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-seed-whole-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a changed property is applied although the entry has a whole digest; the record then matches the file again', async () => {
    const file = join(dir, 'changed.db');
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    await apply(file, clock, 'Ann');
    const before = userDigests(file)['upn:ann@whole.test'];
    assert.ok(before?.['*'], 'the record keeps a whole-entry digest');
    const changed = await apply(file, clock, 'Ann Changed');
    assert.deepEqual([changed.r.updated, changed.r.unchanged, changed.r.argon2], [1, 2, 0]);
    assert.equal(changed.annName, 'Ann Changed');
    const afterChange = userDigests(file)['upn:ann@whole.test'];
    assert.notEqual(afterChange?.['*'], before?.['*']);
    assert.notEqual(afterChange?.displayName, before?.displayName);
    assert.equal(afterChange?.password, before?.password);
    const again = await apply(file, clock, 'Ann Changed');
    assert.deepEqual([again.r.updated, again.r.unchanged, again.r.argon2], [0, 3, 0]);
  });

  it('records kept without a whole digest: an unchanged restart writes nothing, a change is still applied', async () => {
    const file = join(dir, 'older.db');
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    await apply(file, clock, 'Ann');
    dropWholeDigests(file);
    const older = userDigests(file);
    assert.equal(older['upn:ann@whole.test']?.['*'], undefined);
    const unchanged = await apply(file, clock, 'Ann');
    assert.deepEqual([unchanged.r.updated, unchanged.r.unchanged, unchanged.r.argon2], [0, 3, 0]);
    assert.deepEqual(userDigests(file), older);
    const changed = await apply(file, clock, 'Ann Renamed');
    assert.deepEqual([changed.r.updated, changed.r.unchanged, changed.r.argon2], [1, 2, 0]);
    assert.equal(changed.annName, 'Ann Renamed');
    assert.ok(userDigests(file)['upn:ann@whole.test']?.['*'], 'a rewritten record gains its whole digest');
  });
});
