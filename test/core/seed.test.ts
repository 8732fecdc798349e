import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { ManualClock } from '../../src/clock.js';
import { ROLE } from '../../src/core/roles.js';
import { DEMO_CLI_APP_ID, SeedError, applySeed, demoSeed, parseSeed, type Seed, type SeedResult } from '../../src/core/seed.js';
import { deleteUser, updateUser } from '../../src/core/user-management.js';
import { verifySecret } from '../../src/crypto/passwords.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import type { Store } from '../../src/store/store.js';

const TENANT = { id: '1b9f0c55-8d2e-4f7a-9c3b-5e6d7f8a9b0c', domain: 'contoso.test', displayName: 'Contoso' };
const WEB_APP = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';

/** A seed document as a user would write it (display-name roles, odd casing, omitted defaults). */
function sampleJson(): Record<string, unknown> {
  return {
    tenant: { ...TENANT },
    users: [
      { userPrincipalName: 'Alice@contoso.test', displayName: 'Alice', password: 'alice-password-1', roles: ['global administrator'] },
      {
        id: 'AAAAAAAA-1111-4222-8333-444444444444',
        userPrincipalName: 'bob@contoso.test',
        displayName: 'Bob',
        password: 'bob-password-1',
        mail: 'bob@contoso.test',
      },
    ],
    applications: [
      {
        appId: WEB_APP,
        displayName: 'Web',
        web: { redirectUris: ['https://app.contoso.test/callback', 'http://localhost:3000/cb'] },
        passwordCredentials: [{ secretText: 'web-secret-0123456789', displayName: 'ci', endDateTime: '2030-01-01T00:00:00Z' }],
        delegatedPermissions: ['user.read'],
        applicationPermissions: ['User.RevokeSessions.All'],
      },
    ],
  };
}

function expectSeedError(json: unknown, message: string | RegExp): void {
  assert.throws(
    () => parseSeed(json),
    (e: unknown) => {
      assert.ok(e instanceof SeedError, `expected SeedError, got ${String(e)}`);
      if (typeof message === 'string') assert.equal(e.message, message);
      else assert.match(e.message, message);
      return true;
    },
  );
}

function withUser(patch: Record<string, unknown>, index = 0): Record<string, unknown> {
  const json = sampleJson();
  const users = json.users as Record<string, unknown>[];
  users[index] = { ...users[index], ...patch };
  return json;
}

function withApp(patch: Record<string, unknown>): Record<string, unknown> {
  const json = sampleJson();
  const apps = json.applications as Record<string, unknown>[];
  apps[0] = { ...apps[0], ...patch };
  return json;
}

