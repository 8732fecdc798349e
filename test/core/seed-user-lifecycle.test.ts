import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../src/clock.js';
import { SeedError, applySeed, parseSeed } from '../../src/core/seed.js';
import { UserRuleError, createUser } from '../../src/core/user-management.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import type { Store } from '../../src/store/store.js';

/**
 * A seed file's users are users of the one directory: what the seed accepts is what Graph's
 * POST /users (core/user-management.ts createUser) accepts, and what it creates looks the same.
 */
const TENANT = { id: '7c0e4a1b-2d3f-4a5b-8c6d-7e8f9a0b1c2d', domain: 'contoso.test', displayName: 'Contoso' };
const GOOD = { userPrincipalName: 'alice@contoso.test', displayName: 'Alice', password: 'Alice-password-1', mail: null as string | null };
const RUNTIME = {
  actor: { user: { id: 'runtime-admin', userPrincipalName: 'admin@contoso.test', displayName: 'Admin' } },
  correlationId: 'c',
};

function seedWith(user: Record<string, unknown>): unknown {
  return { tenant: TENANT, users: [user] };
}

function seedAccepts(user: Record<string, unknown>): boolean {
  try {
    parseSeed(seedWith(user));
    return true;
  } catch (e) {
    if (e instanceof SeedError) return false;
    throw e;
  }
}

describe('seed users and the one user lifecycle', () => {
  let dir: string;
  let store: Store;
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const deps = () => ({ store, clock, tenant: { ...TENANT, createdAt: 0 } });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-seed-lifecycle-'));
    store = openSqliteStore(join(dir, 'portcullis.db'), clock.now());
    await store.tenants.insert({ ...TENANT, createdAt: 0 });
  });

  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function directoryAccepts(user: typeof GOOD, n: number): Promise<boolean> {
    try {
      // A distinct valid alias when the case is not about the userPrincipalName, so no duplicate.
      const upn = user.userPrincipalName === GOOD.userPrincipalName ? `probe${n}@contoso.test` : user.userPrincipalName;
      const mailNickname = upn.slice(0, upn.lastIndexOf('@')).replace(/[^A-Za-z0-9]/g, '') || 'probe';
      await createUser(deps(), { ...user, userPrincipalName: upn, mailNickname, accountEnabled: true }, RUNTIME);
      return true;
    } catch (e) {
      if (e instanceof UserRuleError) return false;
      throw e;
    }
  }

  it('accepts exactly the userPrincipalNames, passwords and mail addresses the directory accepts', async () => {
    const cases: (typeof GOOD)[] = [
      GOOD,
      // The UPN drift: the seed's own rule allowed '+' and '..' in the alias; Entra's (and Graph's) does not.
      { ...GOOD, userPrincipalName: 'first+last@contoso.test' },
      { ...GOOD, userPrincipalName: 'first..last@contoso.test' },
      { ...GOOD, userPrincipalName: "o'brien.x_y-z!#^~@contoso.test" },
      { ...GOOD, userPrincipalName: '.lead@contoso.test' },
      { ...GOOD, userPrincipalName: 'alice@fabrikam.test' },
      { ...GOOD, userPrincipalName: 'ALICE2@CONTOSO.TEST' },
      // Passwords: Entra's policy is three of four character classes, not only a length.
      { ...GOOD, password: 'alllowercaseletters' },
      { ...GOOD, password: 'lower-and-symbols!' },
      // Mail: a simple address with a dotted domain.
      { ...GOOD, mail: 'alice@localhost' },
      { ...GOOD, mail: 'alice@contoso.test' },
    ];
    const disagreements: string[] = [];
    for (const [n, c] of cases.entries()) {
      const seed = seedAccepts(c);
      const directory = await directoryAccepts(c, n);
      if (seed !== directory)
        disagreements.push(`${JSON.stringify(c)}: seed ${seed ? 'accepts' : 'refuses'}, directory ${directory ? 'accepts' : 'refuses'}`);
    }
    assert.deepEqual(disagreements, []);
  });

  it("names the bad userPrincipalName with the seed's message", () => {
    assert.throws(
      () => parseSeed(seedWith({ ...GOOD, userPrincipalName: 'first+last@contoso.test' })),
      (e: unknown) =>
        e instanceof SeedError &&
        e.message ===
          "users[0].userPrincipalName: must be an email-like user@domain whose domain is the tenant domain 'contoso.test', got 'first+last@contoso.test'",
    );
  });

  it("creates seed users through createUser: an 'Add user' record by the seed, a trimmed display name", async () => {
    const r = await applySeed(
      store,
      parseSeed(seedWith({ ...GOOD, userPrincipalName: 'dave@contoso.test', displayName: '  Dave  ', roles: ['User Administrator'] })),
      clock,
    );
    assert.equal(r.created, 1);
    const dave = await store.users.findByUserPrincipalName(TENANT.id, 'dave@contoso.test');
    assert.ok(dave);
    assert.equal(dave.displayName, 'Dave', 'trimmed as Graph trims it');
    assert.equal(dave.roleTemplateIds.length, 1);
    const added = await store.audit.list({ tenantId: TENANT.id, activityDisplayName: 'Add user', limit: 50 });
    const record = added.find((a) => a.targetResources[0]?.id === dave.id);
    assert.ok(record, 'the creation is audited like any other');
    assert.deepEqual(record.initiatedBy, { app: { appId: 'portcullis-seed', displayName: 'Portcullis seed' } });
    // Applying the same file again changes nothing and finds no difference (the stored name is the file's).
    const again = await applySeed(
      store,
      parseSeed(seedWith({ ...GOOD, userPrincipalName: 'dave@contoso.test', displayName: '  Dave  ', roles: ['User Administrator'] })),
      clock,
    );
    assert.deepEqual(
      again.entries.find((e) => e.kind === 'user'),
      { kind: 'user', name: 'dave@contoso.test', outcome: 'unchanged', details: [] },
    );
  });
});

describe('a seed rename onto a userPrincipalName another user holds', () => {
  it('is refused as a SeedError naming the entry, and changes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-seed-rename-'));
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const store = openSqliteStore(join(dir, 'portcullis.db'), clock.now());
    try {
      const id = '0a0b0c0d-1111-4222-8333-444444444444';
      await applySeed(store, parseSeed(seedWith({ ...GOOD, id, userPrincipalName: 'eve@contoso.test' })), clock);
      const tenant = { ...TENANT, createdAt: 0 };
      await createUser(
        { store, clock, tenant },
        { ...GOOD, userPrincipalName: 'frank@contoso.test', mailNickname: 'frank', accountEnabled: true },
        RUNTIME,
      );
      await assert.rejects(
        applySeed(store, parseSeed(seedWith({ ...GOOD, id, userPrincipalName: 'Frank@contoso.test' })), clock),
        (e: unknown) => e instanceof SeedError && e.message === "users[0].userPrincipalName: another user already has 'Frank@contoso.test'",
      );
      assert.equal((await store.users.findById(TENANT.id, id))?.userPrincipalName, 'eve@contoso.test');
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
