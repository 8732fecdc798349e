import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ManualClock } from '../../src/clock.js';
import { SeedError, applySeed, parseSeed } from '../../src/core/seed.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';

/** The back-channel logout registration in seed files (OIDC Back-Channel Logout 1.0 §2.2). */
const TENANT = { id: '2c9f0c55-8d2e-4f7a-9c3b-5e6d7f8a9b0c', domain: 'bcl.test', displayName: 'BCL' };
const APP_ID = '8a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';

const seedWith = (app: Record<string, unknown>) => ({
  tenant: TENANT,
  users: [],
  applications: [{ appId: APP_ID, displayName: 'RP', web: { redirectUris: ['https://rp.bcl.test/cb'] }, ...app }],
});

function rejects(app: Record<string, unknown>, message: RegExp): void {
  assert.throws(
    () => parseSeed(seedWith(app)),
    (e: unknown) => e instanceof SeedError && message.test(e.message),
  );
}

describe('seed: backchannel_logout_uri', () => {
  it('accepts https and loopback http; session_required defaults to false; a normalised seed parses to itself', () => {
    for (const uri of [
      'https://rp.bcl.test/logout?tenant=1',
      'http://localhost:3000/bcl',
      'http://127.0.0.1/bcl',
      'http://[::1]:8080/bcl',
    ]) {
      const seed = parseSeed(seedWith({ backchannel_logout_uri: uri }));
      assert.equal(seed.applications[0]!.backchannel_logout_uri, uri);
      assert.equal(seed.applications[0]!.backchannel_logout_session_required, false);
      assert.deepEqual(parseSeed(JSON.parse(JSON.stringify(seed))), seed);
    }
    const required = parseSeed(seedWith({ backchannel_logout_uri: 'https://rp.bcl.test/l', backchannel_logout_session_required: true }));
    assert.equal(required.applications[0]!.backchannel_logout_session_required, true);
    assert.equal(parseSeed(seedWith({})).applications[0]!.backchannel_logout_uri, undefined);
  });

  it('refuses plain http off loopback, fragments, credentials, relative URIs and a lone session_required', () => {
    rejects({ backchannel_logout_uri: 'http://rp.bcl.test/logout' }, /^applications\[0\]\.backchannel_logout_uri: must use https/);
    rejects({ backchannel_logout_uri: 'https://rp.bcl.test/logout#x' }, /must not contain a fragment/);
    rejects({ backchannel_logout_uri: 'https://u:p@rp.bcl.test/logout' }, /must not contain credentials/);
    rejects({ backchannel_logout_uri: '/logout' }, /must be an absolute URL/);
    rejects(
      { backchannel_logout_session_required: true },
      /^applications\[0\]\.backchannel_logout_session_required: needs backchannel_logout_uri/,
    );
    rejects({ backchannel_logout_uri: 'https://rp.bcl.test/l', backchannel_logout_session_required: 'yes' }, /must be true or false/);
  });

  it('is stored with the application; re-applying is a no-op and a change is an update', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-seed-bcl-'));
    const store = openSqliteStore(join(dir, 'p.db'));
    try {
      const clock = new ManualClock(Date.UTC(2026, 0, 1));
      const first = parseSeed(seedWith({ backchannel_logout_uri: 'https://rp.bcl.test/l', backchannel_logout_session_required: true }));
      await applySeed(store, first, clock);
      assert.deepEqual((await store.applications.findByAppId(TENANT.id, APP_ID))?.backchannelLogout, {
        uri: 'https://rp.bcl.test/l',
        sessionRequired: true,
      });
      const again = await applySeed(store, first, clock);
      assert.deepEqual([again.created, again.updated, again.unchanged, again.skipped, again.adopted, again.argon2], [0, 0, 2, 0, 0, 0]);
      const changed = await applySeed(store, parseSeed(seedWith({})), clock);
      assert.equal(changed.updated, 1);
      assert.equal((await store.applications.findByAppId(TENANT.id, APP_ID))?.backchannelLogout, null);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