describe('parseSeed', () => {
  it('normalises a valid document', () => {
    const seed = parseSeed(sampleJson());
    assert.equal(seed.users[0]?.roles[0], ROLE.globalAdministrator);
    assert.equal(seed.users[0]?.accountEnabled, true);
    assert.equal(seed.users[1]?.id, 'aaaaaaaa-1111-4222-8333-444444444444');
    assert.deepEqual(seed.applications[0]?.delegatedPermissions, ['User.Read']);
    assert.equal(seed.applications[0]?.passwordCredentials[0]?.endDateTime, '2030-01-01T00:00:00.000Z');
    // A normalised seed is itself valid input, unchanged by a second parse.
    assert.deepEqual(parseSeed(JSON.parse(JSON.stringify(seed))), seed);
  });

  it('rejects bad documents with path-qualified messages', () => {
    expectSeedError([], 'seed: must be an object, got an array');
    expectSeedError({ users: [] }, 'tenant: is required');
    expectSeedError(
      { ...sampleJson(), tenant: { ...TENANT, id: 'contoso' } },
      "tenant.id: must be a GUID like 00000000-0000-0000-0000-000000000000, got 'contoso'",
    );
    expectSeedError({ ...sampleJson(), tenant: { ...TENANT, domain: 'localhost' } }, /^tenant\.domain: must be a DNS name/);
    expectSeedError(
      withUser({ userPrincipalName: 'carol@fabrikam.test' }, 1),
      "users[1].userPrincipalName: must be an email-like user@domain whose domain is the tenant domain 'contoso.test', got 'carol@fabrikam.test'",
    );
    expectSeedError(withUser({ userPrincipalName: 'not-an-email' }), /^users\[0\]\.userPrincipalName: must be an email-like/);
    expectSeedError(
      withUser({ userPrincipalName: 'ALICE@contoso.test' }, 1),
      /^users\[1\]\.userPrincipalName: duplicate userPrincipalName \(case-insensitive\); users\[0\]\.userPrincipalName already uses it$/,
    );
    expectSeedError(withUser({ id: 'nope' }), /^users\[0\]\.id: must be a GUID/);
    expectSeedError(
      withUser({ roles: ['Global Admin'] }),
      /^users\[0\]\.roles\[0\]: unknown role 'Global Admin'; known roles: Global Administrator, .*User Administrator/,
    );
    expectSeedError(withUser({ password: 'short' }), 'users[0].password: must be at least 8 characters');
    expectSeedError(withUser({ pasword: 'x' }), /^users\[0\]\.pasword: unknown property; expected one of id, userPrincipalName/);
    expectSeedError(withUser({ accountEnabled: 'yes' }), "users[0].accountEnabled: must be true or false, got 'yes'");
    expectSeedError(withApp({ appId: '123' }), /^applications\[0\]\.appId: must be a GUID/);
    expectSeedError(
      withApp({ web: { redirectUris: ['http://app.contoso.test/cb'] } }),
      "applications[0].web.redirectUris[0]: must use https (http is allowed only for localhost, 127.0.0.1 and [::1]), got 'http://app.contoso.test/cb'",
    );
    expectSeedError(
      withApp({ spa: { redirectUris: ['/relative'] } }),
      "applications[0].spa.redirectUris[0]: must be an absolute URL, got '/relative'",
    );
    expectSeedError(
      withApp({ delegatedPermissions: ['Mail.Send'] }),
      /^applications\[0\]\.delegatedPermissions\[0\]: unknown delegated permission 'Mail.Send'; known: User\.Read, /,
    );
    expectSeedError(
      withApp({ applicationPermissions: ['User.Read'] }),
      /^applications\[0\]\.applicationPermissions\[0\]: unknown application permission 'User.Read'/,
    );
    expectSeedError(
      withApp({ passwordCredentials: [{ secretText: 'tiny' }] }),
      'applications[0].passwordCredentials[0].secretText: must be at least 16 characters',
    );
    expectSeedError(
      withApp({ passwordCredentials: [{ secretText: 'web-secret-0123456789', endDateTime: 'soon' }] }),
      /^applications\[0\]\.passwordCredentials\[0\]\.endDateTime: must be an ISO 8601/,
    );
    const twoApps = sampleJson();
    const apps = twoApps.applications as unknown[];
    apps.push({ appId: WEB_APP.toUpperCase(), displayName: 'Again' });
    expectSeedError(twoApps, 'applications[1].appId: duplicate appId; applications[0].appId already uses it');
  });

  it('accepts the demo seed and the shipped example', () => {
    const { seed, adminPassword } = demoSeed();
    assert.deepEqual(parseSeed(JSON.parse(JSON.stringify(seed))), seed);
    assert.equal(adminPassword.length, 20);
    assert.equal(seed.applications.find((a) => a.appId === DEMO_CLI_APP_ID)?.allowPublicClientFlows, true);
    const example: unknown = JSON.parse(readFileSync(new URL('../../examples/seed.json', import.meta.url), 'utf8'));
    assert.ok(parseSeed(example).users.length > 0);
  });
});

/** Every row of the directory tables, read straight from the file: "unchanged" means byte-identical. */
function dumpRows(dbFile: string): string {
  const db = new Database(dbFile, { readonly: true });
  try {
    const tables = ['tenants', 'users', 'role_assignments', 'applications', 'audit_records', 'seed_entries', 'seed_digest_key'];
    const present = new Set(
      (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name),
    );
    return JSON.stringify(tables.filter((t) => present.has(t)).map((t) => [t, db.prepare(`SELECT * FROM ${t} ORDER BY rowid`).all()]));
  } finally {
    db.close();
  }
}

