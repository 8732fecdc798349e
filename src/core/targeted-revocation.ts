import type { Clock } from '../clock.js';
import type { Store } from '../store/store.js';
import { ACTIVITY, userManagementRecord, userTarget } from './audit.js';
import type { AuditIdentity, User } from './model.js';
import type { RevocationKind } from './revocation.js';
import type { SecurityEventType } from './security-event.js';
import type { CutFound, CutTarget } from './session-inventory.js';

/**
 * Targeted revocation (docs/revocation-model.md, "Targeted revocation"): one browser session with
 * its grants, one application's grants, or everything but one session ("sign out everywhere
 * else"), next to the user-wide revoke of core/revocation.ts. The same guarantees: one
 * transaction ends the sessions, revokes the grants, marks the outstanding codes (so no grant
 * starts from them later), writes the audit record and the outbox event, and is durable before
 * this resolves; a rotation either ran before it (and its successor is revoked with the grant)
 * or sees the grant revoked. A dry run reads what it would cut and writes nothing.
 * Null when the user no longer exists.
 */
export async function cutUserSessions(
  store: Store,
  clock: Clock,
  args: { target: User; cut: CutTarget; dryRun: boolean; actor: AuditIdentity; correlationId: string },
): Promise<CutFound | null> {
  const now = clock.now();
  const { target, cut } = args;
  return store.inventory.cut({
    tenantId: target.tenantId,
    userId: target.id,
    target: cut,
    now,
    dryRun: args.dryRun,
    audit: (found) => [
      userManagementRecord({
        tenantId: target.tenantId,
        at: now,
        activity: ACTIVITY.revokeSelectedSessions,
        operationType: 'Update',
        actor: args.actor,
        correlationId: args.correlationId,
        target: userTarget(target, [
          { displayName: 'RevokedTarget', oldValue: null, newValue: describeTarget(cut) },
          { displayName: 'RevokedSessions', oldValue: null, newValue: JSON.stringify(found.sessionIds) },
          { displayName: 'RevokedGrants', oldValue: null, newValue: JSON.stringify(found.grantIds) },
        ]),
      }),
    ],
    // Pushed by the outbox (docs/push-revocation.md): back-channel logout to each application of
    // a cut grant or session, CAEP session-revoked per ended session.
    securityEvent: {
      type: eventTypeOf(cut),
      occurredAt: now,
      initiatingEntity: args.actor.user?.id === target.id ? 'user' : 'admin',
      initiatedBy: args.actor,
      correlationId: args.correlationId,
    },
    // docs/receipts.md: keyed by the request's correlation id, like the user-wide revoke's.
    receipt: { kind: revocationKindOf(cut), correlationId: args.correlationId, initiatedBy: args.actor },
  });
}

function eventTypeOf(cut: CutTarget): SecurityEventType {
  return cut.kind === 'app' ? 'app-access-cut' : 'sessions-cut';
}

/** The audit record's and the metrics' name of a target. */
export function describeTarget(cut: CutTarget): string {
  switch (cut.kind) {
    case 'session':
      return `session ${cut.sessionId}`;
    case 'app':
      return `application ${cut.appId}`;
    case 'allExcept':
      return `all sessions except ${cut.sessionId}`;
  }
}

/** Its label in portcullis_revocations_total (src/ops/metrics.ts). */
export function revocationKindOf(cut: CutTarget): RevocationKind {
  switch (cut.kind) {
    case 'session':
      return 'sessionRevocation';
    case 'app':
      return 'appRevocation';
    case 'allExcept':
      return 'otherSessionsRevocation';
  }
}
