import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AuditIdentity, Grant, RefreshTokenRecord } from '../../src/core/model.js';
import { REFRESH_TOKEN_ID_LENGTH } from '../../src/core/revocation-receipt.js';
import type { SecurityEventDraft } from '../../src/core/security-event.js';
import { newGuid } from '../../src/crypto/random.js';
import type { Store } from '../../src/store/store.js';
import { contractRecords } from './contract-records.js';

/**
 * The revocation-receipt part of the Store contract (docs/receipts.md), run by test/store/contract.ts
 * inside each adapter's suite: a receipt lists exactly the sessions, grants and redeemable refresh
 * tokens its revoke ended — also while refresh chains rotate concurrently with the revoke.
 */
export function receiptContractTests(store: () => Store, tenant: string, now: number): void {
  const actor: AuditIdentity = { user: { id: 'admin-id', userPrincipalName: 'admin@x', displayName: 'Admin' } };
  const { user, session, grant } = contractRecords(tenant, now);
  const token = (g: Grant, overrides: Partial<RefreshTokenRecord> = {}): RefreshTokenRecord => ({
    hash: `${newGuid()}${newGuid()}`,
    grantId: g.id,
    tenantId: tenant,
    userId: g.userId,
    clientId: g.clientId,
    scopes: g.scopes,
    epoch: g.epoch,
    issuedAt: now,
    expiresAt: now + 3600_000,
    consumedAt: null,
    ...overrides,
  });
  const draft = (type: SecurityEventDraft['type'], correlationId: string, at = now): SecurityEventDraft => ({
    type,
    occurredAt: at,
    initiatingEntity: 'admin',
    initiatedBy: actor,
    correlationId,
  });
  const id = (t: RefreshTokenRecord) => t.hash.slice(0, REFRESH_TOKEN_ID_LENGTH);

  test('receipts: a user revoke records exactly the live sessions, grants and redeemable tokens it ends, by application', async () => {
    const s = store();
    const u = user(`receipt-${newGuid()}@contract.test`);
    await s.users.insert(u);
    const live = session(u);
    const ended = session(u, { endedAt: now - 1 });
    const expired = session(u, { expiresAt: now - 1 });
    const older = session(u, { epoch: -1 });
    for (const x of [live, ended, expired, older]) await s.sessions.insert(x);
    const a = grant(u, 'app-a', live.id);
    const b = grant(u, 'app-b', null);
    const dead = grant(u, 'app-a', live.id, { revokedAt: now - 1 });
    const stale = grant(u, 'app-c', null, { epoch: -1 });
    const first = token(a);
    const bLive = token(b);
    await s.grants.create(a, first);
    // Rotated: the first token is consumed, aLive is the one the revoke ends.
    const aLiveHash = `${newGuid()}${newGuid()}`;
    const rotated = await s.grants.rotate(first.hash, 'app-a', now, (cur) => ({ ...cur, hash: aLiveHash, consumedAt: null }), 0);
    assert.ok(rotated.ok);
    const aLive = rotated.next;
    await s.grants.create(b, bLive);
    await s.grants.create(dead, token(dead));
    await s.grants.create(stale, token(stale));
    // A live grant of app-a whose only token expired: the grant is cut, the token was dead already.
    const extra = grant(u, 'app-a', live.id);
    await s.grants.create(extra, token(extra, { expiresAt: now - 1 }));
    const correlationId = newGuid();
    const revoked = await s.users.revoke(tenant, u.id, now, {
      audit: [],
      securityEvent: draft('sessions-revoked', correlationId),
      receipt: { kind: 'revokeSignInSessions', correlationId, initiatedBy: actor },
    });
    assert.equal(revoked?.revocationEpoch, 1);
    const r = await s.receipts.findByCorrelationId(tenant, correlationId);
    assert.ok(r);
    assert.equal(r.kind, 'revokeSignInSessions');
    assert.equal(r.userId, u.id);
    assert.equal(r.userPrincipalName, u.userPrincipalName);
    assert.equal(r.revokedAt, now);
    assert.deepEqual(r.initiatedBy, actor);
    assert.deepEqual(r.cut.sessionIds, [live.id]);
    assert.deepEqual(
      r.cut.applications.find((x) => x.appId === 'app-a'),
      {
        appId: 'app-a',
        grantIds: [a.id, extra.id].sort(),
        refreshTokenIds: [id(aLive)],
        sessionIds: [live.id],
      },
    );
    assert.deepEqual(
      r.cut.applications.find((x) => x.appId === 'app-b'),
      { appId: 'app-b', grantIds: [b.id], refreshTokenIds: [id(bLive)], sessionIds: [] },
    );
    assert.equal(
      r.cut.applications.some((x) => x.appId === 'app-c'),
      false,
      'a grant of an older epoch was dead already',
    );
    // Linked to the security event of the same transaction, not yet fanned out.
    const [event] = await s.outbox.listEvents({ userId: u.id, limit: 1 });
    assert.equal(r.eventId, event?.id);
    assert.equal(r.push, 'planning');
    // Read back by user, time window and correlation ids.
    assert.deepEqual(
      (await s.receipts.list({ tenantId: tenant, userId: u.id, from: now, to: now, limit: 10 })).map((x) => x.id),
      [r.id],
    );
    assert.deepEqual(await s.receipts.list({ tenantId: tenant, userId: u.id, from: now + 1, limit: 10 }), []);
    assert.deepEqual(
      (await s.receipts.findByCorrelationIds(tenant, [correlationId, 'other'])).map((x) => x.id),
      [r.id],
    );
    assert.equal(await s.receipts.findByCorrelationId('another-tenant', correlationId), null);
  });

  test('receipts: deleting a user records exactly the live sessions, grants and redeemable tokens it removes, and outlives the user', async () => {
    const s = store();
    const u = user(`receipt-${newGuid()}@contract.test`);
    await s.users.insert(u);
    const live = session(u);
    const ended = session(u, { endedAt: now - 1 });
    for (const x of [live, ended]) await s.sessions.insert(x);
    const a = grant(u, 'app-a', live.id);
    const b = grant(u, 'app-b', null);
    const dead = grant(u, 'app-a', live.id, { revokedAt: now - 1 });
    const aToken = token(a);
    const bToken = token(b);
    await s.grants.create(a, aToken);
    await s.grants.create(b, bToken);
    await s.grants.create(dead, token(dead));
    const plain = user(`receipt-${newGuid()}@contract.test`);
    await s.users.insert(plain);
    assert.equal(await s.users.delete(tenant, plain.id, []), true);

    const correlationId = newGuid();
    const deleted = await s.users.delete(tenant, u.id, [], draft('user-deleted', correlationId), {
      draft: { kind: 'userDeleted', correlationId, initiatedBy: actor },
      at: now,
    });
    assert.equal(deleted, true);
    assert.equal(await s.users.findById(tenant, u.id), null);
    const r = await s.receipts.findByCorrelationId(tenant, correlationId);
    assert.ok(r, 'the receipt outlives the user');
    assert.equal(r.kind, 'userDeleted');
    assert.equal(r.userId, u.id);
    assert.equal(r.userPrincipalName, u.userPrincipalName);
    assert.deepEqual(r.cut, {
      sessionIds: [live.id],
      applications: [
        { appId: 'app-a', grantIds: [a.id], refreshTokenIds: [id(aToken)], sessionIds: [live.id] },
        { appId: 'app-b', grantIds: [b.id], refreshTokenIds: [id(bToken)], sessionIds: [] },
      ],
    });
    const [event] = await s.outbox.listEvents({ userId: u.id, limit: 1 });
    assert.equal(r.eventId, event?.id);
    // A deletion without a receipt draft (and of a user that is gone) records none.
    assert.deepEqual(await s.receipts.list({ tenantId: tenant, userId: plain.id, limit: 10 }), []);
    const again = newGuid();
    assert.equal(
      await s.users.delete(tenant, u.id, [], undefined, {
        draft: { kind: 'userDeleted', correlationId: again, initiatedBy: actor },
        at: now,
      }),
      false,
    );
    assert.equal(await s.receipts.findByCorrelationId(tenant, again), null);
  });

  test('receipts: a disabling update records one; an update that does not revoke records none', async () => {
    const s = store();
    const u = user(`receipt-${newGuid()}@contract.test`);
    await s.users.insert(u);
    const g = grant(u, 'app-a', null);
    const t = token(g);
    await s.grants.create(g, t);
    const rename = newGuid();
    await s.users.update(
      tenant,
      u.id,
      { displayName: 'x' },
      { audit: [], receipt: { kind: 'accountDisabled', correlationId: rename, initiatedBy: actor } },
    );
    assert.equal(await s.receipts.findByCorrelationId(tenant, rename), null);
    const correlationId = newGuid();
    await s.users.update(
      tenant,
      u.id,
      { accountEnabled: false },
      { revokeAt: now, audit: [], receipt: { kind: 'accountDisabled', correlationId, initiatedBy: actor } },
    );
    const r = await s.receipts.findByCorrelationId(tenant, correlationId);
    assert.equal(r?.kind, 'accountDisabled');
    assert.equal(r?.eventId, null);
    assert.equal(r?.push, 'none');
    assert.deepEqual(r?.cut, {
      sessionIds: [],
      applications: [{ appId: 'app-a', grantIds: [g.id], refreshTokenIds: [id(t)], sessionIds: [] }],
    });
  });

  test('receipts: grants.revoke with records cuts one live grant once, with its event and audit; a dead grant gets none', async () => {
    const s = store();
    const u = user(`receipt-${newGuid()}@contract.test`);
    await s.users.insert(u);
    const sess = session(u);
    await s.sessions.insert(sess);
    const g = grant(u, 'app-a', sess.id);
    const other = grant(u, 'app-b', sess.id);
    const t = token(g);
    await s.grants.create(g, t);
    await s.grants.create(other, token(other));
    const correlationId = newGuid();
    const options = (cid: string) => ({
      audit: [
        {
          id: newGuid(),
          tenantId: tenant,
          activityDateTime: now,
          activityDisplayName: 'Revoke token',
          category: 'UserManagement',
          loggedByService: 'Core Directory',
          operationType: 'Update',
          result: 'success' as const,
          resultReason: '',
          correlationId: cid,
          initiatedBy: actor,
          targetResources: [],
        },
      ],
      securityEvent: draft('token-revoked', cid),
      receipt: { kind: 'tokenRevocation', correlationId: cid, initiatedBy: actor },
    });
    assert.equal(await s.grants.revoke(g.id, now, options(correlationId)), true);
    const r = await s.receipts.findByCorrelationId(tenant, correlationId);
    assert.deepEqual(r?.cut, {
      sessionIds: [],
      applications: [{ appId: 'app-a', grantIds: [g.id], refreshTokenIds: [id(t)], sessionIds: [sess.id] }],
    });
    const [event] = await s.outbox.listEvents({ userId: u.id, limit: 1 });
    assert.equal(event?.type, 'token-revoked');
    assert.deepEqual(event?.sessions, [{ sid: sess.id, clientIds: ['app-a'] }]);
    assert.equal(r?.eventId, event?.id);
    assert.equal(
      (await s.audit.list({ tenantId: tenant, activityDisplayName: 'Revoke token', limit: 100 })).filter(
        (a) => a.correlationId === correlationId,
      ).length,
      1,
    );
    assert.notEqual((await s.grants.findById(g.id))?.revokedAt, null);
    assert.equal((await s.grants.findById(other.id))?.revokedAt, null, 'the other application keeps its grant');
    // Again: nothing left to cut, nothing recorded.
    const again = newGuid();
    assert.equal(await s.grants.revoke(g.id, now, options(again)), false);
    assert.equal(await s.receipts.findByCorrelationId(tenant, again), null);
    // A grant dead by the epoch: marked, not recorded.
    const stale = grant(u, 'app-c', null, { epoch: -1 });
    await s.grants.create(stale, token(stale));
    const staleId = newGuid();
    assert.equal(await s.grants.revoke(stale.id, now, options(staleId)), false);
    assert.equal(await s.receipts.findByCorrelationId(tenant, staleId), null);
  });

  test('receipts: with refresh chains rotating during the revoke, the receipt names exactly the token each chain had live', async () => {
    const s = store();
    const u = user(`receipt-${newGuid()}@contract.test`);
    await s.users.insert(u);
    const chains = 6;
    const heads: { grant: Grant; current: RefreshTokenRecord; stopped: boolean }[] = [];
    for (let i = 0; i < chains; i++) {
      const g = grant(u, `app-${i % 3}`, null);
      const t = token(g);
      await s.grants.create(g, t);
      heads.push({ grant: g, current: t, stopped: false });
    }
    // Each chain rotates until refused; the revoke lands somewhere in the middle.
    const rotateChain = async (c: (typeof heads)[number]) => {
      for (let n = 0; n < 200 && !c.stopped; n++) {
        const nextHash = `${newGuid()}${newGuid()}`;
        const r = await s.grants.rotate(c.current.hash, c.grant.clientId, now, (cur) => ({ ...cur, hash: nextHash, consumedAt: null }), 0);
        if (r.ok) c.current = r.next;
        else c.stopped = true;
      }
    };
    const correlationId = newGuid();
    const revoke = (async () => {
      await new Promise((r) => setTimeout(r, 15));
      await s.users.revoke(tenant, u.id, now, { audit: [], receipt: { kind: 'revokeSignInSessions', correlationId, initiatedBy: actor } });
    })();
    await Promise.all([...heads.map(rotateChain), revoke]);
    assert.ok(
      heads.every((c) => c.stopped),
      'every chain was refused after the revoke',
    );
    const r = await s.receipts.findByCorrelationId(tenant, correlationId);
    assert.ok(r);
    const cutTokens = r.cut.applications.flatMap((a) => a.refreshTokenIds).sort();
    const cutGrants = r.cut.applications.flatMap((a) => a.grantIds).sort();
    // The last token a chain got is the one the revoke killed: no more, no fewer.
    assert.deepEqual(cutTokens, heads.map((c) => id(c.current)).sort());
    assert.deepEqual(cutGrants, heads.map((c) => c.grant.id).sort());
  });
}
