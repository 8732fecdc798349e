import type { AuditIdentity } from './model.js';
import type { DeliveryStatus, OutboxDelivery } from './security-event.js';

/**
 * Revocation receipts (docs/receipts.md): what one revoke cut — SSO sessions, grants and refresh
 * tokens, grouped by application — read inside the revoke's own transaction, so it lists exactly
 * the credentials that were live before the revoke and are dead after it; and, read when asked,
 * the outcome of each message the revoke's security event caused (back-channel logout, SSF).
 *
 * Any revoke produces one by calling the store adapters' capture function (`captureReceiptSync`
 * in src/store/sqlite/receipts.ts, `captureReceipt` in src/store/postgres/receipts.ts) inside its
 * transaction with the ids of the sessions and grants it ends, before it ends them.
 */

/**
 * Which revoke: the kinds of src/core/revocation.ts (RevocationKind), or a later kind (one session,
 * one application's grants, ...) named by the code that captures it.
 */
export type ReceiptKind = string;

/** What the code doing a revoke tells the capture; the store fills in the rest. */
export interface ReceiptDraft {
  kind: ReceiptKind;
  correlationId: string;
  initiatedBy: AuditIdentity;
}

/** The credentials a revoke ends: the capture reads what they hold (applications, refresh tokens). */
export interface CutIds {
  /** SSO session ids (the public `sid`) the revoke ends. */
  sessionIds: readonly string[];
  /** Grant ids (refresh-token families) the revoke ends. */
  grantIds: readonly string[];
}

/** One application's share of a cut. */
export interface ReceiptApplication {
  appId: string;
  grantIds: string[];
  /**
   * The refresh tokens of those grants that were still redeemable, each named by the first 16
   * characters of its stored digest (src/crypto/digest.ts digestCredential): enough for the holder
   * of a token to find it, of no use for redeeming one.
   */
  refreshTokenIds: string[];
  /** SSO sessions through which the application got those grants. */
  sessionIds: string[];
}

export interface ReceiptCut {
  /** SSO sessions the revoke ended, sorted. */
  sessionIds: string[];
  /** Sorted by appId. */
  applications: ReceiptApplication[];
}

export interface RevocationReceipt {
  id: string;
  tenantId: string;
  correlationId: string;
  kind: ReceiptKind;
  userId: string;
  userPrincipalName: string;
  revokedAt: number;
  initiatedBy: AuditIdentity;
  /** The security event written in the same transaction, whose outbox deliveries the receipt reports; null if none. */
  eventId: number | null;
  cut: ReceiptCut;
}

/** How many characters of a refresh token's digest name it on a receipt. */
export const REFRESH_TOKEN_ID_LENGTH = 16;

/**
 * The cut, from the rows the capture read: the cut grants (with their application and session)
 * and their redeemable refresh tokens. Shared by both adapters so they record the same shape.
 */
export function buildCut(
  sessionIds: readonly string[],
  grants: readonly { id: string; clientId: string; sessionId: string | null }[],
  refreshTokens: readonly { grantId: string; hash: string }[],
): ReceiptCut {
  const byApp = new Map<string, { grants: Set<string>; tokens: Set<string>; sessions: Set<string> }>();
  const appOfGrant = new Map<string, string>();
  for (const g of grants) {
    const app = byApp.get(g.clientId) ?? { grants: new Set(), tokens: new Set(), sessions: new Set() };
    app.grants.add(g.id);
    if (g.sessionId !== null) app.sessions.add(g.sessionId);
    byApp.set(g.clientId, app);
    appOfGrant.set(g.id, g.clientId);
  }
  for (const t of refreshTokens) {
    const appId = appOfGrant.get(t.grantId);
    if (appId !== undefined) byApp.get(appId)?.tokens.add(t.hash.slice(0, REFRESH_TOKEN_ID_LENGTH));
  }
  const sorted = (s: Iterable<string>) => [...s].sort();
  return {
    sessionIds: sorted(new Set(sessionIds)),
    applications: [...byApp.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([appId, x]) => ({ appId, grantIds: sorted(x.grants), refreshTokenIds: sorted(x.tokens), sessionIds: sorted(x.sessions) })),
  };
}

export interface CutCounts {
  sessions: number;
  grants: number;
  refreshTokens: number;
}

export function cutCounts(cut: ReceiptCut): CutCounts {
  let grants = 0;
  let refreshTokens = 0;
  for (const a of cut.applications) {
    grants += a.grantIds.length;
    refreshTokens += a.refreshTokenIds.length;
  }
  return { sessions: cut.sessionIds.length, grants, refreshTokens };
}

/** The outcome of one message the revoke caused, as a receipt shows it. */
export interface ReceiptDelivery {
  id: string;
  /** The outbox sink: `oidc-backchannel-logout` or `ssf`. */
  channel: string;
  destination: string;
  status: DeliveryStatus;
  attempts: number;
  lastError: string | null;
  createdAt: number;
  settledAt: number | null;
}

export function receiptDelivery(d: OutboxDelivery): ReceiptDelivery {
  return {
    id: d.id,
    channel: d.sink,
    destination: d.destination,
    status: d.status,
    attempts: d.attempts,
    lastError: d.lastError,
    createdAt: d.createdAt,
    settledAt: d.settledAt,
  };
}

/** Pending until the dispatcher planned the event's messages; then the count of each status. */
export function deliverySummary(planned: boolean, deliveries: readonly ReceiptDelivery[]): Record<DeliveryStatus | 'planned', unknown> {
  const count = (s: DeliveryStatus) => deliveries.filter((d) => d.status === s).length;
  return { planned, pending: count('pending'), delivered: count('delivered'), failed: count('failed') };
}
