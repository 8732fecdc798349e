import type { InvalidationFeed } from './invalidation.js';

/**
 * Picks an instance's invalidation feed: Redis when a Redis URL is configured, else LISTEN on
 * the PostgreSQL database, else none (SQLite: one process, the periodic check suffices). The
 * clients load only when used.
 */
export async function openInvalidationFeed(opts: {
  redisUrl: string | null;
  databaseUrl: string | null;
}): Promise<InvalidationFeed | null> {
  if (opts.redisUrl) {
    const { RedisFeed } = await import('./redis-feed.js');
    return new RedisFeed(opts.redisUrl);
  }
  if (opts.databaseUrl) {
    const { PgNotifyFeed } = await import('./pg-listener.js');
    return new PgNotifyFeed(opts.databaseUrl);
  }
  return null;
}
