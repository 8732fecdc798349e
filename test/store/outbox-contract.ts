import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import type { SecurityEventDraft } from '../../src/core/security-event.js';
import { newGuid } from '../../src/crypto/random.js';
import type { NewDelivery, Store } from '../../src/store/store.js';
import { contractRecords } from './contract-records.js';

/**
 * The outbox part of the Store contract (docs/push-revocation.md, the outbox), run by test/store/contract.ts inside each
 * adapter's suite: events written in the revoking transaction with the sessions captured,
 * idempotent fan-out, leases and claim tokens, held deliveries, and concurrent claims.
 */
export function outboxContractTests(store: () => Store, tenant: string, now: number): void {
  const { user, session, grant } = contractRecords(tenant, now);
  const draft = (type: SecurityEventDraft['type'], at = now): SecurityEventDraft => ({
    type,
    occurredAt: at,
    initiatingEntity: 'admin',
    initiatedBy: { user: { id: 'admin-id', userPrincipalName: 'admin@x', displayName: 'Admin' } },
    correlationId: newGuid(),
  });

  /** A user with two live sessions, one ended, and grants of several kinds (see the assertions). */
  async function populated(upn: string) {
    const s = store();
    const u = user(upn);
    await s.users.insert(u);
    const s1 = session(u);
    const s2 = session(u);
    const ended = session(u, { endedAt: now - 1 });
    for (const x of [s1, s2, ended]) await s.sessions.insert(x);
    await s.grants.create(grant(u, 'client-b', s1.id), null);
    await s.grants.create(grant(u, 'client-a', s1.id), null);
    await s.grants.create(grant(u, 'client-a', s1.id), null);
    await s.grants.create(grant(u, 'client-c', null), null);
    await s.grants.create(grant(u, 'client-revoked', s2.id, { revokedAt: now - 1 }), null);
    await s.grants.create(grant(u, 'client-old-epoch', s2.id, { epoch: -1 }), null);
    return { u, s1, s2, ended };
  }

  test('outbox: users.update with a securityEvent captures the sessions of the ended epoch, in the same transaction', async () => {
    const s = store();
    const { u, s1, s2 } = await populated('outbox-revoke@contract.test');
    let fired = 0;
    const off = s.outbox.onEventCommitted(() => fired++);
    await s.users.update(tenant, u.id, { displayName: 'renamed' }, { audit: [] });
    assert.equal((await s.outbox.listEvents({ userId: u.id, limit: 10 })).length, 0, 'no event without securityEvent');
    const d = draft('sessions-revoked');
    const updated = await s.users.update(tenant, u.id, {}, { revokeAt: now, audit: [], securityEvent: d });
    off();
    assert.equal(updated?.revocationEpoch, 1);
    assert.equal(fired, 1, 'the in-process wake-up fires once, after the commit');
    const events = await s.outbox.listEvents({ userId: u.id, limit: 10 });
    assert.equal(events.length, 1);
    const e = events[0]!;
    assert.equal(e.type, 'sessions-revoked');
    assert.equal(e.userPrincipalName, 'outbox-revoke@contract.test');
    assert.equal(e.occurredAt, now);
    assert.equal(e.correlationId, d.correlationId);
    assert.deepEqual(e.initiatedBy, d.initiatedBy);
    const expected = [
      { sid: null, clientIds: ['client-c'] },
      { sid: s1.id, clientIds: ['client-a', 'client-b'] },
      { sid: s2.id, clientIds: [] },
    ].sort((a, b) => (a.sid ?? '').localeCompare(b.sid ?? ''));
    assert.deepEqual(e.sessions, expected);
    // A second revoke finds nothing left of the old epoch: an event with no sessions.
    await s.users.update(tenant, u.id, {}, { revokeAt: now + 1, audit: [], securityEvent: draft('sessions-revoked', now + 1) });
    const again = await s.outbox.listEvents({ userId: u.id, limit: 10 });
    assert.equal(again.length, 2);
    assert.ok(again[0]!.id > again[1]!.id, 'ids are monotonic');
    assert.deepEqual(again[0]!.sessions, []);
    // No user, no event.
    assert.equal(await s.users.update(tenant, newGuid(), {}, { revokeAt: now, audit: [], securityEvent: draft('sessions-revoked') }), null);
  });

  test('outbox: sessions.end writes an event only for a live session, with the clients it was used with', async () => {
    const s = store();
    const { u, s1, ended } = await populated('outbox-signout@contract.test');
    const d = { ...draft('signed-out'), initiatingEntity: 'user' as const };
    await s.sessions.end(ended.tokenHash, now, d);
    await s.sessions.end('no-such-session', now, d);
    assert.equal((await s.outbox.listEvents({ userId: u.id, limit: 10 })).length, 0);
    await s.sessions.end(s1.tokenHash, now, d);
    await s.sessions.end(s1.tokenHash, now + 1, d);
    const events = await s.outbox.listEvents({ userId: u.id, limit: 10 });
    assert.equal(events.length, 1, 'ending twice writes one event');
    assert.equal(events[0]!.type, 'signed-out');
    assert.deepEqual(events[0]!.sessions, [{ sid: s1.id, clientIds: ['client-a', 'client-b'] }]);
    assert.equal(await s.sessions.findLive(s1.tokenHash, now), null, 'and the session is ended');
  });

  test('outbox: users.delete with a securityEvent captures the sessions before the user is gone', async () => {
    const s = store();
    const { u, s1 } = await populated('outbox-delete@contract.test');
    assert.equal(await s.users.delete(tenant, u.id, [], draft('user-deleted')), true);
    assert.equal(await s.users.findById(tenant, u.id), null);
    const events = await s.outbox.listEvents({ userId: u.id, limit: 10 });
    assert.equal(events.length, 1);
    assert.equal(events[0]!.type, 'user-deleted');
    assert.deepEqual(events[0]!.sessions.find((x) => x.sid === s1.id)?.clientIds, ['client-a', 'client-b']);
    assert.equal(await s.users.delete(tenant, u.id, [], draft('user-deleted')), false);
    assert.equal((await s.outbox.listEvents({ userId: u.id, limit: 10 })).length, 1);
  });

  test('outbox: claimed events are leased; planning twice never duplicates a delivery; claims and settlements are guarded', async () => {
    const s = store();
    const u = user('outbox-plan@contract.test');
    await s.users.insert(u);
    const t0 = now + 10_000_000;
    await s.users.update(tenant, u.id, {}, { revokeAt: t0, audit: [], securityEvent: draft('sessions-revoked', t0) });
    // Earlier tests' events are unplanned too: claim everything, then look at ours.
    const claimed = await s.outbox.claimEvents(t0, t0 + 30_000, 1000);
    const mine = claimed.find((e) => e.userId === u.id);
    assert.ok(mine);
    assert.deepEqual(await s.outbox.claimEvents(t0 + 1, t0 + 30_000, 1000), [], 'leased events are not handed out again');
    const plan = (): NewDelivery[] => [
      { id: randomUUID(), sink: 'test', destination: 'dest-1', payload: { n: 1 } },
      { id: randomUUID(), sink: 'test', destination: 'dest-2', payload: { n: 2 } },
    ];
    // A crash between planning and recording: the lease lapses and the event is planned again.
    await s.outbox.recordPlan(mine.id, plan(), t0);
    await s.outbox.recordPlan(mine.id, plan(), t0);
    const rows = await s.outbox.listDeliveries({ eventId: mine.id, limit: 10 });
    assert.equal(rows.length, 2, 'the unique key (event, sink, destination) kept the first plan only');
    assert.deepEqual(
      await s.outbox.claimEvents(t0 + 60_000, t0 + 90_000, 1000).then((x) => x.filter((e) => e.id === mine.id)),
      [],
      'planned events are done',
    );

    const due = await s.outbox.claimDeliveries(t0, t0 + 30_000, 1000);
    const ours = due.filter((c) => c.delivery.eventId === mine.id);
    assert.deepEqual(ours.map((c) => c.delivery.destination).sort(), ['dest-1', 'dest-2']);
    assert.equal(ours[0]!.event.id, mine.id);
    assert.equal(ours[0]!.event.userPrincipalName, 'outbox-plan@contract.test');
    assert.deepEqual(
      (await s.outbox.claimDeliveries(t0 + 1, t0 + 30_000, 1000)).filter((c) => c.delivery.eventId === mine.id),
      [],
    );
    const a = ours.find((c) => c.delivery.destination === 'dest-1')!;
    const b = ours.find((c) => c.delivery.destination === 'dest-2')!;
    assert.equal(await s.outbox.settle(a.delivery.id, 'not-my-claim', { status: 'delivered', attempts: 1 }, t0, []), false);
    assert.equal(await s.outbox.settle(a.delivery.id, a.claim, { status: 'delivered', attempts: 1 }, t0, []), true);
    assert.equal(await s.outbox.settle(a.delivery.id, a.claim, { status: 'delivered', attempts: 2 }, t0, []), false, 'settled once');
    // A retry with an audit record, committed together.
    const auditId = newGuid();
    const record = {
      id: auditId,
      tenantId: tenant,
      activityDateTime: t0,
      activityDisplayName: 'Outbox contract attempt',
      category: 'SecurityEventDelivery',
      loggedByService: 'Portcullis outbox',
      operationType: 'Deliver',
      result: 'failure' as const,
      resultReason: 'HTTP 500',
      correlationId: newGuid(),
      initiatedBy: {},
      targetResources: [],
    };
    assert.equal(
      await s.outbox.settle(
        b.delivery.id,
        b.claim,
        { status: 'pending', attempts: 1, nextAttemptAt: t0 + 5000, lastError: 'HTTP 500' },
        t0,
        [record],
      ),
      true,
    );
    assert.equal((await s.audit.list({ tenantId: tenant, activityDisplayName: 'Outbox contract attempt', limit: 5 }))[0]?.id, auditId);
    assert.deepEqual(
      (await s.outbox.claimDeliveries(t0 + 4999, t0 + 30_000, 1000)).filter((c) => c.delivery.eventId === mine.id),
      [],
      'not due yet',
    );
    const retry = (await s.outbox.claimDeliveries(t0 + 5000, t0 + 30_000, 1000)).filter((c) => c.delivery.eventId === mine.id);
    assert.equal(retry.length, 1);
    assert.equal(retry[0]!.delivery.attempts, 1);
    assert.equal(retry[0]!.delivery.lastError, 'HTTP 500');
    // Its claimant died: after the lease another claimant takes it, and the first one's late answer is refused.
    const taken = (await s.outbox.claimDeliveries(t0 + 35_001, t0 + 65_000, 1000)).filter((c) => c.delivery.eventId === mine.id);
    assert.equal(taken.length, 1);
    assert.equal(await s.outbox.settle(b.delivery.id, retry[0]!.claim, { status: 'delivered', attempts: 2 }, t0, []), false);
    assert.equal(
      await s.outbox.settle(b.delivery.id, taken[0]!.claim, { status: 'failed', attempts: 2, lastError: 'gave up' }, t0 + 35_001, []),
      true,
    );
    const final = await s.outbox.listDeliveries({ eventId: mine.id, limit: 10 });
    const by = (dest: string) => final.find((d) => d.destination === dest)!;
    assert.equal(by('dest-1').status, 'delivered');
    assert.equal(by('dest-1').settledAt, t0);
    assert.equal(by('dest-2').status, 'failed');
    assert.equal(by('dest-2').attempts, 2);
    assert.equal(by('dest-2').lastError, 'gave up');
  });

  test("outbox: recordPlans records several events' plans at once, each as recordPlan would, skipping a missing event", async () => {
    const s = store();
    const t0 = now + 20_000_000;
    const users = [user('outbox-plans-1@contract.test'), user('outbox-plans-2@contract.test')];
    for (const u of users) {
      await s.users.insert(u);
      await s.users.update(tenant, u.id, {}, { revokeAt: t0, audit: [], securityEvent: draft('sessions-revoked', t0) });
    }
    const claimed = await s.outbox.claimEvents(t0, t0 + 30_000, 1000);
    const mine = users.map((u) => claimed.find((e) => e.userId === u.id));
    assert.ok(mine[0] && mine[1]);
    const [first, second] = mine as [NonNullable<(typeof mine)[0]>, NonNullable<(typeof mine)[0]>];
    const d = (destination: string): NewDelivery => ({ id: randomUUID(), sink: 'test', destination, payload: { destination } });
    const missing = Math.max(first.id, second.id) + 1_000_000;
    await s.outbox.recordPlans(
      [
        { eventId: first.id, deliveries: [d('a'), d('b')] },
        { eventId: missing, deliveries: [d('nowhere')] },
        { eventId: second.id, deliveries: [] },
      ],
      t0,
    );
    // Planned again after a lost lease: the unique key keeps the first plan.
    await s.outbox.recordPlans([{ eventId: first.id, deliveries: [d('a'), d('c')] }], t0);
    const rows = await s.outbox.listDeliveries({ eventId: first.id, limit: 10 });
    assert.deepEqual(rows.map((r) => r.destination).sort(), ['a', 'b', 'c']);
    assert.deepEqual(await s.outbox.listDeliveries({ eventId: missing, limit: 10 }), [], 'nothing for an event that does not exist');
    assert.deepEqual(await s.outbox.listDeliveries({ eventId: second.id, limit: 10 }), []);
    const later = await s.outbox.claimEvents(t0 + 60_000, t0 + 90_000, 1000);
    assert.deepEqual(
      later.filter((e) => e.id === first.id || e.id === second.id),
      [],
      'both events are planned (one with no deliveries)',
    );
    await s.outbox.recordPlans([], t0);
  });

  test('applications: the back-channel logout registration round-trips and can be removed', async () => {
    const s = store();
    const app = {
      appId: newGuid(),
      tenantId: tenant,
      displayName: 'RP',
      publicClientRedirectUris: [],
      webRedirectUris: ['https://rp.test/cb'],
      spaRedirectUris: [],
      secrets: [],
      allowPublicClientFlows: false,
      delegatedPermissions: [],
      applicationPermissions: [],
      createdAt: now,
    };
    await s.applications.upsert(app);
    assert.equal((await s.applications.findByAppId(tenant, app.appId))?.backchannelLogout, null, 'absent = none');
    await s.applications.upsert({ ...app, backchannelLogout: { uri: 'https://rp.test/bcl?x=1', sessionRequired: true } });
    assert.deepEqual((await s.applications.findByAppId(tenant, app.appId))?.backchannelLogout, {
      uri: 'https://rp.test/bcl?x=1',
      sessionRequired: true,
    });
    assert.deepEqual(
      (await s.applications.list(tenant)).find((a) => a.appId === app.appId)?.backchannelLogout?.uri,
      'https://rp.test/bcl?x=1',
    );
    await s.applications.upsert({ ...app, backchannelLogout: null });
    assert.equal((await s.applications.findByAppId(tenant, app.appId))?.backchannelLogout, null);
  });

  test('applications: the directory roles assigned to an app round-trip and can be removed', async () => {
    const s = store();
    const app = {
      appId: newGuid(),
      tenantId: tenant,
      displayName: 'Daemon',
      publicClientRedirectUris: [],
      webRedirectUris: [],
      spaRedirectUris: [],
      secrets: [],
      allowPublicClientFlows: false,
      delegatedPermissions: [],
      applicationPermissions: ['User.ReadWrite.All'],
      createdAt: now,
    };
    await s.applications.upsert(app);
    assert.deepEqual((await s.applications.findByAppId(tenant, app.appId))?.directoryRoles, [], 'absent = none');
    const roles = ['fe930be7-5e62-47db-91af-98c3a49a38b1', '729827e3-9c14-49f7-bb1b-9608f156bbb8'];
    await s.applications.upsert({ ...app, directoryRoles: roles });
    assert.deepEqual((await s.applications.findByAppId(tenant, app.appId))?.directoryRoles, roles);
    assert.deepEqual((await s.applications.list(tenant)).find((a) => a.appId === app.appId)?.directoryRoles, roles);
    await s.applications.upsert({ ...app, directoryRoles: [] });
    assert.deepEqual((await s.applications.findByAppId(tenant, app.appId))?.directoryRoles, []);
  });

  test('outbox: concurrent claims hand every due delivery to exactly one claimant', async () => {
    const s = store();
    const u = user('outbox-race@contract.test');
    await s.users.insert(u);
    const t0 = now + 20_000_000;
    await s.users.update(tenant, u.id, {}, { revokeAt: t0, audit: [], securityEvent: draft('sessions-revoked', t0) });
    const event = (await s.outbox.listEvents({ userId: u.id, limit: 1 }))[0]!;
    const deliveries = Array.from(
      { length: 30 },
      (_, i): NewDelivery => ({ id: randomUUID(), sink: 'race', destination: `d${i}`, payload: {} }),
    );
    await s.outbox.recordPlan(event.id, deliveries, t0);
    const claims = await Promise.all(Array.from({ length: 6 }, () => s.outbox.claimDeliveries(t0, t0 + 30_000, 1000)));
    const ids = claims
      .flat()
      .filter((c) => c.delivery.eventId === event.id)
      .map((c) => c.delivery.id);
    assert.equal(ids.length, 30, 'every delivery claimed');
    assert.equal(new Set(ids).size, 30, 'none twice');
  });
  test('outbox: prune deletes settled deliveries past retention and then their events; pending ones stay', async () => {
    const s = store();
    const u = user('outbox-prune@contract.test');
    await s.users.insert(u);
    const t0 = now + 30_000_000;
    await s.users.update(tenant, u.id, {}, { revokeAt: t0, audit: [], securityEvent: draft('sessions-revoked', t0) });
    await s.users.update(tenant, u.id, {}, { revokeAt: t0 + 1, audit: [], securityEvent: draft('sessions-revoked', t0 + 1) });
    const [second, first] = await s.outbox.listEvents({ userId: u.id, limit: 2 });
    const d = (destination: string): NewDelivery => ({ id: randomUUID(), sink: 'prune', destination, payload: {} });
    await s.outbox.recordPlan(first!.id, [d('ok'), d('bad'), d('parked')], t0);
    await s.outbox.recordPlan(second!.id, [d('waiting')], t0);
    const claimed = (await s.outbox.claimDeliveries(t0, t0 + 1000, 1000)).filter(
      (c) => c.delivery.sink === 'prune' && c.delivery.eventId === first!.id,
    );
    // 'parked' stays claimed and pending until the end.
    for (const c of claimed.filter((x) => x.delivery.destination !== 'parked')) {
      const x =
        c.delivery.destination === 'ok'
          ? { status: 'delivered' as const, attempts: 1 }
          : { status: 'failed' as const, attempts: 1, lastError: 'no' };
      assert.equal(await s.outbox.settle(c.delivery.id, c.claim, x, t0 + 10, []), true);
    }
    const left = async (eventId: number) => (await s.outbox.listDeliveries({ eventId, limit: 10 })).map((x) => x.destination).sort();
    await s.outbox.prune(t0 + 10, 1000);
    assert.deepEqual(await left(first!.id), ['bad', 'ok', 'parked'], 'settled exactly at the cutoff: kept');
    await s.outbox.prune(t0 + 11, 1000);
    assert.deepEqual(await left(first!.id), ['parked']);
    assert.deepEqual(await left(second!.id), ['waiting']);
    assert.equal((await s.outbox.listEvents({ userId: u.id, limit: 5 })).length, 2, 'events with live deliveries stay');
    const parked = claimed.find((c) => c.delivery.destination === 'parked')!;
    assert.equal(await s.outbox.settle(parked.delivery.id, parked.claim, { status: 'delivered', attempts: 1 }, t0 + 20, []), true);
    await s.outbox.prune(t0 + 21, 1000);
    assert.deepEqual(await left(first!.id), []);
    assert.deepEqual(
      (await s.outbox.listEvents({ userId: u.id, limit: 5 })).map((e) => e.id),
      [second!.id],
      'an event with nothing left goes too',
    );
  });
}