async function dumpViaStore(store: Store, tenantId: string): Promise<string> {
  const users = await store.users.list({ tenantId, limit: 1000 });
  const apps = await store.applications.list(tenantId);
  return JSON.stringify({ tenant: await store.tenants.get(), users, apps });
}

/** The counts of a result, for one-line assertions. */
function counts(r: SeedResult): Record<string, number> {
  return { created: r.created, updated: r.updated, unchanged: r.unchanged, skipped: r.skipped, adopted: r.adopted };
}

function outcomeOf(r: SeedResult, name: string): { outcome: string; details: string[] } | undefined {
  const e = r.entries.find((x) => x.name.toLowerCase() === name.toLowerCase());
  return e && { outcome: e.outcome, details: e.details };
}

/** The administrator acting at runtime, through the same core functions as Graph and the CLI. */
const RUNTIME = {
  actor: { user: { id: 'runtime-admin', userPrincipalName: 'admin@contoso.test', displayName: 'Admin' } },
  correlationId: 'c',
};

describe('applySeed on a real SQLite file', () => {
  let dir: string;
  let dbFile: string;
  let store: Store;
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  let seed: Seed;
  const deps = () => ({ store, clock, tenant: { ...TENANT, createdAt: 0 } });

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-seed-'));
    dbFile = join(dir, 'portcullis.db');
    store = openSqliteStore(dbFile, clock.now());
    seed = parseSeed(sampleJson());
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the tenant, users and applications', async () => {
    const r = await applySeed(store, seed, clock);
    assert.deepEqual(counts(r), { created: 4, updated: 0, unchanged: 0, skipped: 0, adopted: 0 });
    assert.deepEqual(r.warnings, []);
    // Two passwords and one client secret hashed.
    assert.equal(r.argon2, 3);
    assert.deepEqual(
      r.entries.map((e) => [e.kind, e.name, e.outcome]),
      [
        ['tenant', 'contoso.test', 'created'],
        ['user', 'Alice@contoso.test', 'created'],
        ['user', 'bob@contoso.test', 'created'],
        ['application', `Web [${WEB_APP}]`, 'created'],
      ],
    );
    assert.equal((await store.tenants.get())?.domain, 'contoso.test');
    const alice = await store.users.findByUserPrincipalName(TENANT.id, 'alice@contoso.test');
    assert.ok(alice);
    assert.equal(alice.userPrincipalName, 'Alice@contoso.test');
    assert.equal(alice.revocationEpoch, 0);
    assert.equal(alice.signInSessionsValidFrom, null);
    assert.deepEqual(alice.roleTemplateIds, [ROLE.globalAdministrator]);
    assert.ok(alice.passwordHash?.startsWith('$argon2id$'));
    assert.equal(await verifySecret(alice.passwordHash ?? '', 'alice-password-1'), true);
    assert.equal((await store.users.findByUserPrincipalName(TENANT.id, 'bob@contoso.test'))?.id, 'aaaaaaaa-1111-4222-8333-444444444444');
    const app = await store.applications.findByAppId(TENANT.id, WEB_APP);
    assert.ok(app);
    assert.equal(app.secrets.length, 1);
    const secret = app.secrets[0];
    assert.ok(secret);
    assert.equal(secret.hint, 'web');
    assert.match(secret.keyId, /^[0-9a-f-]{36}$/);
    assert.notEqual(secret.hash, 'web-secret-0123456789');
    assert.equal(await verifySecret(secret.hash, 'web-secret-0123456789'), true);
    assert.equal(secret.endDateTime, Date.UTC(2030, 0, 1));
    assert.deepEqual(app.applicationPermissions, ['User.RevokeSessions.All']);
  });

  it('stores keyed digests only: no password, no plain hash of it, different for equal passwords', async () => {
    const db = new Database(dbFile, { readonly: true });
    try {
      const rows = db.prepare('SELECT * FROM seed_entries').all() as {
        kind: string;
        entry_key: string;
        subject_id: string;
        digests: string;
      }[];
      const key = (db.prepare('SELECT key FROM seed_digest_key').get() as { key: string }).key;
      assert.equal(Buffer.from(key, 'base64url').length, 32);
      assert.deepEqual(rows.map((r) => [r.kind, r.entry_key]).sort(), [
        ['application', WEB_APP],
        ['user', 'id:aaaaaaaa-1111-4222-8333-444444444444'],
        ['user', 'upn:alice@contoso.test'],
      ]);
      const all = JSON.stringify(rows);
      for (const secret of ['alice-password-1', 'bob-password-1', 'web-secret-0123456789']) {
        assert.ok(!all.includes(secret));
        for (const encoding of ['hex', 'base64', 'base64url'] as const) {
          assert.ok(!all.includes(createHash('sha256').update(secret).digest(encoding)), `plain SHA-256 of a secret in ${encoding}`);
          assert.ok(!all.includes(createHash('sha256').update(JSON.stringify(secret)).digest(encoding)));
        }
      }
      const digests = rows.filter((r) => r.kind === 'user').map((r) => JSON.parse(r.digests) as Record<string, string>);
      // One digest per property, and '*' of the whole entry (src/core/seed-tracking.ts).
      assert.deepEqual(Object.keys(digests[0] ?? {}).sort(), [
        '*',
        'accountEnabled',
        'displayName',
        'mail',
        'password',
        'roles',
        'userPrincipalName',
      ]);
      // Equal values of different users (both have roles [] / true) still digest differently.
      assert.notEqual(digests[0]?.accountEnabled, digests[1]?.accountEnabled);
    } finally {
      db.close();
    }
  });

  it('is idempotent: a second apply writes nothing and runs no argon2', async () => {
    const rowsBefore = dumpRows(dbFile);
    const storeBefore = await dumpViaStore(store, TENANT.id);
    clock.advance(60_000);
    const r = await applySeed(store, parseSeed(sampleJson()), clock);
    assert.deepEqual(counts(r), { created: 0, updated: 0, unchanged: 4, skipped: 0, adopted: 0 });
    assert.equal(r.argon2, 0);
    assert.equal(await dumpViaStore(store, TENANT.id), storeBefore);
    assert.equal(dumpRows(dbFile), rowsBefore);
  });

  it('keeps a password reset, a disable and a rename made at runtime while the file is unchanged', async () => {
    const alice = await store.users.findByUserPrincipalName(TENANT.id, 'alice@contoso.test');
    const bob = await store.users.findByUserPrincipalName(TENANT.id, 'bob@contoso.test');
    assert.ok(alice && bob);
    await updateUser(deps(), alice, { password: 'Runtime-Reset-1' }, RUNTIME);
    await updateUser(deps(), bob, { accountEnabled: false, displayName: 'Bob (on leave)' }, RUNTIME);
    const rowsBefore = dumpRows(dbFile);
    clock.advance(60_000);
    const r = await applySeed(store, parseSeed(sampleJson()), clock);
    assert.deepEqual(counts(r), { created: 0, updated: 0, unchanged: 4, skipped: 0, adopted: 0 });
    assert.equal(r.argon2, 0);
    assert.equal(dumpRows(dbFile), rowsBefore);
    const aliceAfter = await store.users.findById(TENANT.id, alice.id);
    assert.equal(await verifySecret(aliceAfter?.passwordHash ?? '', 'Runtime-Reset-1'), true);
    assert.equal(await verifySecret(aliceAfter?.passwordHash ?? '', 'alice-password-1'), false);
    const bobAfter = await store.users.findById(TENANT.id, bob.id);
    assert.equal(bobAfter?.accountEnabled, false);
    assert.equal(bobAfter?.displayName, 'Bob (on leave)');
  });

  it('applies only what the file changed: a new displayName does not undo the runtime password reset', async () => {
    const json = withUser({ displayName: 'Alice Liddell' });
    const aliceBefore = await store.users.findByUserPrincipalName(TENANT.id, 'alice@contoso.test');
    assert.ok(aliceBefore);
    clock.advance(60_000);
    const r = await applySeed(store, parseSeed(json), clock);
    assert.deepEqual(counts(r), { created: 0, updated: 1, unchanged: 3, skipped: 0, adopted: 0 });
    assert.deepEqual(outcomeOf(r, 'Alice@contoso.test'), { outcome: 'updated', details: ['displayName'] });
    assert.equal(r.argon2, 0);
    const after = await store.users.findById(TENANT.id, aliceBefore.id);
    assert.equal(after?.displayName, 'Alice Liddell');
    assert.equal(after?.revocationEpoch, aliceBefore.revocationEpoch, 'a rename revokes nothing');
    assert.equal(await verifySecret(after?.passwordHash ?? '', 'Runtime-Reset-1'), true);
    // Bob's runtime disable is not undone either: his entry did not change.
    assert.equal((await store.users.findByUserPrincipalName(TENANT.id, 'bob@contoso.test'))?.accountEnabled, false);
  });

  it('applies a password the file changed as a reset: new hash, epoch bumped, audited', async () => {
    const before = await store.users.findByUserPrincipalName(TENANT.id, 'alice@contoso.test');
    assert.ok(before);
    clock.advance(60_000);
    const r = await applySeed(store, parseSeed(withUser({ displayName: 'Alice Liddell', password: 'alice-password-2' })), clock);
    assert.deepEqual(counts(r), { created: 0, updated: 1, unchanged: 3, skipped: 0, adopted: 0 });
    assert.deepEqual(outcomeOf(r, 'Alice@contoso.test'), { outcome: 'updated', details: ['password'] });
    // One verification (the stored hash is not this password) and one hash.
    assert.equal(r.argon2, 2);
    const after = await store.users.findById(TENANT.id, before.id);
    assert.ok(after);
    assert.equal(after.revocationEpoch, before.revocationEpoch + 1);
    assert.equal(after.refreshTokensValidFrom, clock.now());
    assert.equal(after.signInSessionsValidFrom, clock.now());
    assert.equal(await verifySecret(after.passwordHash ?? '', 'alice-password-2'), true);
    const audit = await store.audit.list({ tenantId: TENANT.id, activityDisplayName: 'Reset password', limit: 10 });
    const record = audit.find((a) => a.initiatedBy.app !== undefined);
    assert.ok(record);
    assert.equal(record.category, 'UserManagement');
    assert.equal(record.operationType, 'Update');
    assert.equal(record.result, 'success');
    assert.deepEqual(record.initiatedBy, { app: { appId: 'portcullis-seed', displayName: 'Portcullis seed' } });
    assert.equal(record.targetResources[0]?.id, before.id);
    assert.equal(record.targetResources[0]?.userPrincipalName, 'Alice@contoso.test');
  });

  it('updates changed properties, keeps ids and matching secrets, and replaces removed ones', async () => {
    const appBefore = await store.applications.findByAppId(TENANT.id, WEB_APP);
    const kept = appBefore?.secrets[0];
    assert.ok(kept);
    const json = withApp({
      displayName: 'Web renamed',
      passwordCredentials: [
        { secretText: 'web-secret-0123456789', displayName: 'ci', endDateTime: '2030-01-01T00:00:00Z' },
        { secretText: 'second-secret-abcdefgh' },
      ],
    });
    const users = json.users as Record<string, unknown>[];
    users[0] = { ...users[0], displayName: 'Alice Liddell', password: 'alice-password-2' };
    users[1] = { ...users[1], displayName: 'Robert' };
    const bobBefore = await store.users.findByUserPrincipalName(TENANT.id, 'bob@contoso.test');
    assert.ok(bobBefore);
    clock.advance(60_000);
    const r = await applySeed(store, parseSeed(json), clock);
    assert.deepEqual(counts(r), { created: 0, updated: 2, unchanged: 2, skipped: 0, adopted: 0 });
    assert.deepEqual(outcomeOf(r, 'bob@contoso.test'), { outcome: 'updated', details: ['displayName'] });
    assert.deepEqual(outcomeOf(r, `Web renamed [${WEB_APP}]`), { outcome: 'updated', details: ['displayName', 'passwordCredentials'] });
    const app = await store.applications.findByAppId(TENANT.id, WEB_APP);
    assert.equal(app?.displayName, 'Web renamed');
    assert.equal(app?.secrets.length, 2);
    assert.deepEqual(app?.secrets[0], kept);
    const bob = await store.users.findByUserPrincipalName(TENANT.id, 'bob@contoso.test');
    assert.equal(bob?.displayName, 'Robert');
    // accountEnabled is still `true` in the file, as when it was applied: the runtime disable stays.
    assert.equal(bob?.accountEnabled, false);
    assert.equal(bob?.revocationEpoch, bobBefore.revocationEpoch);

    // Enabled again at runtime, then disabled by the file: that change is applied, and revokes
    // (the epoch is bumped by every revoke, disable and password reset).
    await updateUser(deps(), bobBefore, { accountEnabled: true }, RUNTIME);
    users[1] = { ...users[1], accountEnabled: false };
    const disabled = await applySeed(store, parseSeed(json), clock);
    assert.deepEqual(outcomeOf(disabled, 'bob@contoso.test'), { outcome: 'updated', details: ['accountEnabled'] });
    const bobDisabled = await store.users.findByUserPrincipalName(TENANT.id, 'bob@contoso.test');
    assert.equal(bobDisabled?.accountEnabled, false);
    assert.equal(bobDisabled?.revocationEpoch, bobBefore.revocationEpoch + 1);
  });

  it('reports a mail change it cannot apply instead of hiding it', async () => {
    const json = sampleJson();
    const users = json.users as Record<string, unknown>[];
    users[0] = { ...users[0], displayName: 'Alice Liddell', password: 'alice-password-2' };
    users[1] = { ...users[1], displayName: 'Robert', accountEnabled: false, mail: 'robert@contoso.test' };
    const apps = json.applications as Record<string, unknown>[];
    apps[0] = {
      ...apps[0],
      displayName: 'Web renamed',
      passwordCredentials: [
        { secretText: 'web-secret-0123456789', displayName: 'ci', endDateTime: '2030-01-01T00:00:00Z' },
        { secretText: 'second-secret-abcdefgh' },
      ],
    };
    const r = await applySeed(store, parseSeed(json), clock);
    assert.equal(r.updated, 0);
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0] ?? '', /^user 'bob@contoso\.test': mail differs/);
  });

  it('keeps the secrets of an application unchanged in the file without argon2, and a runtime change of it', async () => {
    const before = await store.applications.findByAppId(TENANT.id, WEB_APP);
    assert.ok(before);
    // A runtime change through Graph's one writable group (the back-channel logout registration).
    await store.applications.upsert({ ...before, backchannelLogout: { uri: 'https://app.contoso.test/bcl', sessionRequired: false } });
    const json = withApp({
      displayName: 'Web renamed',
      passwordCredentials: [
        { secretText: 'web-secret-0123456789', displayName: 'ci', endDateTime: '2030-01-01T00:00:00Z' },
        { secretText: 'second-secret-abcdefgh' },
      ],
    });
    const users = json.users as Record<string, unknown>[];
    users[0] = { ...users[0], displayName: 'Alice Liddell', password: 'alice-password-2' };
    users[1] = { ...users[1], displayName: 'Robert', accountEnabled: false, mail: 'robert@contoso.test' };
    const r = await applySeed(store, parseSeed(json), clock);
    assert.equal(r.argon2, 0);
    assert.deepEqual(outcomeOf(r, `Web renamed [${WEB_APP}]`), { outcome: 'unchanged', details: [] });
    assert.deepEqual((await store.applications.findByAppId(TENANT.id, WEB_APP))?.backchannelLogout, {
      uri: 'https://app.contoso.test/bcl',
      sessionRequired: false,
    });
  });

  it('refuses a seed for a different tenant', async () => {
    const other = parseSeed({ ...sampleJson(), tenant: { ...TENANT, id: '00000000-0000-4000-8000-000000000000' } });
    await assert.rejects(
      applySeed(store, other, clock),
      (e: unknown) => e instanceof SeedError && /^tenant\.id: this store already holds tenant/.test(e.message),
    );
  });

  it('refuses an explicit id that contradicts an existing user', async () => {
    const json = withUser({ id: '11111111-2222-4333-8444-555555555555' });
    await assert.rejects(
      applySeed(store, parseSeed(json), clock),
      (e: unknown) => e instanceof SeedError && /^users\[0\]\.id: 'Alice@contoso\.test' already exists with id/.test(e.message),
    );
  });
});

