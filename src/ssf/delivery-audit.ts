import { newGuid } from '../crypto/random.js';
import type { AuditRecord } from '../core/model.js';
import type { ClaimedSet } from './model.js';

/**
 * The audit record of a SET that could not be delivered (issue 6: failures visible in the audit
 * log, readable through GET /v1.0/auditLogs/directoryAudits). It names the receiver application, the stream and its endpoint (without query), the jti (as correlationId) and why;
 * never the SET, the authorization header or the endpoint's query string.
 */
export const SSF_DELIVERY_FAILED = 'Deliver security event token';

export function deliveryFailureRecord(claimed: ClaimedSet, at: number, reason: string): AuditRecord {
  const endpoint = new URL(claimed.endpointUrl);
  return {
    id: newGuid(),
    tenantId: claimed.tenantId,
    activityDateTime: at,
    activityDisplayName: SSF_DELIVERY_FAILED,
    category: 'SharedSignals',
    loggedByService: 'Portcullis Shared Signals',
    operationType: 'Other',
    result: 'failure',
    resultReason: reason.slice(0, 512),
    correlationId: claimed.jti,
    initiatedBy: {},
    targetResources: [
      {
        id: claimed.clientId,
        type: 'Application',
        displayName: `stream ${claimed.streamId} → ${endpoint.origin}${endpoint.pathname}`,
        userPrincipalName: null,
        modifiedProperties: [],
      },
    ],
  };
}
