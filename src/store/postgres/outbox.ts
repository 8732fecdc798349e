import { randomUUID } from 'node:crypto';
import type { AuditRecord, User } from '../../core/model.js';
import type { OutboxDelivery, SecurityEvent, SecurityEventDraft } from '../../core/security-event.js';
import { SECURITY_EVENT_SQL, captureReads, eventArgs, type EventScope } from '../sql/security-events.js';
import { numberedAll } from '../sql/placeholders.js';
import { EVENT_COLUMNS_AS_E, clipError, eventFromPrefixed, toDelivery, toSecurityEvent } from '../outbox-rows.js';
import type { DeliverySettlement, NewDelivery, OutboxStore } from '../store.js';
import { insertAudit } from './audit-keys.js';
import type { PgDb, Queryable } from './database.js';
import { notifyInTx } from './notify.js';

const EVENT_SQL = numberedAll(SECURITY_EVENT_SQL);

/**
 * Writes a security event inside the caller's transaction, which holds the user row locked
 * (FOR NO KEY UPDATE): a grant being created concurrently takes FOR SHARE on the user, so the
 * captured set of grants is exactly the set the change ends (store/sql/security-events.ts). The
 * caller fires `db.outboxCommitted` after COMMIT.
 */
export async function writeSecurityEvent(c: Queryable, user: User, draft: SecurityEventDraft, scope: EventScope): Promise<void> {
  const reads = captureReads(user, scope, draft.occurredAt);
  const grants = (await c.query(EVENT_SQL[reads.grants.sql], reads.grants.args)).rows;
  const sessions = reads.sessions ? (await c.query(EVENT_SQL[reads.sessions.sql], reads.sessions.args)).rows : null;
  await c.query(EVENT_SQL.insertEvent, eventArgs(user, draft, scope, grants, sessions));
  // Delivered at COMMIT to every listening instance, whose dispatcher then runs at once instead
  // of at its next poll (src/events/key-refresher.ts hands the topic to the app).
  await notifyInTx(c, 'outbox');
}

export class PgOutboxStore implements OutboxStore {
  constructor(private readonly db: PgDb) {}

  /**
   * One statement: the inner SELECT locks unleased rows and SKIPs rows another instance is
   * claiming right now; under READ COMMITTED the outer UPDATE re-checks the lease on the latest
   * row version, so two instances never hold the same event.
   */
  async claimEvents(now: number, leaseUntil: number, limit: number): Promise<SecurityEvent[]> {
    const { rows } = await this.db.query(
      `UPDATE security_events SET claimed_until = $2
       WHERE id IN (SELECT id FROM security_events WHERE planned_at IS NULL AND claimed_until <= $1
                    ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED)
         AND planned_at IS NULL AND claimed_until <= $1
       RETURNING *`,
      [now, leaseUntil, limit],
    );
    return rows.map(toSecurityEvent).sort((a, b) => a.id - b.id);
  }

  async recordPlan(eventId: number, deliveries: NewDelivery[], now: number): Promise<void> {
    await this.db.tx(async (c) => {
      const { rows } = await c.query('SELECT tenant_id FROM security_events WHERE id = $1 FOR UPDATE', [eventId]);
      const event = rows[0];
      if (!event) return;
      for (const d of deliveries) {
        await c.query(
          `INSERT INTO outbox_deliveries (id, event_id, tenant_id, sink, destination, payload, status, created_at, next_attempt_at)
           VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $7) ON CONFLICT (event_id, sink, destination) DO NOTHING`,
          [d.id, eventId, event.tenant_id, d.sink, d.destination, JSON.stringify(d.payload), now],
        );
      }
      await c.query('UPDATE security_events SET planned_at = $1, claimed_until = 0 WHERE id = $2', [now, eventId]);
    });
  }