describe('applySeed: users deleted at runtime, and stores the seed has not tracked', () => {
  let dir: string;
  let store: Store;
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const deps = () => ({ store, clock, tenant: { ...TENANT, createdAt: 0 } });

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-seed-'));
    store = openSqliteStore(join(dir, 'portcullis.db'), clock.now());
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('does not recreate a user deleted at runtime, says so, and forgets it once the entry is removed', async () => {
    await applySeed(store, parseSeed(sampleJson()), clock);
    const alice = await store.users.findByUserPrincipalName(TENANT.id, 'alice@contoso.test');
    assert.ok(alice);
    assert.equal(await deleteUser(deps(), alice, RUNTIME), true);

    const again = await applySeed(store, parseSeed(sampleJson()), clock);
    assert.deepEqual(counts(again), { created: 0, updated: 0, unchanged: 3, skipped: 1, adopted: 0 });
    assert.deepEqual(outcomeOf(again, 'Alice@contoso.test'), { outcome: 'skipped', details: ['deleted at runtime'] });
    assert.equal(again.argon2, 0);
    assert.equal(await store.users.findByUserPrincipalName(TENANT.id, 'alice@contoso.test'), null);
    // A changed entry does not bring it back either: the deletion stands until the entry goes.
    const changed = await applySeed(store, parseSeed(withUser({ displayName: 'Alice again' })), clock);
    assert.equal(outcomeOf(changed, 'Alice@contoso.test')?.outcome, 'skipped');
    assert.equal(await store.users.findByUserPrincipalName(TENANT.id, 'alice@contoso.test'), null);

    const without = sampleJson();
    (without.users as unknown[]).shift();
    await applySeed(store, parseSeed(without), clock);
    const back = await applySeed(store, parseSeed(sampleJson()), clock);
    assert.equal(outcomeOf(back, 'Alice@contoso.test')?.outcome, 'created');
    assert.ok(await store.users.findByUserPrincipalName(TENANT.id, 'alice@contoso.test'));
  });

  it('adopts users and applications that exist without a record, writing nothing to them', async () => {
    // As after an upgrade from a version without seed records: drop them all.
    await store.seedState.remove(
      'user',
      (await store.seedState.list()).filter((r) => r.kind === 'user').map((r) => r.key),
    );
    await store.seedState.remove('application', [WEB_APP]);
    const bob = await store.users.findByUserPrincipalName(TENANT.id, 'bob@contoso.test');
    assert.ok(bob);
    await updateUser(deps(), bob, { password: 'Runtime-Reset-2', displayName: 'Bobby' }, RUNTIME);
    const before = await dumpViaStore(store, TENANT.id);
    const r = await applySeed(store, parseSeed(sampleJson()), clock);
    assert.deepEqual(counts(r), { created: 0, updated: 0, unchanged: 1, skipped: 0, adopted: 3 });
    assert.deepEqual(outcomeOf(r, 'bob@contoso.test'), { outcome: 'adopted', details: ['displayName'] });
    assert.equal(r.argon2, 0);
    assert.equal(await dumpViaStore(store, TENANT.id), before);
    const tracked = await applySeed(store, parseSeed(sampleJson()), clock);
    assert.deepEqual(counts(tracked), { created: 0, updated: 0, unchanged: 4, skipped: 0, adopted: 0 });
    // From now on a change in the file is applied.
    const changed = await applySeed(store, parseSeed(withUser({ password: 'bob-password-3' }, 1)), clock);
    assert.deepEqual(outcomeOf(changed, 'bob@contoso.test'), { outcome: 'updated', details: ['password'] });
    assert.equal(await verifySecret((await store.users.findById(TENANT.id, bob.id))?.passwordHash ?? '', 'bob-password-3'), true);
  });
});
