import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AuditRecord, Grant, RefreshTokenRecord, User } from '../../src/core/model.js';
import { afterFailure, type LockoutPolicy } from '../../src/core/lockout.js';
import { newGuid } from '../../src/crypto/random.js';
import { ConflictError, type Store } from '../../src/store/store.js';
import { inventoryContractTests } from './inventory-contract.js';
import { outboxContractTests } from './outbox-contract.js';
import { receiptContractTests } from './receipt-contract.js';
import { auditTargetContract } from './audit-target-contract.js';
import { seedStateContract } from './seed-state-contract.js';
import { signInContract } from './sign-in-contract.js';
import { ssfStoreContract } from './ssf-contract.js';
import { userQueryContract } from './user-query-contract.js';
import { groupStoreContract } from './group-contract.js';

/**
 * The Store contract, written once and run against every adapter (src/store/store.ts is
 * the interface). A second adapter (PostgreSQL) must pass it unchanged, concurrency cases included.
 */
export interface StoreFixture {
  store: Store;
  cleanup(): Promise<void>;
}

const TENANT = '11111111-2222-4333-8444-555555555555';
const NOW = Date.UTC(2026, 5, 1);

function user(upn: string, overrides: Partial<User> = {}): User {
  return {
    id: newGuid(),
    tenantId: TENANT,
    userPrincipalName: upn,
    displayName: upn,
    mail: null,
    passwordHash: '$argon2id$stub',
    accountEnabled: true,
    revocationEpoch: 0,
    signInSessionsValidFrom: null,
    refreshTokensValidFrom: null,
    roleTemplateIds: [],
    createdAt: NOW,
    ...overrides,
  };
}

function audit(activity: string, at: number): AuditRecord {
  return {
    id: newGuid(),
    tenantId: TENANT,
    activityDateTime: at,
    activityDisplayName: activity,
    category: 'UserManagement',
    loggedByService: 'Core Directory',
    operationType: 'Update',
    result: 'success',
    resultReason: '',
    correlationId: newGuid(),
    initiatedBy: {},
    targetResources: [],
  };
}

function grantFor(u: User, epoch = u.revocationEpoch): Grant {
  return {
    id: newGuid(),
    tenantId: TENANT,
    userId: u.id,
    clientId: 'client-a',
    sessionId: null,
    scopes: ['openid', 'User.Read'],
    epoch,
    authTime: NOW,
    createdAt: NOW,
    revokedAt: null,
  };
}

function tokenFor(g: Grant, hash = newGuid(), overrides: Partial<RefreshTokenRecord> = {}): RefreshTokenRecord {
  return {
    hash,
    grantId: g.id,
    tenantId: TENANT,
    userId: g.userId,
    clientId: g.clientId,
    scopes: g.scopes,
    epoch: g.epoch,
    issuedAt: NOW,
    expiresAt: NOW + 3600_000,
    consumedAt: null,
    ...overrides,
  };
}

const successor =
  (hash: string) =>
  (current: RefreshTokenRecord): RefreshTokenRecord => ({ ...current, hash, issuedAt: NOW + 1, consumedAt: null });

