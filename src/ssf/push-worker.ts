import type { Clock } from '../clock.js';
import type { SsfConfig } from '../config.js';
import { backoffDelayMs } from '../events/backoff.js';
import type { Store } from '../store/store.js';
import { deliveryFailureRecord } from './delivery-audit.js';
import type { ClaimedSet } from './model.js';
import { pushSet, type PushOutcome } from './push-sender.js';

export interface WorkerLog {
  info(message: string): void;
  warn(message: string): void;
}

/** SETs claimed per round; each round sends them concurrently. */
const BATCH = 32;
const MAX_BACKOFF_MS = 5 * 60_000;
/** Delivered SETs are kept this long as tombstones, so a retried delivery of one is not queued again. */
const TOMBSTONE_MS = 24 * 3600_000;
const PURGE_EVERY_MS = 3600_000;

/**
 * Drains the queues of enabled push streams (RFC 8935). Every instance runs one: a SET is claimed
 * with a lease (store.ssf.claimDuePush), so one instance sends it at a time, and an instance that
 * dies mid-send leaves it to be claimed again when the lease ends. Woken at once when this
 * instance queues a SET; otherwise it scans every `pushScanIntervalMs` for SETs that another
 * instance queued or that are due for a retry.
 */
export class PushWorker {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private closed = false;
  private lastPurge = 0;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly config: Readonly<SsfConfig>,
    private readonly log: WorkerLog,
  ) {}

  start(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => this.wake(), this.config.pushScanIntervalMs);
    this.timer.unref();
    this.wake();
  }

  /** Runs a drain now, or right after the one in progress (which may have missed the new SETs). */
  wake(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain()
      .catch((e: unknown) => this.log.warn(`shared signals: push round failed (${(e as Error).message}); retrying on the next scan`))
      .finally(() => {
        this.running = null;
        if (this.again && !this.closed) {
          this.again = false;
          this.wake();
        }
      });
  }

  /** Stops scanning and waits for the round in progress (its sends end within pushTimeoutMs). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  private async drain(): Promise<void> {
    await this.purgeTombstones();
    // Bounded: a receiver that keeps failing only gets its SETs back after their backoff.
    for (let round = 0; round < 100 && !this.closed; round++) {
      const leaseMs = this.config.pushTimeoutMs + 5_000;
      const claimed = await this.store.ssf.claimDuePush(this.clock.now(), leaseMs, BATCH);
      if (claimed.length === 0) return;
      await Promise.all(claimed.map((c) => this.deliver(c)));
      if (claimed.length < BATCH) return;
    }
  }

  private async deliver(claimed: ClaimedSet): Promise<void> {
    const outcome = await pushSet(claimed.set, claimed, this.config.pushTimeoutMs);
    await this.settle(claimed, outcome);
  }

  private async settle(claimed: ClaimedSet, outcome: PushOutcome): Promise<void> {
    const now = this.clock.now();
    if (outcome.kind === 'delivered') {
      await this.store.ssf.settle(claimed.streamId, [claimed.jti], now);
      return;
    }
    if (outcome.kind === 'rejected') {
      await this.giveUp(claimed, now, `The receiver refused the SET: ${outcome.err}${outcome.description ? ` (${outcome.description})` : ''}`);
      return;
    }
    if (claimed.attempts >= this.config.pushMaxAttempts) {
      await this.giveUp(claimed, now, `No delivery after ${claimed.attempts} attempts; last: ${outcome.why}`);
      return;
    }
    await this.store.ssf.retryAt(claimed.streamId, claimed.jti, now + backoffDelayMs(claimed.attempts, this.config.pushRetryBaseMs, MAX_BACKOFF_MS));
  }

  private async giveUp(claimed: ClaimedSet, now: number, reason: string): Promise<void> {
    await this.store.audit.insert(deliveryFailureRecord({ ...claimed, at: now, reason }));
    await this.store.ssf.settle(claimed.streamId, [claimed.jti], now);
    this.log.warn(`shared signals: SET ${claimed.jti} for stream ${claimed.streamId} not delivered: ${reason}`);
  }

  private async purgeTombstones(): Promise<void> {
    const now = this.clock.now();
    if (now - this.lastPurge < PURGE_EVERY_MS) return;
    this.lastPurge = now;
    await this.store.ssf.purgeDelivered(now - TOMBSTONE_MS);
  }
}
