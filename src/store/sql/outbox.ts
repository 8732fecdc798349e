import type { DeliverySettlement } from '../store.js';
import { clipError } from '../outbox-rows.js';
import { columnsEqual } from './placeholders.js';

/**
 * Outbox SQL both dialects read alike. How work is claimed differs and stays in the adapters:
 * PostgreSQL claims in one statement with FOR UPDATE SKIP LOCKED (several instances), SQLite
 * looks, then claims in a write transaction (one process). `skipLocked` is appended by PostgreSQL
 * to the prune subqueries so two pruning instances do not wait on each other.
 */
export const OUTBOX_SQL = {
  eventTenant: 'SELECT tenant_id FROM security_events WHERE id = ?',
  /** A delivery planned twice (crash between planning and recording) is skipped by its unique key. */
  insertDelivery: `INSERT INTO outbox_deliveries (id, event_id, tenant_id, sink, destination, payload, status, created_at, next_attempt_at)
    VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?) ON CONFLICT (event_id, sink, destination) DO NOTHING`,
  markPlanned: 'UPDATE security_events SET planned_at = ?, claimed_until = 0 WHERE id = ?',
  /** Applies only while the claim is still ours (see OutboxStore.settle). */
  settle: `UPDATE outbox_deliveries SET status = ?, attempts = ?, next_attempt_at = ?, last_error = COALESCE(?, last_error),
      settled_at = ?, claimed_until = 0, claim_token = NULL
    WHERE id = ? AND claim_token = ? AND status = 'pending'`,
  listEvents: 'SELECT * FROM security_events ORDER BY id DESC LIMIT ?',
  listUserEvents: 'SELECT * FROM security_events WHERE user_id = ? ORDER BY id DESC LIMIT ?',
} as const;

/** Retention (OutboxStore.prune): settled deliveries first, then events with none left. */
export const pruneSql = (skipLocked: '' | ' FOR UPDATE SKIP LOCKED') => ({
  deliveries: `DELETE FROM outbox_deliveries WHERE id IN (SELECT id FROM outbox_deliveries
      WHERE status IN ('delivered', 'failed') AND settled_at < ? LIMIT ?${skipLocked})`,
  events: `DELETE FROM security_events WHERE id IN (SELECT e.id FROM security_events e
      WHERE e.planned_at IS NOT NULL AND e.planned_at < ?
        AND NOT EXISTS (SELECT 1 FROM outbox_deliveries d WHERE d.event_id = e.id) LIMIT ?${skipLocked})`,
});

/** The values of `settle`: a retry keeps the delivery pending until its next attempt. */
export function settleArgs(id: string, claim: string, x: DeliverySettlement, now: number): unknown[] {
  const nextAttemptAt = x.status === 'pending' ? x.nextAttemptAt : now;
  const lastError = x.status === 'pending' || x.status === 'failed' ? clipError(x.lastError) : null;
  const settledAt = x.status === 'delivered' || x.status === 'failed' ? now : null;
  return [x.status, x.attempts, nextAttemptAt, lastError, settledAt, id, claim];
}

/** OutboxStore.listDeliveries: newest first, filtered by what the query names. */
export function listDeliveriesSql(q: { eventId?: number; sink?: string; status?: string; limit: number }): {
  sql: string;
  args: unknown[];
} {
  const { parts, args } = columnsEqual([
    ['event_id', q.eventId],
    ['sink', q.sink],
    ['status', q.status],
  ]);
  const filter = parts.length ? `WHERE ${parts.join(' AND ')} ` : '';
  return { sql: `SELECT * FROM outbox_deliveries ${filter}ORDER BY event_id DESC, created_at DESC, id LIMIT ?`, args: [...args, q.limit] };
}
