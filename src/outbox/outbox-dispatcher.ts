import { randomUUID } from 'node:crypto';
import type { OutboxDelivery, SecurityEvent } from '../core/security-event.js';
import type { OutboxServices } from '../services.js';
import type { DeliverySettlement, EventPlan, NewDelivery } from '../store/store.js';
import { backoffDelayMs } from './backoff.js';
import { OUTBOX_ACTIVITY, outboxAuditRecord } from './outbox-audit.js';
import type { DeliveryOutcome, OutboxSink, PlanContext } from './outbox-sink.js';

/** Events and deliveries taken per claim; a full batch makes the dispatcher go again at once. */
const BATCH = 50;

/** PlanContext.snapshot for one planning pass: each key read once; a failed read is dropped. */
function passSnapshot(): PlanContext['snapshot'] {
  const reads = new Map<string, Promise<unknown>>();
  return <T>(key: string, read: () => Promise<T>): Promise<T> => {
    let p = reads.get(key) as Promise<T> | undefined;
    if (!p) {
      p = read();
      reads.set(key, p);
      p.catch(() => reads.delete(key));
    }
    return p;
  };
}
/**
 * A sink's PlanContext. Its signal (and the timer behind it) is made only if the sink asks for
 * it: most plans read the per-pass snapshot and nothing else, and one AbortSignal.timeout per
 * event and sink was a measurable part of a bulk revocation's planning (BENCHMARKS.md, B3).
 */
class LazyPlanContext implements PlanContext {
  private made: AbortSignal | null = null;
  constructor(
    readonly services: OutboxServices,
    readonly snapshot: PlanContext['snapshot'],
  ) {}
  get signal(): AbortSignal {
    this.made ??= AbortSignal.timeout(this.services.config.outbox.deliveryTimeoutMs);
    return this.made;
  }
}

/**
 * Deliveries taken per claim, all attempted concurrently. Larger than BATCH so that one revoke's
 * deliveries to every SSF stream (one per stream: 100 receivers in the push benchmark, BENCHMARKS.md) start
 * together instead of in halves, the second waiting for the first's signatures and commits.
 */
const DELIVERY_BATCH = 128;
/**
 * Wake-ups closer together than this share one pass: a burst of revokes (a bulk revoke through
 * $batch) is planned in a few passes instead of one per revoke, so the dispatcher's bookkeeping
 * does not slow the revokes down. A lone revoke still starts a pass at once.
 */
const WAKE_SPACING_MS = 25;
/** How often a dispatcher deletes settled rows past retention, and how many per statement. */
const PRUNE_EVERY_MS = 10 * 60_000;
const PRUNE_BATCH = 1000;

export interface DispatcherLog {
  warn(message: string): void;
}

/** What one pass did (tests wait on it; the server ignores it). */
export interface PassResult {
  planned: number;
  attempted: number;
}

/**
 * The outbox dispatcher (docs/push-revocation.md, "The outbox"). Every instance runs
 * one. A pass (1) claims security events not yet fanned out, asks every registered sink to plan
 * its deliveries and records them with the event marked planned, then (2) claims due deliveries
 * and hands each to its sink, recording the outcome: delivered, retried with backoff, or
 * failed with audit records. Passes run right after this process committed an event (in-process
 * wake-up) and every `pollIntervalMs`, which is how other instances' events and work left by a
 * crashed process are picked up. Claims are leases in the database, so instances never work on
 * the same row at once, and a dead instance's claims lapse after `leaseSeconds`.
 */
export class OutboxDispatcher {
  private readonly sinks = new Map<string, OutboxSink>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private started = false;
  private closed = false;
  private unsubscribe: (() => void) | null = null;
  private lastPassAt = -Infinity;
  private lastPruneAt = -Infinity;
  /** One warning per outage, not one per poll. */
  private failing = false;

  constructor(
    private readonly services: OutboxServices,
    private readonly log: DispatcherLog,
  ) {}

