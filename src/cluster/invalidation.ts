/**
 * A cross-instance invalidation feed (docs/deployment.md, "Cross-instance invalidation"): instances keep small per-instance
 * caches (today: the signing keys) and learn of changes made elsewhere through PostgreSQL
 * LISTEN/NOTIFY or Redis pub/sub. A feed is only ever a hint to reload sooner: every consumer
 * also reloads periodically, and correctness never depends on a message arriving.
 */
export interface FeedHandlers {
  /** A change to `topic` (e.g. 'keys') was committed somewhere. */
  onTopic(topic: string): void;
  /**
   * The feed (re)connected. Messages sent while it was away are lost for good, so consumers
   * reload unconditionally here.
   */
  onConnected(): void;
  /** The feed lost its connection or could not open it; it retries by itself. */
  onError(error: unknown): void;
}

export interface InvalidationFeed {
  /** For logs and the start-up banner, e.g. 'PostgreSQL LISTEN/NOTIFY'. */
  readonly name: string;
  start(handlers: FeedHandlers): void;
  close(): Promise<void>;
}

/** Topics published on the feeds. */
export const TOPIC = { keys: 'keys', outbox: 'outbox' } as const;

const BACKOFF_BASE_MS = 100;
const BACKOFF_MAX_MS = 5_000;

/**
 * Reconnection delay after `attempt` consecutive failures: exponential from 100 ms, capped at
 * 5 s, with jitter so N instances that lost the database together do not reconnect in lockstep.
 */
export function backoffMs(attempt: number): number {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.min(attempt, 16));
  return Math.round(ceiling * (0.5 + Math.random() / 2));
}
