import type { Clock } from '../clock.js';
import type { SsfConfig } from '../config.js';
import { backoffDelayMs } from '../outbox/backoff.js';
import type { Store } from '../store/store.js';
import { deliveryFailureRecord } from './delivery-audit.js';
import type { ClaimedSet } from './model.js';
import { pushSet, type PushOutcome } from './push-sender.js';

export interface WorkerLog {
  info(message: string): void;
  warn(message: string): void;
}

/**
 * SETs in flight at once, over all streams and rounds. A revoke yields one SET per stream, so with
 * up to this many receivers all of a revoke's SETs are on the wire together (push benchmark, BENCHMARKS.md:
 * 100 receivers) instead of 32 at a time; the bound keeps a backlog from opening unbounded sockets.
 */
export const MAX_IN_FLIGHT = 128;
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
 *
 * Rounds overlap: a drain claims what is due (up to the free room of MAX_IN_FLIGHT) and starts
 * sending it without waiting for earlier rounds, so SETs queued while a slow receiver holds a
 * round go out at once. A round's outcomes are recorded together when its last send has ended:
 * its delivered SETs in ONE store transaction (settleMany), within the lease since every send
 * ends within pushTimeoutMs.
 */
export class PushWorker {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private closed = false;
  private lastPurge = 0;
  private inFlight = 0;
  private readonly rounds = new Set<Promise<void>>();

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

  /** Stops scanning and waits for the drain and the rounds in progress (their sends end within pushTimeoutMs). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
    await Promise.all([...this.rounds]);
  }

  private async drain(): Promise<void> {
    await this.purgeTombstones();
    // Bounded: a receiver that keeps failing only gets its SETs back after their backoff.
    for (let round = 0; round < 100 && !this.closed; round++) {
      const room = MAX_IN_FLIGHT - this.inFlight;
      // Full: the round that ends next wakes the worker again.
      if (room <= 0) return;
      const leaseMs = this.config.pushTimeoutMs + 5_000;
      const claimed = await this.store.ssf.claimDuePush(this.clock.now(), leaseMs, room);
      if (claimed.length === 0) return;
      this.startRound(claimed);
      if (claimed.length < room) return;
    }
  }

  private startRound(claimed: ClaimedSet[]): void {
    this.inFlight += claimed.length;
    const round = this.sendRound(claimed)
      .catch((e: unknown) =>
        this.log.warn(`shared signals: could not record a push round (${(e as Error).message}); its SETs are sent again after the lease`),
      )
      .finally(() => {
        this.inFlight -= claimed.length;
        this.rounds.delete(round);
        // Room again, and more may be due (a backlog larger than MAX_IN_FLIGHT).
        this.wake();
      });
    this.rounds.add(round);
  }

  private async sendRound(claimed: ClaimedSet[]): Promise<void> {
    const outcomes = await Promise.all(claimed.map(async (c) => ({ c, outcome: await pushSet(c.set, c, this.config.pushTimeoutMs) })));
    const now = this.clock.now();
    await this.store.ssf.settleMany(
      outcomes.filter((x) => x.outcome.kind === 'delivered').map((x) => ({ streamId: x.c.streamId, jti: x.c.jti })),
      now,
    );
    for (const { c, outcome } of outcomes) if (outcome.kind !== 'delivered') await this.settleFailure(c, outcome, now);
  }

  private async settleFailure(claimed: ClaimedSet, outcome: Exclude<PushOutcome, { kind: 'delivered' }>, now: number): Promise<void> {
    if (outcome.kind === 'rejected') {
      await this.giveUp(
        claimed,
        now,
        `The receiver refused the SET: ${outcome.err}${outcome.description ? ` (${outcome.description})` : ''}`,
      );
      return;
    }
    if (claimed.attempts >= this.config.pushMaxAttempts) {
      await this.giveUp(claimed, now, `No delivery after ${claimed.attempts} attempts; last: ${outcome.why}`);
      return;
    }
    await this.store.ssf.retryAt(
      claimed.streamId,
      claimed.jti,
      now + backoffDelayMs(claimed.attempts, this.config.pushRetryBaseMs, MAX_BACKOFF_MS),
    );
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