  /** Adds a sink. Sinks are registered when the app is created, before start(). */
  register(sink: OutboxSink): void {
    if (this.sinks.has(sink.name)) throw new Error(`outbox sink '${sink.name}' is registered twice`);
    this.sinks.set(sink.name, sink);
  }

  get sinkNames(): string[] {
    return [...this.sinks.keys()];
  }

  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    this.unsubscribe = this.services.store.outbox.onEventCommitted(() => this.wake());
    this.wake();
  }

  /** Runs a pass now (or, within WAKE_SPACING_MS of the last one, shortly), or right after the running one. */
  wake(): void {
    if (this.closed || !this.started) return;
    if (this.running) {
      this.again = true;
      return;
    }
    const wait = this.lastPassAt + WAKE_SPACING_MS - performance.now();
    if (wait > 0) {
      this.setTimer(wait);
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.lastPassAt = performance.now();
    this.running = this.loop().finally(() => {
      this.running = null;
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.closed) return;
    if (this.again) {
      this.again = false;
      this.wake();
      return;
    }
    this.setTimer(this.services.config.outbox.pollIntervalMs);
  }

  private setTimer(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.wake();
    }, ms);
    // The server's sockets keep the process alive; the dispatcher alone must not.
    this.timer.unref();
  }

  private async loop(): Promise<void> {
    // Bounded: a backlog larger than this is continued by the next pass.
    for (let i = 0; i < 20 && !this.closed; i++) {
      try {
        const r = await this.pass();
        if (this.failing) this.log.warn('outbox: dispatching again');
        this.failing = false;
        if (r.planned < BATCH && r.attempted < DELIVERY_BATCH) return;
      } catch (e) {
        // The store is unreachable or the like: the next poll tries again.
        if (!this.failing) this.log.warn(`outbox: pass failed, retrying every poll: ${(e as Error).message}`);
        this.failing = true;
        return;
      }
    }
  }

  /** One pass: plan, then deliver what is due (and now and then, prune). Public for tests and the CLI. */
  async pass(): Promise<PassResult> {
    const planned = await this.planEvents();
    const attempted = await this.deliverDue();
    await this.pruneNowAndThen();
    return { planned, attempted };
  }

  private async pruneNowAndThen(): Promise<void> {
    const now = performance.now();
    if (now - this.lastPruneAt < PRUNE_EVERY_MS) return;
    this.lastPruneAt = now;
    const { store, clock, config } = this.services;
    await store.outbox.prune(clock.now() - config.outbox.retentionSeconds * 1000, PRUNE_BATCH);
  }

  private leaseUntil(now: number): number {
    return now + this.services.config.outbox.leaseSeconds * 1000;
  }

  private async planEvents(): Promise<number> {
    const { store, clock } = this.services;
    const now = clock.now();
    const events = await store.outbox.claimEvents(now, this.leaseUntil(now), BATCH);
    const snapshot = passSnapshot();
    const plans: EventPlan[] = [];
    for (const event of events) {
      const deliveries = await this.planOne(event, snapshot);
      // null: a sink could not plan now; the event's lease lapses and a later pass re-plans it.
      if (deliveries) plans.push({ eventId: event.id, deliveries });
    }
    // One transaction for the pass, not one per event (BENCHMARKS.md, B3). Should it fail, every
    // event of the pass stays unplanned and its lease lapses: the next pass plans it again, and
    // the unique key (event, sink, destination) keeps that from duplicating a delivery.
    await store.outbox.recordPlans(plans, clock.now());
    return events.length;
  }

  private async planOne(event: SecurityEvent, snapshot: PlanContext['snapshot']): Promise<NewDelivery[] | null> {
    const out: NewDelivery[] = [];
    for (const sink of this.sinks.values()) {
      try {
        const ctx = new LazyPlanContext(this.services, snapshot);
        for (const p of await sink.plan(event, ctx)) {
          out.push({ id: randomUUID(), sink: sink.name, destination: p.destination, payload: p.payload });
        }
      } catch (e) {
        this.log.warn(`outbox: sink ${sink.name} could not plan event ${event.id}: ${(e as Error).message}`);
        return null;
      }
    }
    return out;
  }

  private async deliverDue(): Promise<number> {
    const { store, clock } = this.services;
    const now = clock.now();
    const claimed = await store.outbox.claimDeliveries(now, this.leaseUntil(now), DELIVERY_BATCH);
    await Promise.all(claimed.map((c) => this.attempt(c.claim, c.delivery, c.event)));
    return claimed.length;
  }

  private async attempt(claim: string, delivery: OutboxDelivery, event: SecurityEvent): Promise<void> {
    const { store, clock, config } = this.services;
    const outcome = await this.callSink(delivery, event);
    const now = clock.now();
    const attempts = delivery.attempts + 1;
    const audit = (activity: string, reason: string) => outboxAuditRecord({ activity, event, delivery, at: now, reason });
    let settlement: DeliverySettlement;
    const records = [];
    switch (outcome.kind) {
      case 'delivered':
        settlement = { status: 'delivered', attempts };
        break;
      case 'reject':
        settlement = { status: 'failed', attempts, lastError: outcome.reason };
        records.push(audit(OUTBOX_ACTIVITY.deliveryFailed, `refused by the receiver after ${attempts} attempt(s): ${outcome.reason}`));
        break;
      case 'retry': {
        const { maxAttempts, maxAgeSeconds, initialBackoffMs, maxBackoffMs } = config.outbox;
        if (attempts >= maxAttempts || now - delivery.createdAt >= maxAgeSeconds * 1000) {
          settlement = { status: 'failed', attempts, lastError: outcome.reason };
          records.push(audit(OUTBOX_ACTIVITY.attemptFailed, `attempt ${attempts} failed: ${outcome.reason}`));
          records.push(audit(OUTBOX_ACTIVITY.deliveryFailed, `gave up after ${attempts} attempt(s): ${outcome.reason}`));
        } else {
          const nextAttemptAt = now + backoffDelayMs(attempts, initialBackoffMs, maxBackoffMs);
          settlement = { status: 'pending', attempts, nextAttemptAt, lastError: outcome.reason };
          records.push(
            audit(
              OUTBOX_ACTIVITY.attemptFailed,
              `attempt ${attempts} failed: ${outcome.reason}; next attempt at ${new Date(nextAttemptAt).toISOString()}`,
            ),
          );
        }
        break;
      }
    }
    try {
      await store.outbox.settle(delivery.id, claim, settlement, now, records);
    } catch (e) {
      // Not recorded: the lease lapses and the delivery is attempted again (at-least-once).
      this.log.warn(`outbox: could not record the outcome of delivery ${delivery.id}: ${(e as Error).message}`);
    }
  }

  /** The sink's answer, bounded in time; a throw or a hang counts as a retry. */
  private async callSink(delivery: OutboxDelivery, event: SecurityEvent): Promise<DeliveryOutcome> {
    const sink = this.sinks.get(delivery.sink);
    // Another instance (a newer version) planned it for a sink this one does not have.
    if (!sink) return { kind: 'retry', reason: `no sink '${delivery.sink}' in this instance` };
    const timeoutMs = this.services.config.outbox.deliveryTimeoutMs;
    const signal = AbortSignal.timeout(timeoutMs);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<DeliveryOutcome>((resolve) => {
      timer = setTimeout(() => resolve({ kind: 'retry', reason: `no answer within ${timeoutMs} ms` }), timeoutMs + 100);
    });
    try {
      return await Promise.race([
        sink.deliver(delivery, event, { services: this.services, signal }).catch(
          (e: unknown): DeliveryOutcome => ({
            kind: 'retry',
            reason: signal.aborted ? `no answer within ${timeoutMs} ms` : errorText(e),
          }),
        ),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops polling and waits for the running pass (its claims are settled or lapse). */
  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe?.();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }
}

/** A short, secret-free description of a thrown error (fetch's TypeError hides the cause). */
function errorText(e: unknown): string {
  const err = e as { message?: string; cause?: { code?: string; message?: string } };
  const cause = err.cause?.code ?? err.cause?.message;
  return `${err.message ?? String(e)}${cause ? ` (${cause})` : ''}`;
}
