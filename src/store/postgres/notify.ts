import type { Queryable } from './database.js';
import type { Write } from './one-statement.js';
import { numbered } from '../sql/placeholders.js';

/**
 * The PostgreSQL channel on which Portcullis announces changes that per-instance caches must
 * pick up (src/cluster/pg-listener.ts listens on it). The payload is a topic name, e.g. 'keys'.
 * One channel per database: NOTIFY is database-wide, so stores in different schemas of one
 * database (the tests) hear each other, which costs a redundant reload and nothing else.
 */
export const PG_INVALIDATION_CHANNEL = 'portcullis_invalidate';

/**
 * Queues a notification inside the caller's transaction: PostgreSQL delivers it only when the
 * transaction commits, never for a rollback, so a listener never reloads before the change is
 * visible to it.
 */
export async function notifyInTx(c: Queryable, topic: string): Promise<void> {
  const w = notifyWrite(topic);
  await c.query(numbered(w.sql), [...w.args]);
}

/** The notification as one of the writes of a combined statement (one-statement.ts). */
export const notifyWrite = (topic: string): Write => ({
  sql: 'SELECT pg_notify(?, ?) AS notified',
  args: [PG_INVALIDATION_CHANNEL, topic],
  returning: 'notified',
});
