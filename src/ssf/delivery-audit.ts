import { newTimeOrderedGuid } from '../crypto/random.js';
import type { AuditRecord } from '../core/model.js';

/**
 * The audit record of a SET that was not delivered (docs/push-revocation.md: failures visible in the audit log,
 * readable through GET /v1.0/auditLogs/directoryAudits): a push given up or refused with 400, or a
 * SET a polling receiver reported in setErrs. It names the receiver application, the stream and,
 * for push, its endpoint without query string, with the jti as correlation id and the reason;
 * never the SET itself nor the stream's authorization header.
 */
export const SSF_DELIVERY_FAILED = 'Deliver security event token';

export function deliveryFailureRecord(args: {
  tenantId: string;
  clientId: string;
  streamId: string;
  /** Push: the endpoint URL; poll: null. */
  endpointUrl: string | null;
  jti: string;
  at: number;
  reason: string;
}): AuditRecord {
  let where = '(poll)';
  if (args.endpointUrl !== null) {
    const url = new URL(args.endpointUrl);
    where = `→ ${url.origin}${url.pathname}`;
  }
  return {
    id: newTimeOrderedGuid(),
    tenantId: args.tenantId,
    activityDateTime: args.at,
    activityDisplayName: SSF_DELIVERY_FAILED,
    category: 'SharedSignals',
    loggedByService: 'Portcullis Shared Signals',
    operationType: 'Other',
    result: 'failure',
    resultReason: args.reason.slice(0, 512),
    correlationId: args.jti.slice(0, 256),
    initiatedBy: {},
    targetResources: [
      {
        id: args.clientId,
        type: 'Application',
        displayName: `stream ${args.streamId} ${where}`,
        userPrincipalName: null,
        modifiedProperties: [],
      },
    ],
  };
}
