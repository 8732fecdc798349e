import type { AuditIdentity } from '../core/model.js';
import type {
  AffectedSession,
  DeliveryStatus,
  InitiatingEntity,
  OutboxDelivery,
  SecurityEvent,
  SecurityEventType,
} from '../core/security-event.js';

/**
 * Row mapping of the outbox tables, shared by both adapters: the schemas are column for column
 * the same (PostgreSQL BIGINT arrives as number; JSON is TEXT in both).
 */
type Row = Record<string, unknown>;

const optNum = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const optStr = (v: unknown): string | null => (v === null || v === undefined ? null : (v as string));

export function toSecurityEvent(r: Row): SecurityEvent {
  return {
    id: Number(r.id),
    tenantId: r.tenant_id as string,
    type: r.type as SecurityEventType,
    userId: r.user_id as string,
    userPrincipalName: r.user_principal_name as string,
    occurredAt: Number(r.occurred_at),
    initiatingEntity: r.initiating_entity as InitiatingEntity,
    initiatedBy: JSON.parse(r.initiated_by as string) as AuditIdentity,
    correlationId: r.correlation_id as string,
    sessions: JSON.parse(r.sessions as string) as AffectedSession[],
  };
}

export function toDelivery(r: Row): OutboxDelivery {
  return {
    id: r.id as string,
    eventId: Number(r.event_id),
    tenantId: r.tenant_id as string,
    sink: r.sink as string,
    destination: r.destination as string,
    payload: JSON.parse(r.payload as string) as Record<string, unknown>,
    status: r.status as DeliveryStatus,
    attempts: Number(r.attempts),
    createdAt: Number(r.created_at),
    nextAttemptAt: Number(r.next_attempt_at),
    lastError: optStr(r.last_error),
    settledAt: optNum(r.settled_at),
  };
}

/**
 * A claimed delivery comes back joined with its event; the event's columns are selected with
 * this prefix so they do not collide with the delivery's.
 */
export const EVENT_COLUMNS_AS_E = [
  'id',
  'tenant_id',
  'type',
  'user_id',
  'user_principal_name',
  'occurred_at',
  'initiating_entity',
  'initiated_by',
  'correlation_id',
  'sessions',
]
  .map((c) => `e.${c} AS e_${c}`)
  .join(', ');

export function eventFromPrefixed(r: Row): SecurityEvent {
  const unprefixed: Row = {};
  for (const [k, v] of Object.entries(r)) if (k.startsWith('e_')) unprefixed[k.slice(2)] = v;
  return toSecurityEvent(unprefixed);
}

/** Bounds what an attempt's error text can put into the database and the audit log. */
export const clipError = (s: string): string => (s.length > 500 ? `${s.slice(0, 497)}...` : s);