export function describeStoreContract(name: string, make: () => Promise<StoreFixture>): void {
  describe(`Store contract: ${name}`, () => {
    let fx: StoreFixture;
    let s: Store;
    before(async () => {
      fx = await make();
      s = fx.store;
      await s.tenants.insert({ id: TENANT, domain: 'contract.test', displayName: 'Contract', createdAt: NOW });
    });
    after(async () => fx.cleanup());
    ssfStoreContract(() => s, TENANT, NOW);
    seedStateContract(() => s, NOW);
    userQueryContract(() => s, NOW);
    groupStoreContract(() => s, NOW);

    test('users: insert, find by id and UPN (case-insensitive), unique UPN, list with keyset paging', async () => {
      const a = user('Ann@contract.test', { roleTemplateIds: ['r2', 'r1'] });
      await s.users.insert(a, [audit('Add user', NOW)]);
      assert.deepEqual((await s.users.findById(TENANT, a.id))?.roleTemplateIds, ['r1', 'r2']);
      assert.equal((await s.users.findByUserPrincipalName(TENANT, 'ann@CONTRACT.test'))?.id, a.id);
      await assert.rejects(s.users.insert(user('ANN@contract.test')), ConflictError);
      for (let i = 0; i < 5; i++) await s.users.insert(user(`page${i}@contract.test`));
      const first = await s.users.list({ tenantId: TENANT, limit: 3 });
      const second = await s.users.list({ tenantId: TENANT, limit: 3, afterId: first.at(-1)!.id });
      assert.equal(first.length, 3);
      assert.ok(second.every((u) => u.id > first.at(-1)!.id));
      assert.equal((await s.users.list({ tenantId: TENANT, userPrincipalName: 'PAGE1@contract.test', limit: 10 })).length, 1);
      // findByIds: the existing ones among the ids, with their roles; unknown ids are left out.
      const wanted = [...new Set([a.id, ...first.map((u) => u.id)])];
      const found = await s.users.findByIds(TENANT, [...wanted, 'no-such-id']);
      assert.deepEqual(found.map((u) => u.id).sort(), wanted.sort());
      assert.deepEqual(found.find((u) => u.id === a.id)?.roleTemplateIds, ['r1', 'r2']);
      assert.deepEqual(await s.users.findByIds(TENANT, []), []);
      assert.deepEqual(await s.users.findByIds('another-tenant', [a.id]), []);
      assert.equal((await s.audit.list({ tenantId: TENANT, activityDisplayName: 'Add user', limit: 10 })).length, 1);
    });

    test('applications as resources: identifier URIs unique per tenant (case-insensitive), found by URI, fields round-trip', async () => {
      const base = {
        tenantId: TENANT,
        publicClientRedirectUris: [],
        webRedirectUris: [],
        spaRedirectUris: [],
        secrets: [],
        allowPublicClientFlows: false,
        delegatedPermissions: [],
        applicationPermissions: [],
        createdAt: NOW,
      };
      const apiId = newGuid();
      const scope = {
        id: newGuid(),
        value: 'access_as_user',
        type: 'User' as const,
        isEnabled: true,
        adminConsentDisplayName: 'Access',
        adminConsentDescription: 'Access the API',
        userConsentDisplayName: null,
        userConsentDescription: null,
      };
      const role = {
        id: newGuid(),
        value: 'Tasks.Read.All',
        displayName: 'Read',
        description: 'Read',
        isEnabled: true,
        allowedMemberTypes: ['Application' as const],
      };
      const api = {
        ...base,
        appId: apiId,
        displayName: 'API',
        identifierUris: [`api://${apiId}`, 'https://API.contract.test/tasks'],
        api: { requestedAccessTokenVersion: 2 as const, oauth2PermissionScopes: [scope] },
        appRoles: [role],
      };
      await s.applications.upsert(api);
      const found = await s.applications.findByIdentifierUri(TENANT, 'https://api.contract.test/TASKS');
      assert.equal(found?.appId, apiId);
      assert.deepEqual(found?.identifierUris, api.identifierUris);
      assert.deepEqual(found?.api, api.api);
      assert.deepEqual(found?.appRoles, [role]);
      assert.equal(await s.applications.findByIdentifierUri('another-tenant', `api://${apiId}`), null);

      // A client: what it needs and what it was granted round-trip; another app may not take the API's URI.
      const clientId = newGuid();
      const client = {
        ...base,
        appId: clientId,
        displayName: 'Client',
        requiredResourceAccess: [{ resourceAppId: apiId, resourceAccess: [{ id: scope.id, type: 'Scope' as const }] }],
        resourceGrants: [{ resourceAppId: apiId, scopes: ['access_as_user'], appRoleIds: [role.id] }],
      };
      await s.applications.upsert(client);
      const stored = await s.applications.findByAppId(TENANT, clientId);
      assert.deepEqual(stored?.requiredResourceAccess, client.requiredResourceAccess);
      assert.deepEqual(stored?.resourceGrants, client.resourceGrants);
      assert.deepEqual(stored?.identifierUris, [], 'absent = none');
      assert.deepEqual(stored?.api, { requestedAccessTokenVersion: null, oauth2PermissionScopes: [] });
      await assert.rejects(
        s.applications.upsert({ ...client, displayName: 'Thief', identifierUris: ['HTTPS://api.contract.test/tasks'] }),
        (e: unknown) => e instanceof ConflictError && e.field === 'identifierUris',
      );
      assert.equal((await s.applications.findByAppId(TENANT, clientId))?.displayName, 'Client', 'nothing half-written');

      // Replacing the URIs releases the old ones.
      await s.applications.upsert({ ...api, identifierUris: [`api://${apiId}`] });
      assert.equal(await s.applications.findByIdentifierUri(TENANT, 'https://api.contract.test/tasks'), null);
      await s.applications.upsert({ ...client, identifierUris: ['https://api.contract.test/tasks'] });
      assert.equal((await s.applications.findByIdentifierUri(TENANT, 'https://api.contract.test/tasks'))?.appId, clientId);
    });

    test('applications: an object id apart from the appId (kept by later upserts), found by either; paged list; delete with audit', async () => {
      const app = (appId: string, id?: string) => ({
        ...(id ? { id } : {}),
        appId,
        tenantId: TENANT,
        displayName: appId.slice(0, 8),
        publicClientRedirectUris: [],
        webRedirectUris: [],
        spaRedirectUris: [],
        secrets: [],
        allowPublicClientFlows: false,
        delegatedPermissions: [],
        applicationPermissions: [],
        createdAt: NOW,
        identifierUris: [`api://${appId}`],
      });
      const objectId = newGuid();
      const registered = app(newGuid(), objectId);
      await s.applications.upsert(registered);
      assert.equal((await s.applications.findById(TENANT, objectId))?.appId, registered.appId);
      assert.equal((await s.applications.findByAppId(TENANT, registered.appId))?.id, objectId);
      assert.equal(await s.applications.findById(TENANT, registered.appId), null);
      assert.equal(await s.applications.findById('another-tenant', objectId), null);
      // An upsert without an id does not change the stored one; an app stored without one has id = appId.
      await s.applications.upsert({ ...app(registered.appId), displayName: 'Renamed' });
      assert.equal((await s.applications.findById(TENANT, objectId))?.displayName, 'Renamed');
      const legacy = app(newGuid());
      await s.applications.upsert(legacy);
      assert.equal((await s.applications.findById(TENANT, legacy.appId))?.id, legacy.appId);

      const all = (await s.applications.list(TENANT)).map((a) => a.appId);
      const paged: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await s.applications.list(TENANT, { limit: 1, ...(after ? { after } : {}) });
        if (page.length === 0) break;
        paged.push(...page.map((a) => a.appId));
        after = page[page.length - 1]!.appId;
      }
      assert.deepEqual(paged, all);

      assert.equal(await s.applications.delete(TENANT, registered.appId, [audit('Delete application', NOW)]), true);
      assert.equal(await s.applications.findById(TENANT, objectId), null);
      assert.equal(await s.applications.findByIdentifierUri(TENANT, `api://${registered.appId}`), null, 'its identifier URIs go too');
      assert.equal(await s.applications.delete(TENANT, registered.appId, [audit('Delete application', NOW)]), false);
      assert.equal((await s.audit.list({ tenantId: TENANT, activityDisplayName: 'Delete application', limit: 10 })).length, 1);
      // The URI is free again.
      await s.applications.upsert({ ...legacy, identifierUris: [`api://${registered.appId}`] });
    });

    test('users.update with revokeAt bumps the epoch, sets both timestamps and writes audit together', async () => {
      const u = user('rev@contract.test');
      await s.users.insert(u);
      const updated = await s.users.update(
        TENANT,
        u.id,
        { displayName: 'Rev' },
        { revokeAt: NOW + 5, audit: [audit('Update StsRefreshTokenValidFrom Timestamp', NOW + 5)] },
      );
      assert.equal(updated?.revocationEpoch, 1);
      assert.equal(updated?.signInSessionsValidFrom, NOW + 5);
      assert.equal(updated?.refreshTokensValidFrom, NOW + 5);
      assert.equal(updated?.displayName, 'Rev');
      assert.equal(await s.users.update(TENANT, newGuid(), {}, { revokeAt: NOW, audit: [] }), null);
    });

    test('users.update: a revoke with its security event returns the user exactly as stored afterwards', async () => {
      const u = { ...user('rev-event@contract.test'), roleTemplateIds: ['62e90394-69f5-4237-9190-012177145e10'] };
      await s.users.insert(u);
      const at = NOW + 7;
      const securityEvent = {
        type: 'sessions-revoked' as const,
        occurredAt: at,
        initiatingEntity: 'admin' as const,
        initiatedBy: { app: { appId: 'a', displayName: 'A' } },
        correlationId: 'c',
      };
      for (const round of [1, 2]) {
        const updated = await s.users.update(
          TENANT,
          u.id,
          {},
          { revokeAt: at + round, audit: [audit('Update StsRefreshTokenValidFrom Timestamp', at)], securityEvent },
        );
        assert.deepEqual(updated, await s.users.findById(TENANT, u.id));
        assert.equal(updated?.revocationEpoch, round);
      }
      assert.equal(await s.users.update(TENANT, newGuid(), {}, { revokeAt: at, audit: [], securityEvent }), null);
    });

    test('users.revoke bumps the epoch, sets both timestamps, writes audit and event, and returns the user as stored', async () => {
      const u = { ...user('revoke-verb@contract.test'), roleTemplateIds: ['62e90394-69f5-4237-9190-012177145e10'] };
      await s.users.insert(u);
      const g = grantFor(u);
      await s.grants.create(g, tokenFor(g, 'rv-0'));
      const at = NOW + 9;
      const securityEvent = {
        type: 'sessions-revoked' as const,
        occurredAt: at,
        initiatingEntity: 'admin' as const,
        initiatedBy: { app: { appId: 'a', displayName: 'A' } },
        correlationId: 'rv',
      };
      const revoked = await s.users.revoke(TENANT, u.id, at, { audit: [audit('Revoke verb', at)], securityEvent });
      assert.deepEqual(revoked, await s.users.findById(TENANT, u.id));
      assert.deepEqual([revoked?.revocationEpoch, revoked?.signInSessionsValidFrom, revoked?.refreshTokensValidFrom], [1, at, at]);
      assert.equal((await s.audit.list({ tenantId: TENANT, activityDisplayName: 'Revoke verb', limit: 10 })).length, 1);
      const [event] = await s.outbox.listEvents({ userId: u.id, limit: 10 });
      assert.deepEqual(
        event?.sessions.flatMap((x) => x.clientIds),
        ['client-a'],
        'the grant the revoke ended was captured',
      );
      const rotated = await s.grants.rotate('rv-0', 'client-a', at, successor('rv-1'), 0);
      assert.equal(rotated.ok ? null : rotated.reason, 'revoked');
      assert.equal(await s.users.revoke(TENANT, newGuid(), at, { audit: [audit('Revoke verb', at)] }), null);
      assert.equal(
        (await s.audit.list({ tenantId: TENANT, activityDisplayName: 'Revoke verb', limit: 10 })).length,
        1,
        'no audit for a missing user',
      );
    });

    test('users.revokeMany: each item revoked as users.revoke does, in order; a missing user is null and leaves no record', async () => {
      const users = Array.from({ length: 3 }, (_, i) => user(`many${i}@contract.test`));
      for (const u of users) {
        await s.users.insert(u);
        const g = grantFor(u);
        await s.grants.create(g, tokenFor(g, `many-${u.id}`));
      }
      const at = NOW + 21;
      const missing = newGuid();
      const actor = { app: { appId: 'a', displayName: 'A' } };
      const itemFor = (id: string, n: number) => ({
        id,
        options: {
          audit: [audit('Revoke many', at)],
          securityEvent: {
            type: 'sessions-revoked' as const,
            occurredAt: at,
            initiatingEntity: 'admin' as const,
            initiatedBy: actor,
            correlationId: `many-${n}`,
          },
          receipt: { kind: 'revokeSignInSessions' as const, correlationId: `many-${n}`, initiatedBy: actor },
        },
      });
      const [a, b, c] = users as [User, User, User];
      // b twice: revoked twice, as two revokes one after the other are.
      const ids = [a.id, b.id, missing, c.id, b.id];
      const result = await s.users.revokeMany(
        TENANT,
        at,
        ids.map((id, n) => itemFor(id, n)),
      );
      assert.deepEqual(
        result.map((u) => u?.revocationEpoch ?? null),
        [1, 1, null, 1, 2],
      );
      for (const u of users) {
        const stored = await s.users.findById(TENANT, u.id);
        assert.deepEqual([stored?.signInSessionsValidFrom, stored?.refreshTokensValidFrom], [at, at]);
        const rotated = await s.grants.rotate(`many-${u.id}`, 'client-a', at, successor(`many-next-${u.id}`), 0);
        assert.equal(rotated.ok ? null : rotated.reason, 'revoked');
        assert.equal((await s.outbox.listEvents({ userId: u.id, limit: 10 })).length, u.id === b.id ? 2 : 1);
      }
      assert.deepEqual(result[4], await s.users.findById(TENANT, b.id));
      assert.equal((await s.audit.list({ tenantId: TENANT, activityDisplayName: 'Revoke many', limit: 10 })).length, 4);
      assert.equal(await s.receipts.findByCorrelationId(TENANT, 'many-2'), null, 'no receipt for the missing user');
      const receipt = await s.receipts.findByCorrelationId(TENANT, 'many-0');
      assert.deepEqual([receipt?.userId, receipt?.cut.applications.map((x) => x.appId)], [a.id, ['client-a']]);
      assert.equal(
        (await s.receipts.findByCorrelationId(TENANT, 'many-4'))?.cut.applications.length,
        0,
        'the second revoke of b cut nothing',
      );
      assert.deepEqual(await s.users.revokeMany(TENANT, at, []), []);
    });

    test('users.revokeMany racing rotations: no rotation is accepted after the revoke answered', async () => {
      // I1 (docs/revocation-model.md) for bulk revocation: a rotation either commits before the
      // revoke (its successor carries the old epoch and is refused afterwards) or is refused.
      const users = Array.from({ length: 16 }, (_, i) => user(`manyrace${i}@contract.test`));
      const latest = new Map<string, string>();
      for (const u of users) {
        await s.users.insert(u);
        const g = grantFor(u);
        await s.grants.create(g, tokenFor(g, `mr-${u.id}-0`));
        latest.set(u.id, `mr-${u.id}-0`);
      }
      const at = NOW + 31;
      for (let round = 0; round < 3; round++) {
        const rotate = (u: User, step: string) => {
          const hash = latest.get(u.id) as string;
          const next = `mr-${u.id}-${round}-${step}`;
          return s.grants.rotate(hash, 'client-a', at + round, successor(next), 0).then((r) => {
            if (r.ok) latest.set(u.id, next);
            return r;
          });
        };
        // One racing rotation per user (two of one token would be a reuse, which revokes the grant
        // and would hide a missed epoch): even users' queued before the revoke, odd users' after it.
        const before = users.filter((_, i) => i % 2 === 0).map((u) => rotate(u, 'a'));
        const revoke = s.users.revokeMany(
          TENANT,
          at + round,
          users.map((u) => ({ id: u.id, options: { audit: [audit('Revoke many race', at)] } })),
        );
        const during = users.filter((_, i) => i % 2 === 1).map((u) => Promise.resolve().then(() => rotate(u, 'b')));
        const revoked = await revoke;
        assert.deepEqual(
          revoked.map((u) => u?.revocationEpoch),
          users.map(() => round + 1),
        );
        const settled = await Promise.all([...before, ...during]);
        for (const r of settled) assert.ok(r.ok || r.reason === 'revoked', `unexpected ${r.ok ? '' : r.reason}`);
        // After the answer: whatever the race left, every user's newest token is refused as revoked.
        for (const u of users) {
          const after = await s.grants.rotate(latest.get(u.id) as string, 'client-a', at + round, successor(`mr-${u.id}-${round}-c`), 0);
          assert.equal(after.ok ? 'accepted' : after.reason, 'revoked', `user ${u.userPrincipalName} round ${round}`);
        }
        // A fresh grant at the new epoch for the next round.
        for (const u of users) {
          const fresh = await s.users.findById(TENANT, u.id);
          const g = grantFor(fresh as User);
          await s.grants.create(g, tokenFor(g, `mr-${u.id}-${round + 1}-0`));
          latest.set(u.id, `mr-${u.id}-${round + 1}-0`);
        }
      }
      assert.equal((await s.audit.list({ tenantId: TENANT, activityDisplayName: 'Revoke many race', limit: 100 })).length, 48);
    });

    test('grants.rotate: a refusal returns the user its transaction read', async () => {
      const u = user('refusal@contract.test');
      await s.users.insert(u);
      const g = grantFor(u);
      await s.grants.create(g, tokenFor(g, 'rf-0'));
      const revokedAt = NOW + 3;
      await s.users.revoke(TENANT, u.id, revokedAt, { audit: [] });
      const refused = await s.grants.rotate('rf-0', 'client-a', NOW + 4, successor('rf-1'), 0);
      assert.ok(!refused.ok);
      assert.equal(refused.reason, 'revoked');
      assert.deepEqual([refused.user?.id, refused.user?.refreshTokensValidFrom], [u.id, revokedAt]);
    });

    test('grants.rotate: consumes once, inserts the successor, refuses other clients without burning', async () => {
      const u = user('rot@contract.test');
      await s.users.insert(u);
      const g = grantFor(u);
      await s.grants.create(g, tokenFor(g, 'rt-0'));
      const other = await s.grants.rotate('rt-0', 'client-b', NOW, successor('never'), 0);
      assert.deepEqual([other.ok, other.ok ? null : other.reason], [false, 'not_found']);
      const r = await s.grants.rotate('rt-0', 'client-a', NOW, successor('rt-1'), 0);
      assert.ok(r.ok);
      assert.equal(r.next.hash, 'rt-1');
      assert.equal(r.grant.id, g.id);
      assert.ok((await s.grants.rotate('rt-1', 'client-a', NOW, successor('rt-2'), 0)).ok);
    });

    test('grants: client capabilities round-trip; findRefreshToken returns the token and its grant in any state', async () => {
      const u = user('caps@contract.test');
      await s.users.insert(u);
      const g = { ...grantFor(u), clientCapabilities: ['cp1'] };
      await s.grants.create(g, tokenFor(g, 'fr-0'));
      assert.deepEqual((await s.grants.findById(g.id))?.clientCapabilities, ['cp1']);
      const plain = grantFor(u);
      await s.grants.create(plain, null);
      assert.deepEqual((await s.grants.findById(plain.id))?.clientCapabilities, [], 'absent = none');

      const found = await s.grants.findRefreshToken('fr-0');
      assert.equal(found?.token.hash, 'fr-0');
      assert.equal(found?.token.grantId, g.id);
      assert.equal(found?.token.clientId, 'client-a');
      assert.equal(found?.grant?.id, g.id);
      assert.equal(found?.grant?.revokedAt, null);
      assert.equal(await s.grants.findRefreshToken('fr-unknown'), null);
      // Consumed and revoked tokens are still found: the caller judges their state.
      assert.ok((await s.grants.rotate('fr-0', 'client-a', NOW, successor('fr-1'), 0)).ok);
      assert.equal((await s.grants.findRefreshToken('fr-0'))?.token.consumedAt, NOW);
      await s.grants.revoke(g.id, NOW + 5);
      assert.equal((await s.grants.findRefreshToken('fr-1'))?.grant?.revokedAt, NOW + 5);
    });

    test('codes: client capabilities travel with the code', async () => {
      const u = user('codecaps@contract.test');
      await s.users.insert(u);
      const code = {
        hash: 'cc-0',
        grantId: newGuid(),
        tenantId: TENANT,
        clientId: 'client-a',
        userId: u.id,
        sessionId: newGuid(),
        redirectUri: 'http://localhost/cb',
        scopes: ['openid'],
        codeChallenge: null,
        codeChallengeMethod: null,
        nonce: null,
        epoch: 0,
        authTime: NOW,
        expiresAt: NOW + 60_000,
        consumedAt: null,
        clientCapabilities: ['cp1'],
      };
      await s.codes.insert(code);
      const redeemed = await s.codes.redeem('cc-0', NOW);
      assert.ok(redeemed.ok);
      assert.deepEqual(redeemed.record.clientCapabilities, ['cp1']);
    });

    test('grants.rotate: reuse revokes the family; a grace window does not', async () => {
      const u = user('reuse@contract.test');
      await s.users.insert(u);
      const g = grantFor(u);
      await s.grants.create(g, tokenFor(g, 'ru-0'));
      assert.ok((await s.grants.rotate('ru-0', 'client-a', NOW, successor('ru-1'), 10_000)).ok);
      const graced = await s.grants.rotate('ru-0', 'client-a', NOW + 1, successor('x'), 10_000);
      assert.equal(graced.ok ? null : graced.reason, 'consumed');
      assert.ok((await s.grants.rotate('ru-1', 'client-a', NOW + 2, successor('ru-2'), 10_000)).ok, 'family alive inside grace');
      const replay = await s.grants.rotate('ru-1', 'client-a', NOW + 20_000, successor('y'), 10_000);
      assert.equal(replay.ok ? null : replay.reason, 'consumed');
      const dead = await s.grants.rotate('ru-2', 'client-a', NOW + 20_001, successor('z'), 10_000);
      assert.equal(dead.ok ? null : dead.reason, 'revoked');
      assert.ok((await s.grants.findById(g.id))?.revokedAt);
    });

    test('grants.rotate: the epoch, account state and expiry are checked in the same transaction', async () => {
      const u = user('epoch@contract.test');
      await s.users.insert(u);
      const g = grantFor(u);
      await s.grants.create(g, tokenFor(g, 'ep-0'));
      await s.grants.create(grantFor(u), tokenFor(g, 'ep-expired', { expiresAt: NOW - 1 }));
      const expired = await s.grants.rotate('ep-expired', 'client-a', NOW, successor('n'), 0);
      assert.equal(expired.ok ? null : expired.reason, 'expired');
      await s.users.update(TENANT, u.id, {}, { revokeAt: NOW, audit: [] });
      const revoked = await s.grants.rotate('ep-0', 'client-a', NOW, successor('n2'), 0);
      assert.equal(revoked.ok ? null : revoked.reason, 'revoked');
      const g2 = grantFor(u, 1);
      await s.grants.create(g2, tokenFor(g2, 'ep-1'));
      await s.users.update(TENANT, u.id, { accountEnabled: false }, { revokeAt: NOW, audit: [] });
      const disabled = await s.grants.rotate('ep-1', 'client-a', NOW, successor('n3'), 0);
      assert.equal(disabled.ok ? null : disabled.reason, 'disabled');
    });

    test('grants.rotate: a SPA grant keeps its end, only cross-origin; any other grant only without Origin', async () => {
      const u = user('spa-grant@contract.test');
      await s.users.insert(u);
      const spaGrant = { ...grantFor(u), spaExpiresAt: NOW + 86_400_000 };
      await s.grants.create(spaGrant, tokenFor(spaGrant, 'spa-0', { expiresAt: spaGrant.spaExpiresAt }));
      assert.equal((await s.grants.findById(spaGrant.id))?.spaExpiresAt, spaGrant.spaExpiresAt);
      const sameOrigin = await s.grants.rotate('spa-0', 'client-a', NOW, successor('never'), 0);
      assert.equal(sameOrigin.ok ? null : sameOrigin.reason, 'spa_not_cross_origin');
      let seen: Grant | undefined;
      const next = (current: RefreshTokenRecord, grant: Grant) => ((seen = grant), successor('spa-1')(current));
      assert.ok((await s.grants.rotate('spa-0', 'client-a', NOW, next, 0, true)).ok, 'not consumed by the refusal');
      assert.equal(seen?.spaExpiresAt, spaGrant.spaExpiresAt, 'the successor is built knowing the grant');
      const ended = await s.grants.rotate('spa-1', 'client-a', spaGrant.spaExpiresAt, successor('spa-2'), 0, true);
      assert.equal(ended.ok ? null : ended.reason, 'spa_expired');
      assert.equal(ended.ok ? null : ended.grant?.id, spaGrant.id);

      const plain = grantFor(u);
      await s.grants.create(plain, tokenFor(plain, 'np-0'));
      assert.equal((await s.grants.findById(plain.id))?.spaExpiresAt, null);
      const crossOrigin = await s.grants.rotate('np-0', 'client-a', NOW, successor('never2'), 0, true);
      assert.equal(crossOrigin.ok ? null : crossOrigin.reason, 'cross_origin_not_spa');
      assert.ok((await s.grants.rotate('np-0', 'client-a', NOW, successor('np-1'), 0)).ok);
    });

    test('grants.rotate: concurrent rotations of one token — exactly one wins', async () => {
      const u = user('race@contract.test');
      await s.users.insert(u);
      const g = grantFor(u);
      await s.grants.create(g, tokenFor(g, 'race-0'));
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => s.grants.rotate('race-0', 'client-a', NOW, successor(`race-${i + 1}`), 60_000)),
      );
      assert.equal(results.filter((r) => r.ok).length, 1);
    });

    test('concurrent revokes, a failing update and rotations: each applied or refused on its own, with its audit record', async () => {
      // Adapters may commit writes that arrive together in one transaction (SQLite's group
      // commit): one write's failure must not undo or fail the others.
      const users = Array.from({ length: 12 }, (_, i) => user(`bulk${i}@contract.test`));
      for (const u of users) await s.users.insert(u);
      const bystander = user('bystander@contract.test');
      await s.users.insert(bystander);
      const g = grantFor(bystander);
      await s.grants.create(g, tokenFor(g, 'by-0'));
      const at = NOW + 77;
      const [revokes, conflict, rotated] = await Promise.all([
        Promise.allSettled(users.map((u) => s.users.update(TENANT, u.id, {}, { revokeAt: at, audit: [audit('Bulk revoke', at)] }))),
        s.users
          .update(TENANT, users[0]!.id, { userPrincipalName: 'bystander@contract.test' }, { audit: [audit('Bulk conflict', at)] })
          .then(
            () => 'applied',
            (e: unknown) => (e instanceof ConflictError ? 'conflict' : String(e)),
          ),
        s.grants.rotate('by-0', 'client-a', at, successor('by-1'), 0),
      ]);
      assert.deepEqual(
        revokes.map((r) => (r.status === 'fulfilled' ? r.value?.revocationEpoch : r.reason)),
        users.map(() => 1),
      );
      assert.equal(conflict, 'conflict');
      assert.ok(rotated.ok, 'a rotation of another user is unaffected');
      for (const u of users) {
        const now = await s.users.findById(TENANT, u.id);
        assert.deepEqual([now?.revocationEpoch, now?.signInSessionsValidFrom, now?.userPrincipalName], [1, at, u.userPrincipalName]);
      }
      assert.equal((await s.audit.list({ tenantId: TENANT, activityDisplayName: 'Bulk revoke', limit: 100 })).length, users.length);
      assert.equal(
        (await s.audit.list({ tenantId: TENANT, activityDisplayName: 'Bulk conflict', limit: 100 })).length,
        0,
        'the failed update left no audit record',
      );
    });

    test('codes.redeem: single use; replay reports consumed and revokes the grant', async () => {
      const u = user('code@contract.test');
      await s.users.insert(u);
      const g = grantFor(u);
      const code = {
        hash: 'code-0',
        grantId: g.id,
        tenantId: TENANT,
        clientId: 'client-a',
        userId: u.id,
        sessionId: newGuid(),
        redirectUri: 'https://a.test/cb',
        scopes: ['openid'],
        codeChallenge: null,
        codeChallengeMethod: null,
        nonce: null,
        epoch: 0,
        authTime: NOW,
        expiresAt: NOW + 600_000,
        consumedAt: null,
      };
      await s.codes.insert(code);
      const first = await s.codes.redeem('code-0', NOW);
      assert.ok(first.ok);
      await s.grants.create(g, tokenFor(g, 'from-code'));
      const replay = await s.codes.redeem('code-0', NOW + 1);
      assert.equal(replay.ok ? null : replay.reason, 'consumed');
      assert.ok((await s.grants.findById(g.id))?.revokedAt);
      assert.equal((await s.codes.redeem('nope', NOW)).ok, false);
    });

    test('sessions: live only while the epoch is current, the user enabled and the session not ended', async () => {
      const u = user('sess@contract.test');
      await s.users.insert(u);
      const base = {
        id: newGuid(),
        tenantId: TENANT,
        userId: u.id,
        epoch: 0,
        authTime: NOW,
        createdAt: NOW,
        expiresAt: NOW + 1000,
        endedAt: null,
      };
      await s.sessions.insert({ ...base, tokenHash: 's-1' });
      await s.sessions.insert({ ...base, id: newGuid(), tokenHash: 's-2' });
      assert.ok(await s.sessions.findLive('s-1', NOW));
      assert.equal(await s.sessions.findLive('s-1', NOW + 1000), null, 'expired');
      await s.sessions.end('s-2', NOW);
      assert.equal(await s.sessions.findLive('s-2', NOW), null, 'ended');
      await s.users.update(TENANT, u.id, {}, { revokeAt: NOW, audit: [] });
      assert.equal(await s.sessions.findLive('s-1', NOW), null, 'revoked');
    });

    test('deviceCodes: pending, slow_down, approved then consumed once; decisions only while pending', async () => {
      const u = user('device@contract.test');
      await s.users.insert(u);
      await s.deviceCodes.insert({
        deviceCodeHash: 'dc-0',
        userCodeHash: 'uc-0',
        grantId: newGuid(),
        tenantId: TENANT,
        clientId: 'client-a',
        scopes: ['openid'],
        status: 'pending',
        userId: null,
        sessionId: null,
        epoch: null,
        authTime: null,
        interval: 5,
        expiresAt: NOW + 900_000,
        lastPolledAt: null,
        consumedAt: null,
      });
      const p1 = await s.deviceCodes.poll('dc-0', NOW);
      assert.equal(p1.ok ? null : p1.reason, 'pending');
      const p2 = await s.deviceCodes.poll('dc-0', NOW + 1000);
      assert.equal(p2.ok ? null : p2.reason, 'slow_down');
      assert.ok(await s.deviceCodes.findPendingByUserCode('uc-0', NOW));
      assert.ok(
        await s.deviceCodes.decide('uc-0', { status: 'approved', userId: u.id, sessionId: newGuid(), epoch: 0, authTime: NOW }, NOW),
      );
      assert.equal(await s.deviceCodes.decide('uc-0', { status: 'declined' }, NOW), false);
      const ok = await s.deviceCodes.poll('dc-0', NOW + 10_000);
      assert.ok(ok.ok);
      const again = await s.deviceCodes.poll('dc-0', NOW + 20_000);
      assert.equal(again.ok ? null : again.reason, 'consumed');
    });

    test('users.delete removes the user and its credentials, keeps the audit trail', async () => {
      const u = user('gone@contract.test');
      await s.users.insert(u);
      const g = grantFor(u);
      await s.grants.create(g, tokenFor(g, 'gone-rt'));
      assert.equal(await s.users.delete(TENANT, u.id, [audit('Delete user', NOW)]), true);
      assert.equal(await s.users.findById(TENANT, u.id), null);
      const r = await s.grants.rotate('gone-rt', 'client-a', NOW, successor('x'), 0);
      assert.equal(r.ok, false);
      assert.equal(await s.users.delete(TENANT, u.id, []), false);
      assert.equal((await s.audit.list({ tenantId: TENANT, activityDisplayName: 'Delete user', limit: 5 })).length, 1);
    });

    test('keys: rotate adds a key and retires the named ones in one step; listUnretired is what instances publish', async () => {
      const key = (kid: string, createdAt: number, activatesAt = createdAt) => ({
        kid,
        alg: 'RS256' as const,
        privateKeyPem: `pem-${kid}`,
        publicJwk: { kty: 'RSA', kid },
        createdAt,
        activatesAt,
        retiredAt: null,
      });
      assert.equal(await s.keys.insertIfNone(key('k1', NOW)), true);
      assert.equal(await s.keys.insertIfNone(key('k1b', NOW)), false, 'a first key exists already');
      await s.keys.rotate(key('k2', NOW + 10), [], NOW + 10);
      await s.keys.rotate(key('k3', NOW + 20), ['k1'], NOW + 20);
      assert.deepEqual(
        (await s.keys.list()).map((k) => [k.kid, k.retiredAt]),
        [
          ['k1', NOW + 20],
          ['k2', null],
          ['k3', null],
        ],
      );
      assert.deepEqual(
        (await s.keys.listUnretired()).map((k) => k.kid),
        ['k2', 'k3'],
      );
      // A duplicate kid fails the whole rotation: nothing is retired.
      await assert.rejects(s.keys.rotate(key('k3', NOW + 30), ['k2'], NOW + 30));
      assert.deepEqual(
        (await s.keys.listUnretired()).map((k) => k.kid),
        ['k2', 'k3'],
      );
      // Activation order, not creation order: a next key created earlier that activates later comes last.
      await s.keys.rotate(key('k4', NOW + 40, NOW + 100_000), [], NOW + 40);
      await s.keys.rotate(key('k5', NOW + 50, NOW + 60), [], NOW + 50);
      const live = await s.keys.listUnretired();
      assert.deepEqual(
        live.map((k) => [k.kid, k.activatesAt]),
        [
          ['k2', NOW + 10],
          ['k3', NOW + 20],
          ['k5', NOW + 60],
          ['k4', NOW + 100_000],
        ],
      );
      assert.equal(await s.keys.withdraw('k4', NOW + 70), true);
      assert.equal(await s.keys.withdraw('k4', NOW + 80), false, 'already withdrawn: the first time stays');
      assert.equal(await s.keys.withdraw('nope', NOW + 80), false);
      assert.deepEqual(
        (await s.keys.listUnretired()).map((k) => k.kid),
        ['k2', 'k3', 'k5'],
      );
      assert.equal((await s.keys.list()).find((k) => k.kid === 'k4')?.retiredAt, NOW + 70);
    });

    test('secrets: getOrCreate keeps the first value stored; concurrent first calls all get the one winner', async () => {
      const name = `test-secret-${newGuid()}`;
      const got = await Promise.all(['a', 'b', 'c', 'd', 'e', 'f'].map((v) => s.secrets.getOrCreate(name, `candidate-${v}`, NOW)));
      assert.equal(new Set(got).size, 1, `one value for every caller: ${got.join(', ')}`);
      assert.match(got[0]!, /^candidate-[a-f]$/);
      assert.equal(await s.secrets.getOrCreate(name, 'later-candidate', NOW + 1), got[0], 'a later candidate never replaces it');
      assert.notEqual(await s.secrets.getOrCreate(`${name}-other`, 'other', NOW), got[0], 'secrets are per name');
    });

    test('lockouts: update stores the state with its audit records; get hides expired rows; clear forgets', async () => {
      const policy: LockoutPolicy = { threshold: 3, lockoutSeconds: 60, maxLockoutSeconds: 600, resetAfterSeconds: 3600 };
      const key = `user:${TENANT}:${newGuid()}`;
      assert.equal(await s.lockouts.get(key, NOW), null);
      for (let i = 0; i < 3; i++) {
        await s.lockouts.update(key, NOW + i, (current) => {
          const { state, locked } = afterFailure(current, key, NOW + i, policy);
          return { state, audit: locked ? [audit(`Lockout ${key}`, NOW + i)] : [] };
        });
      }
      const locked = await s.lockouts.get(key, NOW + 3);
      assert.equal(locked?.failures, 3);
      assert.equal(locked?.lockedUntil, NOW + 2 + 60_000);
      assert.equal(
        (await s.audit.list({ tenantId: TENANT, activityDisplayName: `Lockout ${key}`, limit: 5 })).length,
        1,
        'one audit record, for the failure that locked',
      );
      assert.equal(await s.lockouts.get(key, locked!.expiresAt), null, 'expired rows read as none');
      await s.lockouts.clear(key);
      assert.equal(await s.lockouts.get(key, NOW + 3), null);
    });

    test('lockouts: a failing `next` leaves nothing behind (state and audit commit together)', async () => {
      const key = `client:${newGuid()}`;
      await assert.rejects(
        s.lockouts.update(key, NOW, () => {
          throw new Error('boom');
        }),
        /boom/,
      );
      assert.equal(await s.lockouts.get(key, NOW), null);
    });

    test('lockouts: concurrent failures for one subject lose no increment', async () => {
      const policy: LockoutPolicy = { threshold: 1000, lockoutSeconds: 60, maxLockoutSeconds: 600, resetAfterSeconds: 3600 };
      const key = `sign-in-source:${newGuid()}`;
      await Promise.all(
        Array.from({ length: 25 }, () =>
          s.lockouts.update(key, NOW, (current) => ({ state: afterFailure(current, key, NOW, policy).state, audit: [] })),
        ),
      );
      assert.equal((await s.lockouts.get(key, NOW))?.failures, 25);
    });

    test('lockouts: updates prune expired rows of other subjects', async () => {
      const policy: LockoutPolicy = { threshold: 10, lockoutSeconds: 60, maxLockoutSeconds: 600, resetAfterSeconds: 1 };
      const stale = Array.from({ length: 5 }, () => `client-source:${newGuid()}`);
      for (const key of stale) await s.lockouts.update(key, NOW, (c) => ({ state: afterFailure(c, key, NOW, policy).state, audit: [] }));
      const later = NOW + 10_000;
      const fresh = `client-source:${newGuid()}`;
      await s.lockouts.update(fresh, later, (c) => ({ state: afterFailure(c, fresh, later, policy).state, audit: [] }));
      // Read with an old `now`, at which the stale rows would still be live if they were there.
      for (const key of stale) assert.equal(await s.lockouts.get(key, NOW), null, 'pruned');
      assert.equal((await s.lockouts.get(fresh, later))?.failures, 1);
    });

    test('audit.list pages newest first', async () => {
      for (let i = 0; i < 5; i++) await s.audit.insert(audit('Paged', NOW + i));
      const page1 = await s.audit.list({ tenantId: TENANT, activityDisplayName: 'Paged', limit: 2 });
      const last = page1.at(-1)!;
      const page2 = await s.audit.list({
        tenantId: TENANT,
        activityDisplayName: 'Paged',
        limit: 10,
        before: { at: last.activityDateTime, id: last.id },
      });
      assert.deepEqual(
        page1.map((a) => a.activityDateTime),
        [NOW + 4, NOW + 3],
      );
      assert.deepEqual(
        page2.map((a) => a.activityDateTime),
        [NOW + 2, NOW + 1, NOW],
      );
    });

    test('lookups by a key holding U+0000 find nothing and do not fail (PostgreSQL text cannot hold it)', async () => {
      await s.users.insert(user('nul@contract.test'));
      await s.audit.insert(audit('Nul', NOW));
      assert.equal(await s.users.findByUserPrincipalName(TENANT, 'nul\u0000@contract.test'), null);
      assert.equal(await s.users.findByUserPrincipalName(TENANT, 'nul@contract.test\u0000'), null);
      assert.deepEqual(await s.users.list({ tenantId: TENANT, userPrincipalName: '\u0000nul@contract.test', limit: 10 }), []);
      assert.deepEqual(await s.audit.list({ tenantId: TENANT, activityDisplayName: 'Nul\u0000', limit: 10 }), []);
      assert.equal((await s.users.findByUserPrincipalName(TENANT, 'nul@contract.test'))?.userPrincipalName, 'nul@contract.test');
    });

    outboxContractTests(() => s, TENANT, NOW);
    receiptContractTests(() => s, TENANT, NOW);
    auditTargetContract(() => s, TENANT, NOW);
    inventoryContractTests(() => s, TENANT, NOW);
    signInContract(() => s, TENANT, NOW);
  });
}
