import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { revokeUserSessions } from '../../src/core/revocation.js';
import type { SecurityEvent } from '../../src/core/security-event.js';
import type { OutboxSink, PlanContext, PlannedDelivery } from '../../src/outbox/outbox-sink.js';
import { makeHarness, type Harness } from '../helpers/harness.js';

/**
 * PlanContext.snapshot: configuration a sink reads while planning is read once per planning
 * pass (BENCHMARKS.md, optimisation 12), and a failed read is not kept. The dispatcher's own loop is off; each test
 * runs passes itself on a real app and SQLite file.
 */
class SnapshotSink implements OutboxSink {
  readonly name = 'test-snapshot';
  reads = 0;
  failNext = false;
  readonly seen: { event: string; value: number }[] = [];
  async plan(event: SecurityEvent, ctx: PlanContext): Promise<PlannedDelivery[]> {
    const value = await ctx.snapshot('config', async () => {
      this.reads++;
      if (this.failNext) {
        this.failNext = false;
        throw new Error('store unavailable');
      }
      return this.reads;
    });
    this.seen.push({ event: event.userPrincipalName, value });
    return [];
  }
  async deliver(): Promise<never> {
    throw new Error('nothing is planned');
  }
}

describe('outbox plan snapshot', () => {
  let h: Harness;
  const sink = new SnapshotSink();
  before(async () => {
    h = await makeHarness({ config: { outbox: { enabled: false } } });
    h.app.services.outbox.register(sink);
  });
  after(() => h.close());

  const revoke = (key: string) =>
    revokeUserSessions(h.store, h.clock, {
      target: h.users[key]!,
      actor: { app: { appId: 'a', displayName: 'A' } },
      correlationId: `corr-${key}`,
    });

  test('the events of one pass are planned against one reading', async () => {
    for (const key of ['alice', 'bob', 'helpdesk']) await revoke(key);
    const { planned } = await h.app.services.outbox.pass();
    assert.equal(planned, 3);
    assert.equal(sink.reads, 1);
    assert.deepEqual(
      sink.seen.map((s) => s.value),
      [1, 1, 1],
    );
    // The next pass reads again.
    await revoke('useradmin');
    await h.app.services.outbox.pass();
    assert.equal(sink.reads, 2);
    assert.equal(sink.seen.at(-1)!.value, 2);
  });

  test('a failed read is not kept: the next event of the pass reads again', async () => {
    sink.seen.length = 0;
    sink.failNext = true;
    for (const key of ['authadmin', 'passwordadmin']) await revoke(key);
    await h.app.services.outbox.pass();
    assert.equal(sink.reads, 4, 'one failed read, one good read');
    assert.deepEqual(
      sink.seen.map((s) => s.value),
      [4],
      'the first event could not be planned; the second was',
    );
  });
});
