import { randomUUID } from 'node:crypto';
import type { AuditRecord, User } from '../../core/model.js';
import type { OutboxDelivery, SecurityEvent, SecurityEventDraft } from '../../core/security-event.js';
import { SECURITY_EVENT_SQL, captureReads, eventArgs, type EventScope } from '../sql/security-events.js';
import { numbered, numberedAll } from '../sql/placeholders.js';
import { EVENT_COLUMNS_AS_E, eventFromPrefixed, toDelivery, toSecurityEvent } from '../outbox-rows.js';
import { OUTBOX_SQL, listDeliveriesSql, pruneSql, settleArgs } from '../sql/outbox.js';
import type { DeliverySettlement, EventPlan, NewDelivery, OutboxStore } from '../store.js';
import { insertAudit } from './audit-keys.js';
import type { PgDb, Queryable } from './database.js';
import { notifyInTx, notifyWrite } from './notify.js';
import { runWrites, type Write } from './one-statement.js';

const EVENT_SQL = numberedAll(SECURITY_EVENT_SQL);
const SQL = numberedAll(OUTBOX_SQL);
/** Two pruning instances skip each other's rows instead of waiting. */
const PRUNE = numberedAll(pruneSql(' FOR UPDATE SKIP LOCKED'));

/**
 * Writes a security event inside the caller's transaction, which holds the user row locked
 * (FOR NO KEY UPDATE): a grant being created concurrently takes FOR SHARE on the user, so the
 * captured set of grants is exactly the set the change ends (store/sql/security-events.ts). The
 * caller fires `db.outboxCommitted` after COMMIT. Returns the event's id.
 */
export async function writeSecurityEvent(c: Queryable, user: User, draft: SecurityEventDraft, scope: EventScope): Promise<number> {
  const reads = captureReads(user, scope, draft.occurredAt);
  const grants = (await c.query(EVENT_SQL[reads.grants.sql], reads.grants.args)).rows;
  const sessions = reads.sessions ? (await c.query(EVENT_SQL[reads.sessions.sql], reads.sessions.args)).rows : null;
  const { rows } = await c.query(`${EVENT_SQL.insertEvent} RETURNING id`, eventArgs(user, draft, scope, grants, sessions));
  // Delivered at COMMIT to every listening instance, whose dispatcher then runs at once instead
  // of at its next poll (src/cluster/key-refresher.ts hands the topic to the app).
  await notifyInTx(c, 'outbox');
  return Number(rows[0]?.id);
}

/**
 * Writes a security event for rows the caller already read in its transaction (a targeted
 * revocation, store/postgres/inventory.ts): the grants it cut and the browser sessions it ended; a
 * user-wide revoke, from the cut its receipt read: directory.ts).
 * Returns the event's id (for the revocation receipt).
 */
export async function writeCapturedEvent(
  c: Queryable,
  user: User,
  draft: SecurityEventDraft,
  grants: Record<string, unknown>[],
  sessionIds: readonly string[],
): Promise<number> {
  const { event, writes } = capturedEventWrites(user, draft, grants, sessionIds);
  return Number((await runWrites(c, writes)).get(event));
}

/**
 * writeCapturedEvent as writes of a combined statement (one-statement.ts): the event row, which
 * returns its id (`event`, for the receipt's `returned(event)`), and the NOTIFY.
 */
export function capturedEventWrites(
  user: User,
  draft: SecurityEventDraft,
  grants: Record<string, unknown>[],
  sessionIds: readonly string[],
): { event: Write; writes: Write[] } {
  const sessions = sessionIds.map((id) => ({ id }));
  const event: Write = {
    sql: `${SECURITY_EVENT_SQL.insertEvent} RETURNING id`,
    args: eventArgs(user, draft, { kind: 'user', epoch: user.revocationEpoch }, grants, sessions),
    returning: 'id',
  };
  // Delivered at COMMIT to every listening instance (writeSecurityEvent).
  return { event, writes: [event, notifyWrite('outbox')] };
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
    return this.recordPlans([{ eventId, deliveries }], now);
  }

  async recordPlans(plans: readonly EventPlan[], now: number): Promise<void> {
    if (plans.length === 0) return;
    // Events no sink sends anything for (every event of a tenant without receivers: a bulk
    // revocation's, BENCHMARKS.md B3) are marked planned by one statement, not three round trips each.
    const nothingToSend = plans.filter((p) => p.deliveries.length === 0).map((p) => p.eventId);
    await this.db.tx(async (c) => {
      for (const { eventId, deliveries } of plans) {
        if (deliveries.length === 0) continue;
        const { rows } = await c.query(`${SQL.eventTenant} FOR UPDATE`, [eventId]);
        const event = rows[0];
        if (!event) continue;
        for (const d of deliveries) {
          await c.query(SQL.insertDelivery, [d.id, eventId, event.tenant_id, d.sink, d.destination, JSON.stringify(d.payload), now, now]);
        }
        await c.query(SQL.markPlanned, [now, eventId]);
      }
      if (nothingToSend.length > 0) {
        await c.query('UPDATE security_events SET planned_at = $1, claimed_until = 0 WHERE id = ANY($2::bigint[])', [now, nothingToSend]);
      }
    });
  }

  async claimDeliveries(
    now: number,
    leaseUntil: number,
    limit: number,
  ): Promise<{ claim: string; delivery: OutboxDelivery; event: SecurityEvent }[]> {
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
      if ((await c.query(SQL.settle, settleArgs(id, claim, x, now))).rowCount !== 1) return false;
      for (const a of audit) await insertAudit(c, a);
      return true;
    });
  }

  async listDeliveries(q: { eventId?: number; sink?: string; status?: string; limit: number }): Promise<OutboxDelivery[]> {
    const { sql, args } = listDeliveriesSql(q);
    const { rows } = await this.db.query(numbered(sql), args);
    return rows.map(toDelivery);
  }

  async listEvents(q: { userId?: string; limit: number }): Promise<SecurityEvent[]> {
    const { rows } =
      q.userId === undefined
        ? await this.db.query(SQL.listEvents, [q.limit])
        : await this.db.query(SQL.listUserEvents, [q.userId, q.limit]);
    return rows.map(toSecurityEvent);
  }

  async prune(before: number, limit: number): Promise<number> {
    return this.db.tx(async (c) => {
      const deliveries = await c.query(PRUNE.deliveries, [before, limit]);
      const events = await c.query(PRUNE.events, [before, limit]);
      return (deliveries.rowCount ?? 0) + (events.rowCount ?? 0);
    });
  }

  onEventCommitted(listener: () => void): () => void {
    return this.db.outboxCommitted.subscribe(listener);
  }
}
