import type { AuditRecord } from '../core/model.js';
import type { OutboxDelivery, SecurityEvent } from '../core/security-event.js';
import { newTimeOrderedGuid } from '../crypto/random.js';

/**
 * Audit records of the outbox dispatcher, listed by GET /v1.0/auditLogs/directoryAudits
 * (docs/push-revocation.md lists the activity names). Entra has no such activities; these are
 * Portcullis's own, in their own category, initiated by the system (no user, no app).
 */
export const OUTBOX_ACTIVITY = {
  /** One attempt failed; another will follow (resultReason says when). */
  attemptFailed: 'Deliver security event',
  /** The dispatcher gave up: max attempts or max age reached, or the receiver refused it. */
  deliveryFailed: 'Security event delivery failed',
} as const;

export const OUTBOX_AUDIT_CATEGORY = 'SecurityEventDelivery';

export function outboxAuditRecord(args: {
  activity: string;
  event: SecurityEvent;
  delivery: OutboxDelivery;
  at: number;
  reason: string;
}): AuditRecord {
  return {
    id: newTimeOrderedGuid(),
    tenantId: args.event.tenantId,
    activityDateTime: args.at,
    activityDisplayName: args.activity,
    category: OUTBOX_AUDIT_CATEGORY,
    loggedByService: 'Portcullis outbox',
    operationType: 'Deliver',
    result: 'failure',
    resultReason: args.reason,
    // Ties every record of one revocation together with the request that caused it.
    correlationId: args.event.correlationId,
    initiatedBy: {},
    targetResources: [
      {
        id: args.event.userId,
        type: 'User',
        userPrincipalName: args.event.userPrincipalName,
        displayName: null,
        modifiedProperties: [
          { displayName: 'Sink', oldValue: null, newValue: args.delivery.sink },
          { displayName: 'Destination', oldValue: null, newValue: args.delivery.destination },
          { displayName: 'SecurityEventType', oldValue: null, newValue: args.event.type },
          { displayName: 'DeliveryId', oldValue: null, newValue: args.delivery.id },
        ],
      },
    ],
  };
}
