import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Grant, RefreshTokenRecord, User } from '../../src/core/model.js';
import type { SignIn } from '../../src/core/sign-in.js';
import { newGuid } from '../../src/crypto/random.js';
import { PURGE_START } from '../../src/store/sql/retention.js';
import type { PurgeCursor, PurgeKind, Store } from '../../src/store/store.js';
import { makeSignIn, makeUser } from '../helpers/sign-ins.js';
import { storedSigningKey } from './contract-records.js';

/**
 * The sign-in log and retention parts of the Store contract (test/store/contract.ts calls it
 * last inside its describe, so every adapter runs it unchanged). Retention cases use times a year
 * before the other cases', so their purges cannot touch rows the other cases wrote.
 */
export function signInContract(store: () => Store, tenant: string, now: number): void {
  const newUser = (upn: string): User => makeUser(tenant, upn, now);
  const entry = (u: User, at: number, o: Partial<SignIn> = {}): SignIn => makeSignIn(tenant, u, at, o);

  test('sign-ins: insertMany, newest first, every filter, keyset paging, findById; a repeated id is ignored', async () => {
    const s = store();
    const ann = newUser('SignAnn@contract.test');
    const ben = newUser('signben@contract.test');
    await s.users.insert(ann);
    await s.users.insert(ben);
    const rows = [
      entry(ann, now + 1),
      entry(ann, now + 2, { errorCode: 50126, failureReason: 'bad password' }),
      entry(ann, now + 3, { isInteractive: false, clientAppUsed: 'Mobile Apps and Desktop clients' }),
      entry(ben, now + 4, { appId: 'app-b', ipAddress: null, userAgent: null }),
      entry(ben, now + 5, { isInteractive: false, errorCode: 50173 }),
    ];
    await s.signIns.insertMany(rows.slice(0, 3));
    await s.signIns.insertMany([rows[0]!, ...rows.slice(3)]);
    const ids = async (q: Partial<Parameters<Store['signIns']['list']>[0]>) =>
      (await s.signIns.list({ tenantId: tenant, limit: 100, ...q }))
        .filter((r) => rows.some((x) => x.id === r.id))
        .map((r) => rows.findIndex((x) => x.id === r.id));
    assert.deepEqual(await ids({}), [4, 3, 2, 1, 0]);
    assert.deepEqual(await ids({ eventType: 'interactiveUser' }), [3, 1, 0]);
    assert.deepEqual(await ids({ eventType: 'nonInteractiveUser' }), [4, 2]);
    assert.deepEqual(await ids({ userId: ann.id }), [2, 1, 0]);
    assert.deepEqual(await ids({ userPrincipalName: 'SIGNANN@contract.test' }), [2, 1, 0]);
    assert.deepEqual(await ids({ appId: 'app-b' }), [3]);
    assert.deepEqual(await ids({ from: now + 2, to: now + 4 }), [3, 2, 1]);
    assert.deepEqual(await ids({ errorCode: 50126 }), [1]);
    assert.deepEqual(await ids({ failedOnly: true }), [4, 1]);
    const page1 = await s.signIns.list({ tenantId: tenant, userId: ann.id, limit: 2 });
    const last = page1.at(-1)!;
    const page2 = await s.signIns.list({ tenantId: tenant, userId: ann.id, limit: 2, before: { at: last.createdAt, id: last.id } });
    assert.deepEqual(
      [...page1, ...page2].map((r) => r.createdAt),
      [now + 3, now + 2, now + 1],
    );
    assert.deepEqual(await s.signIns.findById(tenant, rows[3]!.id), rows[3]);
    assert.deepEqual(await s.signIns.findById(tenant, rows[2]!.id), rows[2]);
    assert.equal(await s.signIns.findById('another-tenant', rows[3]!.id), null);
    assert.deepEqual(await s.signIns.list({ tenantId: tenant, userId: 'x\u0000', limit: 5 }), []);
    assert.equal(await s.signIns.findById(tenant, 'x\u0000'), null);
  });

  test('sign-ins: signInActivity moves forward only; a deleted user keeps its entries, not its activity', async () => {
    const s = store();
    const u = newUser('activity@contract.test');
    const gone = newUser('activity-gone@contract.test');
    await s.users.insert(u);
    await s.users.insert(gone);
    const late = entry(u, now + 50);
    const failedRefresh = entry(u, now + 60, { isInteractive: false, errorCode: 50173 });
    const okRefresh = entry(u, now + 40, { isInteractive: false });
    await s.signIns.insertMany([late, failedRefresh, okRefresh]);
    // An older batch arriving afterwards changes nothing.
    await s.signIns.insertMany([entry(u, now + 10), entry(u, now + 20, { isInteractive: false })]);
    await s.users.delete(tenant, gone.id, []);
    const orphan = entry(gone, now + 70);
    await s.signIns.insertMany([orphan]);
    const activity = await s.signIns.activity([u.id, gone.id, 'nobody']);
    assert.deepEqual(activity.get(u.id), {
      lastSignInAt: now + 50,
      lastSignInRequestId: late.id,
      lastNonInteractiveSignInAt: now + 60,
      lastNonInteractiveSignInRequestId: failedRefresh.id,
      lastSuccessfulSignInAt: now + 50,
      lastSuccessfulSignInRequestId: late.id,
    });
    assert.equal(activity.has(gone.id), false);
    assert.equal(activity.size, 1);
    assert.equal((await s.signIns.findById(tenant, orphan.id))?.userPrincipalName, 'activity-gone@contract.test');
    assert.equal((await s.signIns.activity([])).size, 0);
  });

  test('sign-ins: one batch moves several users forward, each from its own entries, and skips a missing user', async () => {
    const s = store();
    const [a, b] = [newUser('activity-a@contract.test'), newUser('activity-b@contract.test')];
    await s.users.insert(a);
    await s.users.insert(b);
    const missing = newUser('activity-missing@contract.test');
    const [ea, eb] = [entry(a, now + 5, { isInteractive: false }), entry(b, now + 7)];
    await s.signIns.insertMany([eb, entry(missing, now + 6), ea]);
    const activity = await s.signIns.activity([a.id, b.id, missing.id]);
    assert.deepEqual(
      [
        activity.get(a.id)?.lastNonInteractiveSignInRequestId,
        activity.get(a.id)?.lastSignInRequestId,
        activity.get(b.id)?.lastSignInRequestId,
      ],
      [ea.id, null, eb.id],
    );
    assert.equal(activity.has(missing.id), false);
  });

  test('sign-ins: an attempt for a user name that does not exist (userId empty) is stored, found by the name typed, and moves no activity', async () => {
    const s = store();
    const typed = `No-Such-${newGuid()}@contract.test`;
    const ghost: User = { ...newUser(typed), id: '' };
    const unknown = entry(ghost, now + 80, { errorCode: 50034, failureReason: 'The user account does not exist in the directory.' });
    await s.signIns.insertMany([unknown]);
    assert.deepEqual(await s.signIns.findById(tenant, unknown.id), unknown);
    const found = await s.signIns.list({ tenantId: tenant, userPrincipalName: typed.toLowerCase(), limit: 10 });
    assert.deepEqual(
      found.map((r) => [r.id, r.userId, r.errorCode]),
      [[unknown.id, '', 50034]],
    );
    assert.equal((await s.signIns.activity([''])).size, 0);
  });

  test("sign-ins: service principal (app-only) entries: stored and read back whole, one event type apart from users' sign-ins, by servicePrincipalId, paged; they move no activity", async () => {
    const s = store();
    const u = newUser('sp-neighbour@contract.test');
    await s.users.insert(u);
    const spId = newGuid();
    const nobody = { id: '', userPrincipalName: '', displayName: '' };
    const app = (at: number, o: Partial<SignIn> = {}, sp: Partial<NonNullable<SignIn['servicePrincipal']>> = {}): SignIn =>
      makeSignIn(tenant, nobody, at, {
        appId: spId,
        appDisplayName: 'Nightly Export',
        isInteractive: false,
        clientAppUsed: 'Mobile Apps and Desktop clients',
        resourceId: '00000003-0000-0000-c000-000000000000',
        resourceDisplayName: 'Microsoft Graph',
        servicePrincipal: { id: spId, name: 'Nightly Export', clientCredentialType: 'clientSecret', credentialKeyId: newGuid(), ...sp },
        ...o,
      });
    const otherSp = newGuid();
    const rows = [
      app(now + 201),
      app(
        now + 202,
        { errorCode: 7000215, failureReason: 'Invalid client secret provided.', resourceId: null, resourceDisplayName: null },
        { credentialKeyId: null },
      ),
      entry(u, now + 203),
      entry(u, now + 204, { isInteractive: false }),
      app(
        now + 205,
        { appId: otherSp, appDisplayName: 'Other' },
        { id: otherSp, name: 'Other', clientCredentialType: 'none', credentialKeyId: null },
      ),
      // A client id that names no application (AADSTS700016): no service principal id.
      app(now + 206, { appId: newGuid(), appDisplayName: '', errorCode: 700016 }, { id: '', name: '', credentialKeyId: null }),
      app(now + 207),
    ];
    await s.signIns.insertMany(rows);
    const ids = async (q: Partial<Parameters<Store['signIns']['list']>[0]>) =>
      (await s.signIns.list({ tenantId: tenant, limit: 100, from: now + 201, to: now + 207, ...q })).map((r) =>
        rows.findIndex((x) => x.id === r.id),
      );
    assert.deepEqual(await ids({ eventType: 'servicePrincipal' }), [6, 5, 4, 1, 0]);
    assert.deepEqual(await ids({ eventType: 'interactiveUser' }), [2], 'an app-only entry is not interactive');
    assert.deepEqual(await ids({ eventType: 'nonInteractiveUser' }), [3], "nor a user's non-interactive sign-in");
    assert.deepEqual(await ids({ eventType: 'managedIdentity' }), []);
    assert.deepEqual(await ids({}), [6, 5, 4, 3, 2, 1, 0]);
    assert.deepEqual(await ids({ servicePrincipalId: spId.toUpperCase() }), [6, 1, 0]);
    assert.deepEqual(await ids({ servicePrincipalId: '' }), [5], 'the unknown client is found by its empty id');
    assert.deepEqual(await ids({ appId: otherSp, eventType: 'servicePrincipal' }), [4]);
    assert.deepEqual(await ids({ eventType: 'servicePrincipal', failedOnly: true }), [5, 1]);
    const page1 = await s.signIns.list({ tenantId: tenant, eventType: 'servicePrincipal', servicePrincipalId: spId, limit: 2 });
    const last = page1.at(-1)!;
    const page2 = await s.signIns.list({
      tenantId: tenant,
      eventType: 'servicePrincipal',
      servicePrincipalId: spId,
      limit: 2,
      before: { at: last.createdAt, id: last.id },
    });
    assert.deepEqual(
      [...page1, ...page2].map((r) => r.id),
      [rows[6]!.id, rows[1]!.id, rows[0]!.id],
    );
    for (const i of [0, 1, 4, 5]) assert.deepEqual(await s.signIns.findById(tenant, rows[i]!.id), rows[i]);
    assert.equal((await s.signIns.findById(tenant, rows[2]!.id))?.servicePrincipal, undefined);
    assert.deepEqual(await s.signIns.list({ tenantId: tenant, servicePrincipalId: 'x\u0000', limit: 5 }), []);
    const activity = await s.signIns.activity([u.id, '']);
    assert.equal(activity.get(u.id)?.lastSignInAt, now + 203, "only the user's own entries move the user");
    assert.equal(activity.has(''), false);
  });

  test('retention: each kind in bounded batches; what is live, unexpired or newest is kept', async () => {
    const s = store();
    const DAY = 86_400_000;
    const old = now - 400 * DAY;
    const cutoff = old + DAY;
    const u = newUser('retention@contract.test');
    await s.users.insert(u);
    const g = (o: Partial<Grant>): Grant => ({
      id: newGuid(),
      tenantId: tenant,
      userId: u.id,
      clientId: 'client-r',
      sessionId: null,
      scopes: ['openid'],
      epoch: 0,
      authTime: old,
      createdAt: old,
      revokedAt: null,
      ...o,
    });
    const t = (grant: Grant, o: Partial<RefreshTokenRecord>): RefreshTokenRecord => ({
      hash: newGuid(),
      grantId: grant.id,
      tenantId: tenant,
      userId: u.id,
      clientId: grant.clientId,
      scopes: grant.scopes,
      epoch: 0,
      issuedAt: old,
      expiresAt: old + 1000,
      consumedAt: null,
      ...o,
    });
    // Sign-ins: three old, one recent.
    await s.signIns.insertMany([entry(u, old), entry(u, old + 1), entry(u, old + 2), entry(u, cutoff + 1)]);
    // A grant whose one token was consumed but has not expired: both stay (replay detection).
    const live = g({});
    const consumedUnexpired = t(live, { consumedAt: old + 10, expiresAt: now + DAY });
    await s.grants.create(live, consumedUnexpired);
    // A grant whose token expired: the token goes, then the grant (no token left).
    const expired = g({});
    await s.grants.create(expired, t(expired, {}));
    await s.grants.create(g({}), null); // started before the cutoff, no token: goes
    const revoked = g({ revokedAt: old + 5 });
    await s.grants.create(revoked, t(revoked, { expiresAt: now + DAY }));
    const recentlyRevoked = g({ revokedAt: cutoff + 5 });
    await s.grants.create(recentlyRevoked, t(recentlyRevoked, { expiresAt: now + DAY }));
    await s.grants.create(g({ createdAt: cutoff + 1 }), null); // too recent: stays
    const session = (o: { endedAt?: number | null; expiresAt: number }) => ({
      id: newGuid(),
      tokenHash: newGuid(),
      tenantId: tenant,
      userId: u.id,
      epoch: 0,
      authTime: old,
      createdAt: old,
      endedAt: null,
      ...o,
    });
    await s.sessions.insert(session({ expiresAt: old + 1000 }));
    await s.sessions.insert(session({ expiresAt: now + DAY, endedAt: old + 1000 }));
    const liveSession = session({ expiresAt: now + DAY });
    await s.sessions.insert(liveSession);
    const key = (kid: string, activatesAt: number, retiredAt: number | null) => storedSigningKey(kid, old, activatesAt, retiredAt);
    await s.keys.insert(key('ret-withdrawn', old, old + 1));
    await s.keys.insert(key('ret-unretired', old, null));
    await s.keys.insert(key('ret-newest', now + 3650 * DAY, old + 2));

    const purged = async (kind: PurgeKind, c: number, limit: number) => (await s.retention.purge(kind, c, limit)).deleted;
    assert.deepEqual(await s.retention.purge('signIns', cutoff, 2), { deleted: 2, next: PURGE_START }, 'at most the limit');
    assert.deepEqual(await s.retention.purge('signIns', cutoff, 2), { deleted: 1, next: null });
    assert.equal(await purged('signIns', cutoff, 2), 0);
    assert.equal((await s.signIns.list({ tenantId: tenant, userId: u.id, limit: 10 })).length, 1);

    assert.equal(await purged('refreshTokens', cutoff, 100), 1, 'the expired token only');
    assert.equal((await s.grants.findRefreshToken(consumedUnexpired.hash))?.token.consumedAt, old + 10);
    assert.equal(await purged('revokedGrantTokens', cutoff, 100), 1);
    assert.equal(await purged('grants', cutoff, 100), 3, 'the revoked one and the two old ones without a token');
    assert.equal(await s.grants.findById(expired.id), null);
    assert.equal(await s.grants.findById(revoked.id), null);
    assert.ok(await s.grants.findById(live.id), 'a grant with a token left stays');
    assert.ok(await s.grants.findById(recentlyRevoked.id));
    assert.equal(await purged('sessions', cutoff, 100), 2);
    assert.ok(await s.sessions.findLive(liveSession.tokenHash, now));
    assert.equal(await purged('signingKeys', cutoff, 100), 1);
    assert.deepEqual(
      (await s.keys.list())
        .filter((k) => k.kid.startsWith('ret-'))
        .map((k) => k.kid)
        .sort(),
      ['ret-newest', 'ret-unretired'],
    );
  });

  test('retention: expired authorization and device codes go, unexpired ones stay', async () => {
    const s = store();
    const old = now - 400 * 86_400_000;
    const u = newUser('retention-codes@contract.test');
    await s.users.insert(u);
    for (const [hash, expiresAt] of [
      ['ret-code-old', old],
      ['ret-code-new', now + 60_000],
    ] as const) {
      await s.codes.insert({
        hash,
        grantId: newGuid(),
        tenantId: tenant,
        clientId: 'client-r',
        userId: u.id,
        sessionId: newGuid(),
        redirectUri: 'http://localhost/cb',
        scopes: ['openid'],
        codeChallenge: null,
        codeChallengeMethod: null,
        nonce: null,
        epoch: 0,
        authTime: old,
        expiresAt,
        consumedAt: null,
      });
      await s.deviceCodes.insert({
        deviceCodeHash: `${hash}-d`,
        userCodeHash: `${hash}-u`,
        grantId: newGuid(),
        tenantId: tenant,
        clientId: 'client-r',
        scopes: ['openid'],
        status: 'pending',
        userId: null,
        sessionId: null,
        epoch: null,
        authTime: null,
        interval: 5,
        expiresAt,
        lastPolledAt: null,
        consumedAt: null,
      });
    }
    assert.equal((await s.retention.purge('authorizationCodes', old + 1, 100)).deleted, 1);
    assert.equal((await s.retention.purge('deviceCodes', old + 1, 100)).deleted, 1);
    assert.ok(await s.deviceCodes.findPendingByUserCode('ret-code-new-u', now));
    const redeemed = await s.codes.redeem('ret-code-old', now);
    assert.equal(redeemed.ok ? null : redeemed.reason, 'not_found');
  });

  test('retention: the grants purge walks (created_at, id) from a cursor; grants that must stay are passed once', async () => {
    const s = store();
    const DAY = 86_400_000;
    const old = now - 500 * DAY;
    const cutoff = old + DAY;
    const u = newUser('retention-keyset@contract.test');
    await s.users.insert(u);
    const grant = (createdAt: number): Grant => ({
      id: newGuid(),
      tenantId: tenant,
      userId: u.id,
      clientId: 'client-k',
      sessionId: null,
      scopes: ['openid'],
      epoch: 0,
      authTime: createdAt,
      createdAt,
      revokedAt: null,
    });
    // In (created_at, id) order: five grants whose refresh token is still valid (a sign-in that
    // kept refreshing past the retention), then three without a token; two share one created_at.
    const live = Array.from({ length: 5 }, (_, i) => grant(old + i));
    for (const g of live) {
      await s.grants.create(g, {
        hash: newGuid(),
        grantId: g.id,
        tenantId: tenant,
        userId: u.id,
        clientId: g.clientId,
        scopes: g.scopes,
        epoch: 0,
        issuedAt: now,
        expiresAt: now + 90 * DAY,
        consumedAt: null,
      });
    }
    const dead = [grant(old + 10), grant(old + 11), grant(old + 11)];
    for (const g of dead) await s.grants.create(g, null);
    const recent = grant(cutoff + 1);
    await s.grants.create(recent, null);

    // Each batch examines at most `limit` grants and the next one starts where it stopped.
    const batches: { deleted: number; next: PurgeCursor | null }[] = [];
    let from: PurgeCursor | undefined;
    for (let i = 0; i < 10; i++) {
      const r = await s.retention.purge('grants', cutoff, 2, from);
      batches.push(r);
      if (!r.next) break;
      from = r.next;
    }
    assert.deepEqual(
      batches.map((b) => b.deleted),
      [0, 0, 1, 2],
      'live, live | live, live | live, dead | dead, dead (the last page)',
    );
    assert.deepEqual(batches[0]!.next, { at: old + 2, id: live[2]!.id });
    assert.deepEqual(batches[1]!.next, { at: old + 4, id: live[4]!.id });
    assert.equal(batches[2]!.next?.at, old + 11, 'the first of the two started at the same time');
    assert.ok([dead[1]!.id, dead[2]!.id].includes(batches[2]!.next!.id));
    assert.equal(batches[3]!.next, null, 'nothing after the last page');
    for (const g of live) assert.ok(await s.grants.findById(g.id), 'a grant with a valid token stays');
    for (const g of dead) assert.equal(await s.grants.findById(g.id), null);
    assert.ok(await s.grants.findById(recent.id), 'a grant started after the cutoff stays');
    // From the start again: the live ones are examined, nothing else is due.
    assert.deepEqual(await s.retention.purge('grants', cutoff, 100), { deleted: 0, next: null });
  });
}
