import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DELIVERY, type SsfStream } from '../../src/ssf/model.js';
import type { Store } from '../../src/store/store.js';

/**
 * The Shared Signals part of the Store contract (test/store/contract.ts calls it inside its
 * describe, so every adapter runs it unchanged).
 */
export function ssfStoreContract(store: () => Store, tenant: string, now: number): void {
  let n = 0;
  const stream = (clientId: string, overrides: Partial<SsfStream> = {}): SsfStream => ({
    streamId: `stream-${++n}-${clientId}`,
    tenantId: tenant,
    clientId,
    aud: clientId,
    eventsRequested: ['urn:a'],
    method: DELIVERY.poll,
    endpointUrl: null,
    authorizationHeader: null,
    description: null,
    status: 'enabled',
    statusReason: null,
    createdAt: now + n,
    updatedAt: now + n,
    lastVerificationAt: null,
    ...overrides,
  });
  const set = (streamId: string, jti: string, at = now) => ({ streamId, jti, set: `set-${jti}`, createdAt: at });

  test('ssf: streams are per receiver, capped, updated, and deleted with their queue', async () => {
    const s = store().ssf;
    const a1 = stream('rx-a', { description: 'first' });
    const a2 = stream('rx-a', { method: DELIVERY.push, endpointUrl: 'https://rx.test/events', authorizationHeader: 'Bearer x' });
    assert.equal(await s.insertStream(a1, 2), true);
    assert.equal(await s.insertStream(a2, 2), true);
    assert.equal(await s.insertStream(stream('rx-a'), 2), false, 'the receiver has its maximum');
    assert.equal(await s.insertStream(stream('rx-b'), 2), true, 'another receiver is not limited by it');
    assert.deepEqual(await s.findStream(tenant, a2.streamId), a2);
    assert.deepEqual(
      (await s.listStreams(tenant, 'rx-a')).map((x) => x.streamId),
      [a1.streamId, a2.streamId],
    );
    assert.equal(await s.findStream('other-tenant', a1.streamId), null);

    const changed = {
      ...a1,
      eventsRequested: ['urn:b', 'urn:c'],
      description: null,
      method: DELIVERY.push,
      endpointUrl: 'https://x.test/',
      updatedAt: now + 99,
    };
    assert.equal(await s.updateStream(changed), true);
    assert.deepEqual(await s.findStream(tenant, a1.streamId), changed);

    await s.enqueue([set(a1.streamId, 'j1')]);
    assert.equal(await s.deleteStream(tenant, a1.streamId), true);
    assert.equal(await s.deleteStream(tenant, a1.streamId), false);
    assert.equal(await s.findStream(tenant, a1.streamId), null);
    assert.deepEqual((await s.pending(a1.streamId, 10)).sets, []);
    assert.equal(await s.updateStream(changed), false);
  });

  test('ssf: the queue is per stream, oldest first; settled SETs never return, a jti is queued once', async () => {
    const s = store().ssf;
    const p = stream('rx-q');
    const other = stream('rx-q2');
    await s.insertStream(p, 10);
    await s.insertStream(other, 10);
    assert.equal(await s.enqueue([set(p.streamId, 'b', now + 2), set(p.streamId, 'a', now + 1), set(p.streamId, 'c', now + 3)]), 3);
    assert.equal(await s.enqueue([set(other.streamId, 'a', now)]), 1);
    const first = await s.pending(p.streamId, 2);
    assert.deepEqual(
      first.sets.map((x) => x.jti),
      ['a', 'b'],
    );
    assert.equal(first.more, true);
    assert.equal(first.sets[0]?.set, 'set-a');
    await s.settle(p.streamId, ['a'], now + 10);
    assert.deepEqual(
      (await s.pending(p.streamId, 10)).sets.map((x) => x.jti),
      ['b', 'c'],
    );
    assert.equal((await s.pending(p.streamId, 10)).more, false);
    // A retried delivery of a settled jti is not queued again.
    assert.equal(await s.enqueue([set(p.streamId, 'a'), set(p.streamId, 'b')]), 0);
    assert.deepEqual(
      (await s.pending(p.streamId, 10)).sets.map((x) => x.jti),
      ['b', 'c'],
    );
    assert.deepEqual(
      (await s.pending(other.streamId, 10)).sets.map((x) => x.jti),
      ['a'],
      'settling one stream leaves the other',
    );
    assert.equal(await s.enqueue([set('no-such-stream', 'z')]), 0);
    // Tombstones go after the retention time, not before.
    assert.equal(await s.purgeDelivered(now + 10), 0);
    assert.equal(await s.purgeDelivered(now + 11), 1);
  });

  test('ssf: status — paused holds, disabled drops and refuses new SETs; verification is rate-limited', async () => {
    const s = store().ssf;
    const x = stream('rx-s');
    await s.insertStream(x, 10);
    await s.enqueue([set(x.streamId, 'h1')]);
    const paused = await s.setStatus(tenant, x.streamId, 'paused', 'maintenance', now + 5);
    assert.equal(paused?.status, 'paused');
    assert.equal(paused?.statusReason, 'maintenance');
    assert.equal(await s.enqueue([set(x.streamId, 'h2')]), 1, 'a paused stream still takes SETs');
    assert.deepEqual(
      (await s.listActiveStreams(tenant)).some((a) => a.streamId === x.streamId),
      true,
    );
    await s.setStatus(tenant, x.streamId, 'disabled', null, now + 6);
    assert.deepEqual((await s.pending(x.streamId, 10)).sets, [], 'disabling drops what was held');
    assert.equal(await s.enqueue([set(x.streamId, 'h3')]), 0);
    assert.equal(
      (await s.listActiveStreams(tenant)).some((a) => a.streamId === x.streamId),
      false,
    );
    assert.equal(await s.setStatus(tenant, 'missing', 'enabled', null, now), null);

    assert.equal(await s.recordVerification(tenant, x.streamId, now, 1000), true);
    assert.equal(await s.recordVerification(tenant, x.streamId, now + 999, 1000), false);
    assert.equal(await s.recordVerification(tenant, x.streamId, now + 1000, 1000), true);
    assert.equal(await s.recordVerification(tenant, 'missing', now, 0), false);
  });

  test('ssf: push claims take due SETs of enabled push streams once each, until retried', async () => {
    const s = store().ssf;
    const push = stream('rx-p', { method: DELIVERY.push, endpointUrl: 'https://rx.test/push', authorizationHeader: 'Bearer t' });
    const paused = stream('rx-p', { method: DELIVERY.push, endpointUrl: 'https://rx.test/paused' });
    const poll = stream('rx-p');
    for (const x of [push, paused, poll]) await s.insertStream(x, 10);
    await s.setStatus(tenant, paused.streamId, 'paused', null, now);
    await s.enqueue([
      set(push.streamId, 'p1', now),
      set(push.streamId, 'p2', now + 1),
      set(paused.streamId, 'held', now),
      set(poll.streamId, 'polled', now),
    ]);

    const claimed = await s.claimDuePush(now + 10, 5_000, 10);
    const mine = claimed.filter((c) => c.streamId === push.streamId || c.streamId === paused.streamId || c.streamId === poll.streamId);
    assert.deepEqual(mine.map((c) => c.jti).sort(), ['p1', 'p2']);
    assert.deepEqual(
      {
        endpointUrl: mine[0]?.endpointUrl,
        authorizationHeader: mine[0]?.authorizationHeader,
        attempts: mine[0]?.attempts,
        tenantId: mine[0]?.tenantId,
      },
      { endpointUrl: 'https://rx.test/push', authorizationHeader: 'Bearer t', attempts: 1, tenantId: tenant },
    );
    // Leased: nobody else takes them before the lease ends.
    assert.equal((await s.claimDuePush(now + 4_000, 5_000, 10)).filter((c) => c.streamId === push.streamId).length, 0);
    await s.settle(push.streamId, ['p1'], now + 20);
    await s.retryAt(push.streamId, 'p2', now + 100);
    const again = (await s.claimDuePush(now + 100, 5_000, 10)).filter((c) => c.streamId === push.streamId);
    assert.deepEqual(
      again.map((c) => [c.jti, c.attempts]),
      [['p2', 2]],
    );
    // The paused stream's SET is claimed once the stream is enabled.
    await s.setStatus(tenant, paused.streamId, 'enabled', null, now + 200);
    const released = (await s.claimDuePush(now + 200, 5_000, 10)).filter((c) => c.streamId === paused.streamId);
    assert.deepEqual(
      released.map((c) => c.jti),
      ['held'],
    );
  });

  test('ssf: settleMany marks one push round delivered across streams, in one call', async () => {
    const s = store().ssf;
    const a = stream('rx-m', { method: DELIVERY.push, endpointUrl: 'https://rx.test/a' });
    const b = stream('rx-m', { method: DELIVERY.push, endpointUrl: 'https://rx.test/b' });
    for (const x of [a, b]) await s.insertStream(x, 10);
    await s.enqueue([set(a.streamId, 'm1'), set(a.streamId, 'm2'), set(b.streamId, 'm1'), set(b.streamId, 'm3')]);
    const mine = <T extends { streamId: string }>(cs: T[]) => cs.filter((c) => c.streamId === a.streamId || c.streamId === b.streamId);
    assert.equal(mine(await s.claimDuePush(now + 1, 1, 100)).length, 4);
    await s.settleMany([], now + 2);
    // a/m1 and b/m3 delivered; a/m2 and b/m1 (same jti, other stream) are not.
    await s.settleMany(
      [
        { streamId: a.streamId, jti: 'm1' },
        { streamId: b.streamId, jti: 'm3' },
        { streamId: b.streamId, jti: 'no-such' },
      ],
      now + 3,
    );
    assert.deepEqual(
      (await s.pending(a.streamId, 10)).sets.map((x) => x.jti),
      ['m2'],
    );
    assert.deepEqual(
      (await s.pending(b.streamId, 10)).sets.map((x) => x.jti),
      ['m1'],
    );
    // The lease (1 ms) is over: only the unsettled two are claimed again.
    const again = mine(await s.claimDuePush(now + 10, 5_000, 100)).map((c) => `${c.streamId === a.streamId ? 'a' : 'b'}/${c.jti}`);
    assert.deepEqual(again.sort(), ['a/m2', 'b/m1']);
    // Settling again (a repeated round) changes nothing, and a settled jti is still never queued twice.
    await s.settleMany(
      [
        { streamId: a.streamId, jti: 'm1' },
        { streamId: a.streamId, jti: 'm2' },
        { streamId: b.streamId, jti: 'm1' },
      ],
      now + 20,
    );
    assert.equal(await s.enqueue([set(a.streamId, 'm1'), set(b.streamId, 'm3')]), 0);
    assert.deepEqual([(await s.pending(a.streamId, 10)).sets.length, (await s.pending(b.streamId, 10)).sets.length], [0, 0]);
  });

  test('ssf: concurrent claims of the same due SETs never hand one SET out twice', async () => {
    const s = store().ssf;
    const push = stream('rx-c', { method: DELIVERY.push, endpointUrl: 'https://rx.test/c' });
    await s.insertStream(push, 10);
    const jtis = Array.from({ length: 20 }, (_, i) => `c${i}`);
    await s.enqueue(jtis.map((j) => set(push.streamId, j, now)));
    const results = await Promise.all(Array.from({ length: 4 }, () => s.claimDuePush(now + 1, 60_000, 8)));
    const got = results
      .flat()
      .filter((c) => c.streamId === push.streamId)
      .map((c) => c.jti);
    assert.equal(new Set(got).size, got.length, 'no SET claimed twice');
    const rest = await s.claimDuePush(now + 1, 60_000, 100);
    assert.deepEqual([...got, ...rest.filter((c) => c.streamId === push.streamId).map((c) => c.jti)].sort(), [...jtis].sort());
  });
}
