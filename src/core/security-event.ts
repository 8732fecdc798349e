import type { AuditIdentity } from './model.js';

/**
 * Security events: what relying parties must hear about after a revocation-class change commits
 * (docs/push-revocation.md, "one durable outbox"). The store writes one in the SAME transaction as the change, so
 * an acknowledged revoke always has its event (I3 extended to push) and a rolled-back one never
 * has. The outbox dispatcher (src/outbox/outbox-dispatcher.ts) fans it out to the sinks.
 */
export type SecurityEventType =
  /** revokeSignInSessions / invalidateAllRefreshTokens. */
  | 'sessions-revoked'
  /** The browser ended its SSO session at the logout endpoint (RP-Initiated Logout). */
  | 'signed-out'
  | 'account-disabled'
  | 'user-deleted'
  | 'password-reset'
  /** RFC 7009: an application revoked one of its grants (a refresh-token family); `sessions` names that grant's session. */
  | 'token-revoked'
  /** A targeted revocation ended browser sessions (one, or all but one) and their grants (core/targeted-revocation.ts). */
  | 'sessions-cut'
  /** A targeted revocation revoked one application's grants; the browser sessions stay. */
  | 'app-access-cut';

/** CAEP 1.0 §2 `initiating_entity`. */
export type InitiatingEntity = 'admin' | 'user' | 'policy' | 'system';

/**
 * A session the event ended, captured at commit time (afterwards the grants may be gone, e.g. on
 * delete). `sid` is the public session id put in ID tokens as `sid` (OIDC Back-Channel Logout
 * §2.4), null for grants made without a browser session (ROPC); `clientIds` are the applications
 * that hold a grant (ID token, refresh token) tied to it, sorted.
 */
export interface AffectedSession {
  sid: string | null;
  clientIds: string[];
}

export interface SecurityEvent {
  /** Monotonic per store (allocation order); the dispatcher processes events in this order. */
  id: number;
  tenantId: string;
  type: SecurityEventType;
  userId: string;
  /** As it was when the event happened (the user may be gone by the time it is delivered). */
  userPrincipalName: string;
  occurredAt: number;
  initiatingEntity: InitiatingEntity;
  initiatedBy: AuditIdentity;
  correlationId: string;
  sessions: AffectedSession[];
}

/** What a caller tells the store to record; the store fills in the id, user and sessions. */
export interface SecurityEventDraft {
  type: SecurityEventType;
  /** The caller's clock; also the instant against which session expiry is judged. */
  occurredAt: number;
  initiatingEntity: InitiatingEntity;
  initiatedBy: AuditIdentity;
  correlationId: string;
}

/** A delivery row's state. */
export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/** One message of one event to one destination through one sink (a row of outbox_deliveries). */
export interface OutboxDelivery {
  /** GUID, stable across retries: sinks use it as the message id (logout token `jti`, SET `jti`). */
  id: string;
  eventId: number;
  tenantId: string;
  sink: string;
  /** Opaque to the dispatcher, unique per (event, sink): e.g. app + sid, or a stream id. */
  destination: string;
  payload: Record<string, unknown>;
  status: DeliveryStatus;
  /** Attempts made so far. */
  attempts: number;
  createdAt: number;
  nextAttemptAt: number;
  lastError: string | null;
  settledAt: number | null;
}

/**
 * Groups grant rows (client id, session id) into affected sessions, plus live browser sessions
 * that no application used yet (an SSF receiver may still care about them). Shared by both
 * adapters so they capture exactly the same shape.
 */
export function groupAffectedSessions(
  grants: readonly { clientId: string; sessionId: string | null }[],
  liveSessionIds: readonly string[] = [],
): AffectedSession[] {
  const bySid = new Map<string | null, Set<string>>();
  for (const sid of liveSessionIds) if (!bySid.has(sid)) bySid.set(sid, new Set());
  for (const g of grants) {
    const set = bySid.get(g.sessionId) ?? new Set<string>();
    set.add(g.clientId);
    bySid.set(g.sessionId, set);
  }
  return [...bySid.entries()]
    .map(([sid, clients]) => ({ sid, clientIds: [...clients].sort() }))
    .sort((a, b) => (a.sid ?? '').localeCompare(b.sid ?? ''));
}