  async claimDeliveries(now: number, leaseUntil: number, limit: number): Promise<{ claim: string; delivery: OutboxDelivery; event: SecurityEvent }[]> {
    const claim = randomUUID();
    // Same pattern as claimEvents; one claim token for the batch (each row is settled by id + token).
    const { rows } = await this.db.query(
      `WITH claimed AS (
         UPDATE outbox_deliveries SET claimed_until = $2, claim_token = $3
         WHERE id IN (SELECT id FROM outbox_deliveries WHERE status = 'pending' AND next_attempt_at <= $1 AND claimed_until <= $1
                      ORDER BY next_attempt_at, id LIMIT $4 FOR UPDATE SKIP LOCKED)
           AND status = 'pending' AND claimed_until <= $1
         RETURNING *)
       SELECT d.*, ${EVENT_COLUMNS_AS_E} FROM claimed d JOIN security_events e ON e.id = d.event_id
       ORDER BY d.next_attempt_at, d.id`,
      [now, leaseUntil, claim, limit],
    );
    return rows.map((r) => ({ claim, delivery: toDelivery(r), event: eventFromPrefixed(r) }));
  }

  async settle(id: string, claim: string, x: DeliverySettlement, now: number, audit: AuditRecord[]): Promise<boolean> {
    return this.db.tx(async (c) => {
      const nextAttemptAt = x.status === 'pending' ? x.nextAttemptAt : now;
      const lastError = x.status === 'pending' || x.status === 'failed' ? clipError(x.lastError) : null;
      const settledAt = x.status === 'delivered' || x.status === 'failed' ? now : null;
      const r = await c.query(
        `UPDATE outbox_deliveries SET status = $1, attempts = $2, next_attempt_at = $3, last_error = COALESCE($4, last_error),
           settled_at = $5, claimed_until = 0, claim_token = NULL
         WHERE id = $6 AND claim_token = $7 AND status = 'pending'`,
        [x.status, x.attempts, nextAttemptAt, lastError, settledAt, id, claim],
      );
      if (r.rowCount !== 1) return false;
      for (const a of audit) await insertAudit(c, a);
      return true;
    });
  }

  async listDeliveries(q: { eventId?: number; sink?: string; status?: string; limit: number }): Promise<OutboxDelivery[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const add = (column: string, value: unknown) => {
      args.push(value);
      where.push(`${column} = $${args.length}`);
    };
    if (q.eventId !== undefined) add('event_id', q.eventId);
    if (q.sink !== undefined) add('sink', q.sink);
    if (q.status !== undefined) add('status', q.status);
    args.push(q.limit);
    const { rows } = await this.db.query(
      `SELECT * FROM outbox_deliveries ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY event_id DESC, created_at DESC, id LIMIT $${args.length}`,
      args,
    );
    return rows.map(toDelivery);
  }

  async listEvents(q: { userId?: string; limit: number }): Promise<SecurityEvent[]> {
    const { rows } =
      q.userId === undefined
        ? await this.db.query('SELECT * FROM security_events ORDER BY id DESC LIMIT $1', [q.limit])
        : await this.db.query('SELECT * FROM security_events WHERE user_id = $1 ORDER BY id DESC LIMIT $2', [q.userId, q.limit]);
    return rows.map(toSecurityEvent);
  }

  async prune(before: number, limit: number): Promise<number> {
    return this.db.tx(async (c) => {
      const deliveries = await c.query(
        `DELETE FROM outbox_deliveries WHERE id IN (SELECT id FROM outbox_deliveries
           WHERE status IN ('delivered', 'failed') AND settled_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
        [before, limit],
      );
      const events = await c.query(
        `DELETE FROM security_events WHERE id IN (SELECT e.id FROM security_events e
           WHERE e.planned_at IS NOT NULL AND e.planned_at < $1
             AND NOT EXISTS (SELECT 1 FROM outbox_deliveries d WHERE d.event_id = e.id) LIMIT $2 FOR UPDATE SKIP LOCKED)`,
        [before, limit],
      );
      return (deliveries.rowCount ?? 0) + (events.rowCount ?? 0);
    });
  }

  onEventCommitted(listener: () => void): () => void {
    return this.db.outboxCommitted.subscribe(listener);
  }
}
