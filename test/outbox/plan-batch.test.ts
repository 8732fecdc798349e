import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { revokeUserSessions } from '../../src/core/revocation.js';
import type { SecurityEvent } from '../../src/core/security-event.js';
import type { OutboxSink, PlanContext, PlannedDelivery } from '../../src/outbox/outbox-sink.js';
import type { EventPlan } from '../../src/store/store.js';
import { makeHarness, type Harness } from '../helpers/harness.js';

/**
 * A planning pass records the plans of all the events it claimed in one store call (one
 * transaction: OutboxStore.recordPlans), and a sink's PlanContext makes its AbortSignal only if the
 * sink reads it (BENCHMARKS.md, B3: a bulk revocation is one event per user). The dispatcher's own
 * loop is off; each test runs passes itself on a real app and SQLite file.
 */
class CountingSink implements OutboxSink {
  readonly name = 'test-plan-batch';
  readSignal = false;
  readonly signals: AbortSignal[] = [];
  readonly planned: number[] = [];
  async plan(event: SecurityEvent, ctx: PlanContext): Promise<PlannedDelivery[]> {
    if (this.readSignal) this.signals.push(ctx.signal);
    this.planned.push(event.id);
    // Nothing to deliver: a delivery attempt makes a signal of its own (OutboxDispatcher.callSink).
    return [];
  }
  async deliver(): Promise<{ kind: 'delivered' }> {
    return { kind: 'delivered' };
  }
}

describe('outbox plan batch', () => {
  let h: Harness;
  const sink = new CountingSink();
  const calls: EventPlan[][] = [];
  let timeouts = 0;
  const timeout = AbortSignal.timeout;
  before(async () => {
    h = await makeHarness({ config: { outbox: { enabled: false } } });
    h.app.services.outbox.register(sink);
    // The dispatcher reaches the outbox through services.store: a view of it that counts.
    const store = h.app.services.store as { outbox: Harness['store']['outbox'] };
    const outbox = store.outbox;
    store.outbox = Object.assign(Object.create(outbox) as typeof outbox, {
      recordPlans: async (plans: readonly EventPlan[], now: number) => {
        calls.push([...plans]);
        return outbox.recordPlans(plans, now);
      },
    });
    AbortSignal.timeout = (ms: number) => {
      timeouts++;
      return timeout.call(AbortSignal, ms);
    };
  });
  after(async () => {
    AbortSignal.timeout = timeout;
    await h.close();
  });

  const revoke = (key: string) =>
    revokeUserSessions(h.store, h.clock, {
      target: h.users[key]!,
      actor: { app: { appId: 'a', displayName: 'A' } },
      correlationId: `corr-${key}`,
    });

  test('the events of one pass are recorded in one call, and no signal is made for sinks that do not read it', async () => {
    const keys = ['alice', 'bob', 'helpdesk'];
    for (const key of keys) await revoke(key);
    calls.length = 0;
    timeouts = 0;
    const { planned } = await h.app.services.outbox.pass();
    assert.equal(planned, 3);
    assert.equal(calls.length, 1, 'one recordPlans for the pass');
    assert.deepEqual(
      calls[0]!.map((p) => p.eventId),
      sink.planned,
    );
    assert.equal(sink.planned.length, 3);
    assert.equal(timeouts, 0, 'no AbortSignal.timeout for plans that never read ctx.signal');
    const events = await h.store.outbox.claimEvents(h.clock.now() + 3_600_000, h.clock.now() + 3_700_000, 10);
    assert.deepEqual(
      events.filter((e) => sink.planned.includes(e.id)),
      [],
      'all three are planned',
    );
  });

  test('a sink that reads ctx.signal gets one live signal per plan', async () => {
    sink.readSignal = true;
    await revoke('useradmin');
    timeouts = 0;
    await h.app.services.outbox.pass();
    assert.equal(timeouts, 1);
    assert.equal(sink.signals.length, 1);
    assert.equal(sink.signals[0]!.aborted, false);
  });
});
