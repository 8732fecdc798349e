import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AuditRecord, AuthorizationCode, Grant, RefreshTokenRecord, SsoSession, User } from '../../src/core/model.js';
import { REFRESH_TOKEN_ID_LENGTH } from '../../src/core/revocation-receipt.js';
import type { CutFound, CutTarget } from '../../src/core/session-inventory.js';
import type { SecurityEventDraft } from '../../src/core/security-event.js';
import { newGuid } from '../../src/crypto/random.js';
import { contractRecords } from './contract-records.js';
import type { Store } from '../../src/store/store.js';

/**
 * The session inventory and targeted revocation part of the Store contract (InventoryStore in
 * src/store/store.ts, docs/sessions.md), run by test/store/contract.ts inside each adapter's suite.
 */
export function inventoryContractTests(store: () => Store, tenant: string, now: number): void {
  const { user } = contractRecords(tenant, now);
  const session = (u: User, at: number, overrides: Partial<SsoSession> = {}): SsoSession => ({
    id: newGuid(),
    tokenHash: newGuid(),
    tenantId: tenant,
    userId: u.id,
    epoch: u.revocationEpoch,
    authTime: at,
    createdAt: at,
    expiresAt: at + 3600_000,
    endedAt: null,
    clientId: 'app-web',
    clientIp: '198.51.100.7',
    userAgent: 'Mozilla/5.0 (Windows NT 10.0) Firefox/120.0',
    signInMethod: 'password',
    ...overrides,
  });
  const grant = (u: User, clientId: string, sessionId: string | null, at: number): Grant => ({
    id: newGuid(),
    tenantId: tenant,
    userId: u.id,
    clientId,
    sessionId,
    scopes: ['openid', 'offline_access'],
    epoch: u.revocationEpoch,
    authTime: at,
    createdAt: at,
    revokedAt: null,
    clientIp: '203.0.113.9',
    userAgent: 'curl/8.4.0',
    signInMethod: sessionId ? 'sso' : 'deviceCode',
  });
  const token = (g: Grant, at: number, overrides: Partial<RefreshTokenRecord> = {}): RefreshTokenRecord => ({
    hash: newGuid(),
    grantId: g.id,
    tenantId: tenant,
    userId: g.userId,
    clientId: g.clientId,
    scopes: g.scopes,
    epoch: g.epoch,
    issuedAt: at,
    expiresAt: at + 3600_000,
    consumedAt: null,
    clientIp: g.clientIp ?? null,
    userAgent: g.userAgent ?? null,
    ...overrides,
  });
  const code = (u: User, clientId: string, sessionId: string, at: number): AuthorizationCode => ({
    hash: newGuid(),
    grantId: newGuid(),
    tenantId: tenant,
    clientId,
    userId: u.id,
    sessionId,
    redirectUri: 'http://localhost/cb',
    scopes: ['openid'],
    codeChallenge: null,
    codeChallengeMethod: null,
    nonce: null,
    epoch: u.revocationEpoch,
    authTime: at,
    expiresAt: at + 600_000,
    consumedAt: null,
    signInMethod: 'sso',
  });
  const draft = (at: number): SecurityEventDraft => ({
    type: 'sessions-cut',
    occurredAt: at,
    initiatingEntity: 'user',
    initiatedBy: {},
    correlationId: newGuid(),
  });
  const auditFor =
    (at: number, seen: CutFound[]) =>
    (found: CutFound): AuditRecord[] => {
      seen.push(found);
      return [
        {
          id: newGuid(),
          tenantId: tenant,
          activityDateTime: at,
          activityDisplayName: 'Revoke selected sign-in sessions',
          category: 'UserManagement',
          loggedByService: 'Core Directory',
          operationType: 'Update',
          result: 'success',
          resultReason: '',
          correlationId: newGuid(),
          initiatedBy: {},
          targetResources: [],
        },
      ];
    };

  /** Two browser sessions, each with a grant of app-a; a device grant of app-b without a session. */
  async function populated(upn: string) {
    const s = store();
    const u = user(upn);
    await s.users.insert(u);
    const s1 = session(u, now + 1);
    const s2 = session(u, now + 2);
    for (const x of [s1, s2]) await s.sessions.insert(x);
    const g1 = grant(u, 'app-a', s1.id, now + 3);
    const g2 = grant(u, 'app-a', s2.id, now + 4);
    const g3 = grant(u, 'app-b', null, now + 5);
    const t1 = token(g1, now + 3);
    const t2 = token(g2, now + 4);
    const t3 = token(g3, now + 5);
    assert.equal(await s.grants.create(g1, t1), true);
    assert.equal(await s.grants.create(g2, t2), true);
    assert.equal(await s.grants.create(g3, t3), true);
    return { s, u, s1, s2, g1, g2, g3, t1, t2, t3 };
  }
  const rotate = (s: Store, t: RefreshTokenRecord, at: number) =>
    s.grants.rotate(
      t.hash,
      t.clientId,
      at,
      (c) => ({ ...c, hash: newGuid(), issuedAt: at, expiresAt: at + 3600_000, consumedAt: null }),
      0,
    );

  test("inventory: a user's sessions and grants, newest first, with app, address, user agent, method, last use and liveness", async () => {
    const { s, u, s1, s2, g1, g2, g3, t1 } = await populated('inv-list@contract.test');
    // A refresh from another address is the grant's last use, and its address and agent are shown.
    const r = await s.grants.rotate(
      t1.hash,
      'app-a',
      now + 50,
      (c) => ({ ...c, hash: newGuid(), issuedAt: now + 50, consumedAt: null, clientIp: '192.0.2.1', userAgent: 'python-requests/2.31.0' }),
      0,
    );
    assert.ok(r.ok);
    const page = await s.inventory.list({ tenantId: tenant, userId: u.id, limit: 10, now: now + 60 });
    assert.deepEqual(
      page.map((e) => e.id),
      [g3.id, g2.id, g1.id, s2.id, s1.id],
    );
    const byId = new Map(page.map((e) => [e.id, e]));
    assert.deepEqual(byId.get(s1.id), {
      kind: 'session',
      id: s1.id,
      tenantId: tenant,
      userId: u.id,
      clientId: 'app-web',
      sessionId: s1.id,
      createdAt: now + 1,
      lastUsedAt: now + 1,
      clientIp: '198.51.100.7',
      userAgent: 'Mozilla/5.0 (Windows NT 10.0) Firefox/120.0',
      signInMethod: 'password',
      live: true,
      scopes: null,
    });
    assert.deepEqual(byId.get(g1.id), {
      kind: 'grant',
      id: g1.id,
      tenantId: tenant,
      userId: u.id,
      clientId: 'app-a',
      sessionId: s1.id,
      createdAt: now + 3,
      lastUsedAt: now + 50,
      clientIp: '192.0.2.1',
      userAgent: 'python-requests/2.31.0',
      signInMethod: 'sso',
      live: true,
      scopes: g1.scopes,
    });
    assert.equal(byId.get(g3.id)?.signInMethod, 'deviceCode');
    // Keyset paging: two pages of two, then the rest, no overlap, no gap.
    const first = await s.inventory.list({ tenantId: tenant, userId: u.id, limit: 2, now: now + 60 });
    const last = first.at(-1)!;
    const second = await s.inventory.list({ tenantId: tenant, userId: u.id, limit: 10, now: now + 60, after: last });
    assert.deepEqual(
      [...first, ...second].map((e) => e.id),
      page.map((e) => e.id),
    );
    // Filters: application, time, liveness; and the tenant-wide listing holds the user's rows.
    const appB = await s.inventory.list({ tenantId: tenant, userId: u.id, appId: 'app-b', limit: 10, now: now + 60 });
    assert.deepEqual(
      appB.map((e) => e.id),
      [g3.id],
    );
    const recent = await s.inventory.list({
      tenantId: tenant,
      userId: u.id,
      createdFrom: now + 3,
      createdBefore: now + 5,
      limit: 10,
      now: now + 60,
    });
    assert.deepEqual(
      recent.map((e) => e.id),
      [g2.id, g1.id],
    );
    await s.grants.revoke(g2.id, now + 61);
    const dead = await s.inventory.list({ tenantId: tenant, userId: u.id, live: false, limit: 10, now: now + 62 });
    assert.deepEqual(
      dead.map((e) => e.id),
      [g2.id],
    );
    const live = await s.inventory.list({ tenantId: tenant, userId: u.id, live: true, limit: 10, now: now + 62 });
    assert.equal(live.length, 4);
    // Past the sessions' and tokens' expiry nothing is live.
    assert.equal((await s.inventory.list({ tenantId: tenant, userId: u.id, live: true, limit: 10, now: now + 7200_000 })).length, 0);
    const tenantWide = await s.inventory.list({ tenantId: tenant, limit: 1000, now: now + 62 });
    assert.ok(page.every((e) => tenantWide.some((t) => t.id === e.id)));
    assert.deepEqual(await s.inventory.list({ tenantId: 'another-tenant', userId: u.id, limit: 10, now }), []);
  });

  test("sessions.touch: an SSO use is the session's last use, written at most once a minute", async () => {
    const { s, u, s1 } = await populated('inv-touch@contract.test');
    await s.sessions.touch(s1.id, now + 10_000);
    await s.sessions.touch(s1.id, now + 20_000);
    const lastUse = async () =>
      (await s.inventory.list({ tenantId: tenant, userId: u.id, limit: 10, now })).find((e) => e.id === s1.id)?.lastUsedAt;
    assert.equal(await lastUse(), now + 10_000);
    await s.sessions.touch(s1.id, now + 80_000);
    assert.equal(await lastUse(), now + 80_000);
  });

  const cut = async (s: Store, u: User, target: CutTarget, at: number, dryRun = false) => {
    const seen: CutFound[] = [];
    const found = await s.inventory.cut({
      tenantId: tenant,
      userId: u.id,
      target,
      now: at,
      dryRun,
      audit: auditFor(at, seen),
      securityEvent: draft(at),
    });
    return { found, seen };
  };

  test('inventory.cut one session: a dry run writes nothing; the cut ends it and its grants, others keep working', async () => {
    const { s, u, s1, s2, g1, g2, g3, t1, t2, t3 } = await populated('inv-cut-session@contract.test');
    const dry = await cut(s, u, { kind: 'session', sessionId: s1.id }, now + 100, true);
    assert.deepEqual(dry.found, { sessionIds: [s1.id], grantIds: [g1.id] });
    assert.deepEqual(dry.seen, [], 'a dry run writes no audit record');
    assert.equal((await s.outbox.listEvents({ userId: u.id, limit: 10 })).length, 0);
    assert.ok(await s.sessions.findLive(s1.tokenHash, now + 100), 'a dry run ends nothing');

    const done = await cut(s, u, { kind: 'session', sessionId: s1.id }, now + 101);
    assert.deepEqual(done.found, { sessionIds: [s1.id], grantIds: [g1.id] });
    assert.equal(done.seen.length, 1);
    assert.equal(await s.sessions.findLive(s1.tokenHash, now + 102), null);
    assert.ok(await s.sessions.findLive(s2.tokenHash, now + 102));
    assert.equal((await rotate(s, t1, now + 103)).ok, false);
    assert.equal((await rotate(s, t2, now + 103)).ok, true);
    assert.equal((await rotate(s, t3, now + 103)).ok, true);
    const [event] = await s.outbox.listEvents({ userId: u.id, limit: 10 });
    assert.equal(event?.type, 'sessions-cut');
    assert.deepEqual(event?.sessions, [{ sid: s1.id, clientIds: ['app-a'] }]);
    // Nothing left to cut: the same cut again finds nothing and writes no event.
    assert.deepEqual((await cut(s, u, { kind: 'session', sessionId: s1.id }, now + 104)).found, { sessionIds: [], grantIds: [] });
    assert.equal((await s.outbox.listEvents({ userId: u.id, limit: 10 })).length, 1);
    assert.equal((await s.grants.findById(g2.id))?.revokedAt, null);
    assert.equal((await s.grants.findById(g3.id))?.revokedAt, null);
    assert.equal(
      await s.inventory.cut({
        tenantId: tenant,
        userId: newGuid(),
        target: { kind: 'app', appId: 'x' },
        now,
        dryRun: false,
        audit: () => [],
      }),
      null,
    );
  });

  test('inventory.cut one application: its grants only; the sessions stay', async () => {
    const { s, u, s1, s2, g1, g2, t3 } = await populated('inv-cut-app@contract.test');
    const done = await cut(s, u, { kind: 'app', appId: 'app-a' }, now + 100);
    assert.deepEqual(done.found, { sessionIds: [], grantIds: [g1.id, g2.id].sort() });
    assert.ok(await s.sessions.findLive(s1.tokenHash, now + 101));
    assert.ok(await s.sessions.findLive(s2.tokenHash, now + 101));
    assert.equal((await rotate(s, t3, now + 101)).ok, true);
  });

  test("inventory.cut all except one session: every other session and grant, the kept session's grants work", async () => {
    const { s, u, s1, s2, g1, g2, g3, t2 } = await populated('inv-cut-others@contract.test');
    const done = await cut(s, u, { kind: 'allExcept', sessionId: s2.id }, now + 100);
    assert.deepEqual(done.found, { sessionIds: [s1.id], grantIds: [g1.id, g3.id].sort() });
    assert.ok(await s.sessions.findLive(s2.tokenHash, now + 101));
    assert.equal((await rotate(s, t2, now + 101)).ok, true);
    assert.equal((await s.grants.findById(g2.id))?.revokedAt, null);
  });

  test('inventory.cut with a receipt: it names exactly the sessions, grants and live tokens cut, and the event; a dry run has none', async () => {
    const { s, u, s1, s2, g1, g3, t1, t3 } = await populated('inv-cut-receipt@contract.test');
    const withReceipt = (target: CutTarget, at: number, dryRun: boolean, kind: string) => {
      const correlationId = newGuid();
      const done = s.inventory.cut({
        tenantId: tenant,
        userId: u.id,
        target,
        now: at,
        dryRun,
        audit: () => [],
        securityEvent: draft(at),
        receipt: { kind, correlationId, initiatedBy: {} },
      });
      return done.then((found) => ({ found, correlationId }));
    };
    const dry = await withReceipt({ kind: 'allExcept', sessionId: s2.id }, now + 100, true, 'otherSessionsRevocation');
    assert.equal(await s.receipts.findByCorrelationId(tenant, dry.correlationId), null, 'a dry run records no receipt');

    const done = await withReceipt({ kind: 'allExcept', sessionId: s2.id }, now + 101, false, 'otherSessionsRevocation');
    assert.deepEqual(done.found, { sessionIds: [s1.id], grantIds: [g1.id, g3.id].sort() });
    const r = await s.receipts.findByCorrelationId(tenant, done.correlationId);
    assert.equal(r?.kind, 'otherSessionsRevocation');
    assert.equal(r?.revokedAt, now + 101);
    assert.deepEqual(r?.cut, {
      sessionIds: [s1.id],
      applications: [
        { appId: 'app-a', grantIds: [g1.id], refreshTokenIds: [t1.hash.slice(0, REFRESH_TOKEN_ID_LENGTH)], sessionIds: [s1.id] },
        { appId: 'app-b', grantIds: [g3.id], refreshTokenIds: [t3.hash.slice(0, REFRESH_TOKEN_ID_LENGTH)], sessionIds: [] },
      ],
    });
    const [event] = await s.outbox.listEvents({ userId: u.id, limit: 10 });
    assert.equal(r?.eventId, event?.id, "the receipt reports the deliveries of the cut's own event");

    // Nothing left to cut but the kept session's grant of another app: an empty cut still has its receipt, without an event.
    const empty = await withReceipt({ kind: 'app', appId: 'app-b' }, now + 102, false, 'appRevocation');
    assert.deepEqual(empty.found, { sessionIds: [], grantIds: [] });
    const none = await s.receipts.findByCorrelationId(tenant, empty.correlationId);
    assert.deepEqual(none?.cut, { sessionIds: [], applications: [] });
    assert.equal(none?.eventId, null);
  });

  test('grants.create: no grant starts from a code a cut marked, nor from a session a cut ended', async () => {
    const { s, u, s1, s2 } = await populated('inv-cut-codes@contract.test');
    const pending = code(u, 'app-c', s2.id, now + 10);
    await s.codes.insert(pending);
    // The code was redeemed just before the cut; its grant is created after it.
    assert.equal((await s.codes.redeem(pending.hash, now + 11)).ok, true);
    await cut(s, u, { kind: 'app', appId: 'app-c' }, now + 12);
    const fromCode = { ...grant(u, 'app-c', s2.id, now + 13), id: pending.grantId };
    assert.equal(await s.grants.create(fromCode, token(fromCode, now + 13)), false);
    assert.equal(await s.grants.findById(fromCode.id), null);
    // A code not yet redeemed is consumed by the cut.
    const later = code(u, 'app-c', s2.id, now + 10);
    await s.codes.insert(later);
    await cut(s, u, { kind: 'app', appId: 'app-c' }, now + 14);
    assert.equal((await s.codes.redeem(later.hash, now + 15)).ok, false);
    // A session ended by a cut starts no grant either.
    await cut(s, u, { kind: 'session', sessionId: s1.id }, now + 16);
    const fromSession = grant(u, 'app-d', s1.id, now + 17);
    assert.equal(await s.grants.create(fromSession, null), false);
    const elsewhere = grant(u, 'app-d', s2.id, now + 17);
    assert.equal(await s.grants.create(elsewhere, null), true);
  });
}
