import type { AppConfig } from '../config.js';
import type { CleanupReport, PurgeCursor, PurgeKind, RetentionStore } from '../store/store.js';
import { keyRetentionMs } from './key-rotation.js';

const DAY_MS = 86_400_000;

/**
 * Rows per delete where the cleanup runs in batches (PostgreSQL; an in-memory SQLite database):
 * each is one short transaction, so a revoke waits for at most one of them. On in-memory SQLite a
 * delete holds the event loop while it runs (better-sqlite3 is synchronous), so it is kept small.
 * A SQLite database in a file is cleaned on its own thread instead (store/sqlite/cleanup-worker.ts).
 */
export const RETENTION_BATCH = 50;
/**
 * Least pause between two deletes. A timer, not setImmediate: requests that arrive meanwhile (a
 * revoke) run and their group commit is written before the next delete takes the write lock
 * (bench/cleanup-revoke.ts measures revoke latency during a cleanup).
 */
export const RETENTION_PAUSE_MS = 5;
/**
 * The pause is also at least this many times as long as the delete before it took, so the cleanup
 * holds the event loop (and the write lock) for at most a fifth of the time however slow the
 * machine or the disk is: fewer revokes arrive while a delete runs.
 */
export const RETENTION_YIELD_FACTOR = 4;

/**
 * What retention may delete, in this order (store/sql/retention.ts has the statements): sign-in
 * entries older than the retention; authorization and device codes, refresh tokens and browser
 * sessions that expired or ended before the credential cutoff; the tokens of grants revoked before
 * it, then grants with no token left; withdrawn signing keys (never the newest key). Never
 * touched: anything still redeemable, an unexpired consumed refresh token (presenting it again
 * reveals a leaked family, RFC 9700 §4.14.2), unwithdrawn keys, and the outbox (its own
 * retention keeps undelivered events, src/outbox/outbox-dispatcher.ts).
 */
export const PURGE_ORDER: readonly PurgeKind[] = [
  'signIns',
  'authorizationCodes',
  'deviceCodes',
  'refreshTokens',
  'revokedGrantTokens',
  'grants',
  'sessions',
  'signingKeys',
];

/**
 * The cutoffs at `now`. Credentials are kept at least as long as anything they issued can be
 * valid (the signing-key retention: the longest signed lifetime plus reload and skew), so a
 * grant is never gone while an access token from it may still be presented.
 */
export function retentionCutoffs(
  config: Pick<AppConfig, 'signIns' | 'tokens' | 'keyReloadSeconds'>,
  now: number,
): Record<PurgeKind, number> {
  const logMs = config.signIns.retentionDays * DAY_MS;
  const credentials = now - Math.max(logMs, keyRetentionMs(config));
  return Object.fromEntries(PURGE_ORDER.map((k) => [k, k === 'signIns' ? now - logMs : credentials])) as Record<PurgeKind, number>;
}

export interface RetentionRunOptions {
  /** Stops the run after its current batch (transaction); it resolves with what it deleted. */
  signal?: AbortSignal;
  /** Off the event loop only: what the run did (transactions, time in them). */
  onReport?: (report: CleanupReport) => void;
}

/**
 * One cleanup run. Where the store can run it off the event loop (RetentionStore.cleanOffLoop:
 * a SQLite database in a file, on a worker thread with its own connection), it does, and the
 * event loop runs no delete. Otherwise (PostgreSQL, whose deletes do not hold the event loop; an
 * in-memory SQLite database, which no other connection can open): every kind in bounded batches,
 * pausing for other work between batches. Returns the rows deleted per kind.
 */
export async function runRetention(
  store: RetentionStore,
  config: Pick<AppConfig, 'signIns' | 'tokens' | 'keyReloadSeconds'>,
  now: number,
  batch: number = RETENTION_BATCH,
  pauseMs: number = RETENTION_PAUSE_MS,
  options: RetentionRunOptions = {},
): Promise<Record<PurgeKind, number>> {
  const cutoffs = retentionCutoffs(config, now);
  const offLoop = store.cleanOffLoop?.(cutoffs, options.signal);
  if (offLoop) {
    const report = await offLoop;
    options.onReport?.(report);
    return report.deleted;
  }
  const deleted = Object.fromEntries(PURGE_ORDER.map((k) => [k, 0])) as Record<PurgeKind, number>;
  for (const kind of PURGE_ORDER) {
    let from: PurgeCursor | undefined;
    for (;;) {
      if (options.signal?.aborted) return deleted;
      const started = performance.now();
      const r = await store.purge(kind, cutoffs[kind], batch, from);
      deleted[kind] += r.deleted;
      if (!r.next) break;
      from = r.next;
      const pause = Math.max(pauseMs, (performance.now() - started) * RETENTION_YIELD_FACTOR);
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
  return deleted;
}

/** Runs the cleanup every `intervalSeconds` in this instance (several instances may: the deletes are idempotent). */
export function startRetentionJob(
  store: RetentionStore,
  config: Pick<AppConfig, 'signIns' | 'tokens' | 'keyReloadSeconds'>,
  now: () => number,
  log: { info(m: string): void; warn(m: string): void },
): { close(): Promise<void> } {
  let running: Promise<void> | null = null;
  const stop = new AbortController();
  const run = () => {
    if (running) return;
    running = runRetention(store, config, now(), RETENTION_BATCH, RETENTION_PAUSE_MS, { signal: stop.signal })
      .then((deleted) => {
        const total = Object.values(deleted).reduce((a, b) => a + b, 0);
        if (total > 0) log.info(`retention: deleted ${JSON.stringify(deleted)}`);
      })
      .catch((e: unknown) => log.warn(`retention: cleanup failed (${e instanceof Error ? e.message : String(e)}); next run retries`))
      .finally(() => {
        running = null;
      });
  };
  const timer = setInterval(run, config.signIns.cleanupIntervalSeconds * 1000);
  timer.unref();
  return {
    close: async () => {
      clearInterval(timer);
      stop.abort();
      await running;
    },
  };
}
