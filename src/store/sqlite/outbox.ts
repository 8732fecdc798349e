import { randomUUID } from 'node:crypto';
import type { AuditRecord, User } from '../../core/model.js';
import type { OutboxDelivery, SecurityEvent, SecurityEventDraft } from '../../core/security-event.js';
import { SECURITY_EVENT_SQL, captureReads, eventArgs, type EventScope } from '../sql/security-events.js';
import { EVENT_COLUMNS_AS_E, eventFromPrefixed, toDelivery, toSecurityEvent } from '../outbox-rows.js';
import { OUTBOX_SQL as SQL, listDeliveriesSql, pruneSql, settleArgs } from '../sql/outbox.js';
import type { DeliverySettlement, EventPlan, NewDelivery, OutboxStore } from '../store.js';
import { insertAudit } from './audit-keys.js';
import type { SqliteDb } from './database.js';

type Row = Record<string, unknown>;

/**
 * Writes a security event inside the caller's transaction (which must not have changed the
 * user's grants or sessions yet), capturing the affected sessions and their clients as they are
 * at this moment (store/sql/security-events.ts). The caller fires `s.outboxCommitted` after its
 * transaction committed. Returns the event's id.
 */
export function writeSecurityEventSync(s: SqliteDb, user: User, draft: SecurityEventDraft, scope: EventScope): number {
  const reads = captureReads(user, scope, draft.occurredAt);
  const grants = s.stmt(SECURITY_EVENT_SQL[reads.grants.sql]).all(...reads.grants.args) as Row[];
  const sessions = reads.sessions ? (s.stmt(SECURITY_EVENT_SQL[reads.sessions.sql]).all(...reads.sessions.args) as Row[]) : null;
  return Number(s.stmt(SECURITY_EVENT_SQL.insertEvent).run(...eventArgs(user, draft, scope, grants, sessions)).lastInsertRowid);
}

/**
 * Writes a security event for rows the caller already read in its transaction (a targeted
 * revocation, store/sqlite/inventory.ts): the grants it cut and the browser sessions it ended; a
 * user-wide revoke, from the cut its receipt read: directory.ts).
 * Returns the event's id (for the revocation receipt).
 */
export function writeCapturedEventSync(
  s: SqliteDb,
  user: User,
  draft: SecurityEventDraft,
  grants: Row[],
  sessionIds: readonly string[],
): number {
  const sessions = sessionIds.map((id) => ({ id }));
  return Number(
    s.stmt(SECURITY_EVENT_SQL.insertEvent).run(...eventArgs(user, draft, { kind: 'user', epoch: user.revocationEpoch }, grants, sessions))
      .lastInsertRowid,
  );
}

const PRUNE = pruneSql('');

export class SqliteOutboxStore implements OutboxStore {
  constructor(private readonly s: SqliteDb) {}

  async claimEvents(now: number, leaseUntil: number, limit: number): Promise<SecurityEvent[]> {
    // An idle poll must not take the write lock: look first (a read), claim only if there is work.
    if (!this.s.stmt('SELECT 1 FROM security_events WHERE planned_at IS NULL AND claimed_until <= ? LIMIT 1').get(now)) return [];
    // One statement for the whole claim, not an UPDATE per event (BENCHMARKS.md, B3); RETURNING
    // gives no order, hence the sort.
    return this.s.txRelaxed(() => {
      const rows = this.s
        .stmt(
          `UPDATE security_events SET claimed_until = ?
           WHERE id IN (SELECT id FROM security_events WHERE planned_at IS NULL AND claimed_until <= ? ORDER BY id LIMIT ?)
           RETURNING *`,
        )
        .all(leaseUntil, now, limit) as Row[];
      return rows.map(toSecurityEvent).sort((a, b) => a.id - b.id);
    });
  }

  async recordPlan(eventId: number, deliveries: NewDelivery[], now: number): Promise<void> {
    return this.recordPlans([{ eventId, deliveries }], now);
  }

  async recordPlans(plans: readonly EventPlan[], now: number): Promise<void> {
    if (plans.length === 0) return;
    this.s.txRelaxed(() => {
      for (const { eventId, deliveries } of plans) {
        const event = this.s.stmt(SQL.eventTenant).get(eventId) as Row | undefined;
        if (!event) continue;
        for (const d of deliveries) {
          this.s.stmt(SQL.insertDelivery).run(d.id, eventId, event.tenant_id, d.sink, d.destination, JSON.stringify(d.payload), now, now);
        }
        this.s.stmt(SQL.markPlanned).run(now, eventId);
      }
    });
  }

  async claimDeliveries(
    now: number,
    leaseUntil: number,
    limit: number,
  ): Promise<{ claim: string; delivery: OutboxDelivery; event: SecurityEvent }[]> {
    const due = this.s.stmt(
      `SELECT 1 FROM outbox_deliveries WHERE status = 'pending' AND next_attempt_at <= ? AND claimed_until <= ? LIMIT 1`,
    );
    if (!due.get(now, now)) return [];
    return this.s.txRelaxed(() => {
      const rows = this.s
        .stmt(
          `SELECT d.*, ${EVENT_COLUMNS_AS_E} FROM outbox_deliveries d JOIN security_events e ON e.id = d.event_id
           WHERE d.status = 'pending' AND d.next_attempt_at <= ? AND d.claimed_until <= ? ORDER BY d.next_attempt_at, d.id LIMIT ?`,
        )
        .all(now, now, limit) as Row[];
      return rows.map((r) => {
        const claim = randomUUID();
        this.s.stmt('UPDATE outbox_deliveries SET claimed_until = ?, claim_token = ? WHERE id = ?').run(leaseUntil, claim, r.id);
        return { claim, delivery: toDelivery(r), event: eventFromPrefixed(r) };
      });
    });
  }

  async settle(id: string, claim: string, x: DeliverySettlement, now: number, audit: AuditRecord[]): Promise<boolean> {
    return this.s.txRelaxed(() => {
      if (this.s.stmt(SQL.settle).run(...settleArgs(id, claim, x, now)).changes === 0) return false;
      for (const a of audit) insertAudit(this.s, a);
      return true;
    });
  }

  async listDeliveries(q: { eventId?: number; sink?: string; status?: string; limit: number }): Promise<OutboxDelivery[]> {
    const { sql, args } = listDeliveriesSql(q);
    return (this.s.stmt(sql).all(...args) as Row[]).map(toDelivery);
  }

  async listEvents(q: { userId?: string; limit: number }): Promise<SecurityEvent[]> {
    const rows = q.userId === undefined ? this.s.stmt(SQL.listEvents).all(q.limit) : this.s.stmt(SQL.listUserEvents).all(q.userId, q.limit);
    return (rows as Row[]).map(toSecurityEvent);
  }

  async prune(before: number, limit: number): Promise<number> {
    return this.s.txRelaxed(
      () => this.s.stmt(PRUNE.deliveries).run(before, limit).changes + this.s.stmt(PRUNE.events).run(before, limit).changes,
    );
  }

  onEventCommitted(listener: () => void): () => void {
    return this.s.outboxCommitted.subscribe(listener);
  }
}
