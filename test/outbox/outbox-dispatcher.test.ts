import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { revokeUserSessions } from '../../src/core/revocation.js';
import type { OutboxDelivery, SecurityEvent } from '../../src/core/security-event.js';
import { OUTBOX_ACTIVITY } from '../../src/outbox/outbox-audit.js';
import type { DeliveryOutcome, OutboxSink, PlannedDelivery } from '../../src/outbox/outbox-sink.js';
import { call } from '../graph/graph-helpers.js';
import { delegatedToken, makeHarness, type Harness } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';

/**
 * The dispatcher against a real app on a real SQLite file, with scripted sinks: what a sink
 * plans is stored once, delivered until it succeeds, retried with backoff, given up with audit
 * records.
 */
class ScriptedSink implements OutboxSink {
  readonly planned: SecurityEvent[] = [];
  readonly attempts: OutboxDelivery[] = [];
  constructor(
    readonly name: string,
    private readonly plans: (e: SecurityEvent) => PlannedDelivery[],
    private readonly outcome: (d: OutboxDelivery, attempt: number) => DeliveryOutcome | Promise<DeliveryOutcome>,
  ) {}
  async plan(event: SecurityEvent): Promise<PlannedDelivery[]> {
    this.planned.push(event);
    return this.plans(event);
  }
  async deliver(d: OutboxDelivery): Promise<DeliveryOutcome> {
    this.attempts.push(d);
    return this.outcome(d, this.attempts.filter((x) => x.id === d.id).length);
  }
}

describe('outbox dispatcher', () => {
  let h: Harness;
  const sinks: Record<string, ScriptedSink> = {};
  // Each test owns a user; a sink plans only for its own user so tests do not see each other's events.
  const forUser = (key: string, destinations: PlannedDelivery[]) => (e: SecurityEvent) =>
    e.userPrincipalName === `${key}@contoso.test` ? destinations : [];

  before(async () => {
    h = await makeHarness({ config: { outbox: { pollIntervalMs: 50, initialBackoffMs: 20, maxBackoffMs: 80, maxAttempts: 3 } } });
    sinks.ok = new ScriptedSink(
      'test-ok',
      forUser('alice', [
        { destination: 'a1', payload: { x: 1 } },
        { destination: 'a2', payload: { x: 2 } },
      ]),
      () => ({ kind: 'delivered' }),
    );
    sinks.flaky = new ScriptedSink('test-flaky', forUser('bob', [{ destination: 'b', payload: {} }]), (_d, n) =>
      n < 3 ? { kind: 'retry', reason: `HTTP 500 (attempt ${n})` } : { kind: 'delivered' },
    );
    sinks.dead = new ScriptedSink('test-dead', forUser('helpdesk', [{ destination: 'h', payload: {} }]), () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:9');
    });
    for (const s of Object.values(sinks)) h.app.services.outbox.register(s);
  });
  after(() => h.close());

  const revoke = (key: string) =>
    revokeUserSessions(h.store, h.clock, {
      target: h.users[key]!,
      actor: { user: { id: 'x', userPrincipalName: 'admin@contoso.test', displayName: 'Admin' } },
      correlationId: `corr-${key}`,
    });
  const deliveries = async (sink: string) => h.store.outbox.listDeliveries({ sink, limit: 50 });

  test('a revoke is planned once per sink and each planned delivery is delivered once', async () => {
    await revoke('alice');
    await waitFor(
      'both deliveries delivered',
      async () => (await deliveries('test-ok')).filter((d) => d.status === 'delivered').length === 2,
    );
    const rows = await deliveries('test-ok');
    assert.deepEqual(rows.map((d) => d.destination).sort(), ['a1', 'a2']);
    assert.ok(rows.every((d) => d.attempts === 1));
    assert.deepEqual(sinks.ok!.attempts.map((d) => d.destination).sort(), ['a1', 'a2']);
    const event = sinks.ok!.planned.find((e) => e.userId === h.users.alice!.id)!;
    assert.equal(event.type, 'sessions-revoked');
    assert.equal(event.correlationId, 'corr-alice');
    assert.equal(sinks.ok!.planned.filter((e) => e.id === event.id).length, 1, 'planned once');
  });

  test('a failing receiver is retried with backoff until it succeeds; each failed attempt is audited', async () => {
    await revoke('bob');
    await waitFor('the flaky delivery delivered', async () => (await deliveries('test-flaky'))[0]?.status === 'delivered');
    const [row] = await deliveries('test-flaky');
    assert.equal(row!.attempts, 3);
    assert.equal(sinks.flaky!.attempts.length, 3, 'exactly three attempts');
    assert.ok(
      sinks.flaky!.attempts.every((d) => d.id === row!.id),
      'the same delivery id on every attempt',
    );
    const audit = await h.store.audit.list({ tenantId: h.app.tenant.id, activityDisplayName: OUTBOX_ACTIVITY.attemptFailed, limit: 20 });
    const mine = audit.filter((a) => a.correlationId === 'corr-bob');
    assert.equal(mine.length, 2);
    assert.match(mine.map((a) => a.resultReason).join('\n'), /attempt 1 failed: HTTP 500 \(attempt 1\); next attempt at /);
  });

  test('a receiver that never answers ends as failed after maxAttempts, visible in directoryAudits', async () => {
    await revoke('helpdesk');
    await waitFor('the dead delivery failed', async () => (await deliveries('test-dead'))[0]?.status === 'failed');
    const [row] = await deliveries('test-dead');
    assert.equal(row!.attempts, 3);
    assert.match(row!.lastError ?? '', /ECONNREFUSED/);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(sinks.dead!.attempts.length, 3, 'no attempt after giving up');
    const token = delegatedToken(h, 'globaladmin', ['AuditLog.Read.All']);
    const filter = (a: string) => `$filter=${encodeURIComponent(`activityDisplayName eq '${a}'`)}`;
    const failed = await call(h, 'GET', `/v1.0/auditLogs/directoryAudits?${filter(OUTBOX_ACTIVITY.deliveryFailed)}`, { token });
    assert.equal(failed.status, 200, failed.body);
    const gaveUp = failed.json.value.filter((r: { correlationId: string }) => r.correlationId === 'corr-helpdesk');
    assert.equal(gaveUp.length, 1);
    assert.equal(gaveUp[0].result, 'failure');
    assert.match(gaveUp[0].resultReason, /gave up after 3 attempt\(s\): connect ECONNREFUSED/);
    assert.equal(gaveUp[0].targetResources[0].userPrincipalName, 'helpdesk@contoso.test');
    const attempts = await call(h, 'GET', `/v1.0/auditLogs/directoryAudits?${filter(OUTBOX_ACTIVITY.attemptFailed)}`, { token });
    assert.equal(attempts.json.value.filter((r: { correlationId: string }) => r.correlationId === 'corr-helpdesk').length, 3);
  });
});
