import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ManualClock } from '../../src/clock.js';
import { ROLE } from '../../src/core/roles.js';
import { SeedError, applySeed, parseSeed } from '../../src/core/seed.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';

/** `directoryRoles` of an application in a seed file (docs/seed-file.md, docs/authorization.md). */
const TENANT = { id: '3d8e1b44-7c1f-4e69-8b2a-4d5c6e7f8091', domain: 'roles.test', displayName: 'Roles' };
const APP_ID = '9b9c8d7e-6f5a-4b4c-9d3e-2f1a0b9c8d7e';
const seedWith = (app: Record<string, unknown>) => ({
  tenant: TENANT,
  users: [],
  applications: [{ appId: APP_ID, displayName: 'Daemon', ...app }],
});

describe('seed: application directoryRoles', () => {
  it('takes display names or template ids; absent = none; an unknown role is refused', () => {
    const seed = parseSeed(seedWith({ directoryRoles: ['user administrator', ROLE.helpdeskAdministrator] }));
    assert.deepEqual(seed.applications[0]!.directoryRoles, [ROLE.userAdministrator, ROLE.helpdeskAdministrator]);
    assert.deepEqual(parseSeed(JSON.parse(JSON.stringify(seed))), seed);
    assert.equal(parseSeed(seedWith({})).applications[0]!.directoryRoles, undefined);
    assert.throws(
      () => parseSeed(seedWith({ directoryRoles: ['Emperor'] })),
      (e: unknown) => e instanceof SeedError && /^applications\[0\]\.directoryRoles\[0\]: unknown role 'Emperor'/.test(e.message),
    );
  });

  it('is stored with the application (SQLite); re-applying is a no-op and a change is an update', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-seed-roles-'));
    const store = openSqliteStore(join(dir, 'p.db'));
    try {
      const clock = new ManualClock(Date.UTC(2026, 0, 1));
      const first = parseSeed(seedWith({ directoryRoles: ['Privileged Authentication Administrator'] }));
      await applySeed(store, first, clock);
      assert.deepEqual((await store.applications.findByAppId(TENANT.id, APP_ID))?.directoryRoles, [
        ROLE.privilegedAuthenticationAdministrator,
      ]);
      const again = await applySeed(store, first, clock);
      assert.deepEqual([again.created, again.updated, again.unchanged, again.skipped, again.adopted], [0, 0, 2, 0, 0]);
      assert.equal((await applySeed(store, parseSeed(seedWith({})), clock)).updated, 1);
      assert.deepEqual((await store.applications.findByAppId(TENANT.id, APP_ID))?.directoryRoles, []);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
