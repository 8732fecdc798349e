import type { Clock } from '../clock.js';
import type { AppConfig } from '../config.js';
import type { KeyRing } from '../core/key-ring.js';
import type { Store } from '../store/store.js';
import { DELIVERY, type QueuedSet, type SsfStream } from './model.js';
import { PushWorker, type WorkerLog } from './push-worker.js';
import { SET_TYP, eventUri, setJti, userSignalClaims, verificationClaims, type UserSignal } from './set-builder.js';
import type { StreamUrls } from './stream-config.js';

export interface TransmitterDeps {
  store: Store;
  clock: Clock;
  keys: KeyRing;
  config: Readonly<AppConfig>;
  tenantId: string;
  /** The tenant's issuer: the `iss` of every SET and of the transmitter metadata. */
  issuer: string;
  log: WorkerLog;
}

/** How often a held-open poll re-reads its queue: SETs queued by another instance wake no local waiter. */
const POLL_RECHECK_MS = 500;

/**
 * The Shared Signals transmitter: turns user security changes into SETs, one per stream that asked
 * for the event type, signed with the tenant's current key, and queues them on the streams
 * (store.ssf). Push streams are then drained by the PushWorker; poll streams wait for their
 * receiver. The outbox sink (src/ssf/outbox-sink.ts) calls queueSignals(); the management API
 * calls sendVerification().
 */
export class SsfTransmitter {
  readonly worker: PushWorker;
  readonly urls: StreamUrls;
  private readonly waiters = new Map<string, Set<() => void>>();

  constructor(private readonly deps: TransmitterDeps) {
    this.worker = new PushWorker(deps.store, deps.clock, deps.config.ssf, deps.log);
    const base = `${deps.config.publicUrl}/${deps.tenantId}/ssf`;
    this.urls = { issuer: deps.issuer, pollUrl: (streamId) => `${base}/poll/${encodeURIComponent(streamId)}` };
  }

  start(): void {
    this.worker.start();
  }

  async close(): Promise<void> {
    await this.worker.close();
    for (const wake of [...this.waiters.values()].flatMap((s) => [...s])) wake();
  }

  /**
   * Signs and queues, on this stream, the SETs of the signals whose event type it requested;
   * returns how many were queued. A jti the stream already has counts 0, so queueing the same
   * signals again (a repeated outbox delivery) sends nothing twice.
   */
  async queueSignals(stream: SsfStream, signals: readonly UserSignal[]): Promise<number> {
    const now = this.deps.clock.now();
    const wanted = signals.filter((s) => stream.eventsRequested.includes(eventUri(s.type)));
    const sets = await Promise.all(
      wanted.map(async (signal) => ({
        streamId: stream.streamId,
        jti: setJti(signal, stream.streamId),
        set: await this.sign(userSignalClaims(signal, stream, this.deps.issuer, now)),
        createdAt: now,
      })),
    );
    return this.queue(sets);
  }

  /** SSF 1.0 §8.1.4.2: a verification SET carrying the receiver's `state`, through the stream itself. */
  async sendVerification(stream: SsfStream, state: string | null): Promise<void> {
    const now = this.deps.clock.now();
    const claims = verificationClaims(stream, this.deps.issuer, now, state);
    await this.queue([{ streamId: stream.streamId, jti: claims.jti as string, set: await this.sign(claims), createdAt: now }]);
  }

  /** A stream became enabled: its held SETs are due now. */
  streamEnabled(stream: SsfStream): void {
    if (stream.method === DELIVERY.push) this.worker.wake();
    else this.notify(stream.streamId);
  }

  /**
   * RFC 8936 §2.4 long polling: resolves when a SET is queued on this stream by this instance,
   * when `maxMs` has passed, or when `abort` fires; re-reads via `check` every POLL_RECHECK_MS so
   * SETs queued by other instances are seen too. Bounded by maxMs in every case.
   */
  async waitForSets(streamId: string, maxMs: number, check: () => Promise<boolean>, abort: AbortSignal): Promise<void> {
    // Wall time, not the injected clock: this is how long a socket stays open.
    const deadline = performance.now() + maxMs;
    while (!abort.aborted && performance.now() < deadline) {
      const slice = Math.min(POLL_RECHECK_MS, deadline - performance.now());
      const woken = await this.sleepUnlessNotified(streamId, slice, abort);
      if (woken || (await check())) return;
    }
  }

  private sign(claims: Record<string, unknown>): Promise<string> {
    return this.deps.keys.signAsync(claims, SET_TYP);
  }

  private async queue(sets: QueuedSet[]): Promise<number> {
    const queued = await this.deps.store.ssf.enqueue(sets);
    if (queued > 0) {
      for (const streamId of new Set(sets.map((s) => s.streamId))) this.notify(streamId);
      this.worker.wake();
    }
    return queued;
  }

  private notify(streamId: string): void {
    const set = this.waiters.get(streamId);
    if (!set) return;
    this.waiters.delete(streamId);
    for (const wake of set) wake();
  }

  private sleepUnlessNotified(streamId: string, ms: number, abort: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      let set = this.waiters.get(streamId);
      if (!set) this.waiters.set(streamId, (set = new Set()));
      const done = (woken: boolean) => {
        clearTimeout(timer);
        abort.removeEventListener('abort', onAbort);
        set.delete(onWake);
        if (set.size === 0 && this.waiters.get(streamId) === set) this.waiters.delete(streamId);
        resolve(woken);
      };
      const onWake = () => done(true);
      const onAbort = () => done(false);
      const timer = setTimeout(() => done(false), Math.max(0, ms));
      set.add(onWake);
      abort.addEventListener('abort', onAbort, { once: true });
    });
  }
}
