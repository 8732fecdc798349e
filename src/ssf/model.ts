/**
 * The records of the Shared Signals Framework transmitter (OpenID SSF 1.0, CAEP 1.0;
 * OpenID Shared Signals Framework 1.0 and CAEP 1.0, https://openid.net/specs/openid-sharedsignals-framework-1_0.html; RFC 8417). Times are milliseconds since the Unix epoch.
 */

export { DELIVERY, STREAM_STATUSES } from '../core/ssf-stream.js';
export type { ClaimedSet, DeliveryMethod, QueuedSet, SsfStream, StreamStatus } from '../core/ssf-stream.js';

/** CAEP 1.0 §3 event types this transmitter emits. */
export const CAEP_EVENT = {
  sessionRevoked: 'https://schemas.openid.net/secevent/caep/event-type/session-revoked',
  credentialChange: 'https://schemas.openid.net/secevent/caep/event-type/credential-change',
} as const;

/** SSF 1.0 §8.1.4.1: sent on request to any stream, whatever it asked for. */
export const SSF_VERIFICATION_EVENT = 'https://schemas.openid.net/secevent/ssf/event-type/verification';

/** What a stream may request (events_supported). */
export const EVENTS_SUPPORTED: readonly string[] = [CAEP_EVENT.sessionRevoked, CAEP_EVENT.credentialChange];
