import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ManualClock } from '../../src/clock.js';
import { ApplicationRuleError } from '../../src/core/application-registration.js';
import { applySeed, parseSeed } from '../../src/core/seed.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';

/**
 * Seed application entries as resources (identifierUris, api, appRoles, requiredResourceAccess,
 * consent, an object id) go through the same rules and write as Graph's POST/PATCH /applications
 * (core/application-registration.ts): a rule Graph refuses, the seed refuses, writing nothing.
 */
const TENANT = { id: '5e2a1c44-7c1f-4e69-8b2a-4d5c6e7f8091', domain: 'resources.test', displayName: 'Resources' };
const API = 'a1b2c3d4-0000-4000-8000-000000000001';
const CLIENT = 'a1b2c3d4-0000-4000-8000-000000000002';
const OBJECT_ID = 'a1b2c3d4-0000-4000-8000-0000000000aa';
const ROLE_ID = 'a1b2c3d4-0000-4000-8000-0000000000b1';
const SCOPE_ID = 'a1b2c3d4-0000-4000-8000-0000000000c1';

const role = { id: ROLE_ID, value: 'Tasks.Read.All', displayName: 'Read', description: 'Read tasks', allowedMemberTypes: ['Application'] };
const seedWith = (apiExtra: Record<string, unknown> = {}, clientExtra: Record<string, unknown> = {}) => ({
  tenant: TENANT,
  users: [],
  applications: [
    {
      appId: API,
      id: OBJECT_ID,
      displayName: 'Tasks API',
      identifierUris: [`api://${API}`],
      api: {
        requestedAccessTokenVersion: 2,
        oauth2PermissionScopes: [
          { id: SCOPE_ID, value: 'tasks.read', adminConsentDisplayName: 'Read', adminConsentDescription: 'Read tasks' },
        ],
      },
      appRoles: [role],
      ...apiExtra,
    },
    {
      appId: CLIENT,
      displayName: 'Client',
      requiredResourceAccess: [{ resourceAppId: API, resourceAccess: [{ id: ROLE_ID, type: 'Role' }] }],
      consent: [{ resourceAppId: API, scopes: ['tasks.read'], appRoleIds: [ROLE_ID] }],
      ...clientExtra,
    },
  ],
});

describe('seed: applications as resources', () => {
  it('stores identifier URIs, api, app roles, required access, consent and the object id; the rules of Graph apply', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-seed-resources-'));
    const store = openSqliteStore(join(dir, 'p.db'));
    try {
      const clock = new ManualClock(Date.UTC(2026, 0, 1));
      await applySeed(store, parseSeed(seedWith()), clock);
      const api = await store.applications.findByIdentifierUri(TENANT.id, `API://${API}`);
      assert.equal(api?.appId, API);
      assert.equal(api?.id, OBJECT_ID);
      assert.equal(api?.api?.requestedAccessTokenVersion, 2);
      assert.equal(api?.api?.oauth2PermissionScopes[0]?.type, 'User');
      assert.deepEqual(api?.appRoles, [{ ...role, isEnabled: true }]);
      const client = await store.applications.findByAppId(TENANT.id, CLIENT);
      assert.equal(client?.id, CLIENT, 'no id in the file: id = appId');
      assert.deepEqual(client?.resourceGrants, [{ resourceAppId: API, scopes: ['tasks.read'], appRoleIds: [ROLE_ID] }]);

      // The client may not take the API's identifier URI (Graph's ObjectConflict), and nothing is written.
      await assert.rejects(
        applySeed(store, parseSeed(seedWith({}, { displayName: 'Thief', identifierUris: [`api://${API}`] })), clock),
        (e: unknown) => e instanceof ApplicationRuleError && e.violation.kind === 'duplicate_identifier_uri',
      );
      assert.equal((await store.applications.findByAppId(TENANT.id, CLIENT))?.displayName, 'Client');
      // An enabled role is not removed by the seed either: disable it first.
      await assert.rejects(
        applySeed(store, parseSeed(seedWith({ appRoles: [] })), clock),
        (e: unknown) => e instanceof ApplicationRuleError && e.violation.kind === 'enabled_entitlement',
      );
      await applySeed(store, parseSeed(seedWith({ appRoles: [{ ...role, isEnabled: false }] })), clock);
      await applySeed(store, parseSeed(seedWith({ appRoles: [] })), clock);
      assert.deepEqual((await store.applications.findByAppId(TENANT.id, API))?.appRoles, []);
      // A value Graph refuses (a space) is refused by the seed.
      await assert.rejects(
        applySeed(store, parseSeed(seedWith({ appRoles: [{ ...role, value: 'has space' }] })), clock),
        (e: unknown) => e instanceof ApplicationRuleError && /appRoles\.value/.test(e.message),
      );
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
