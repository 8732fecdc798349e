/**
 * The stored records of the Shared Signals Framework transmitter (OpenID SSF 1.0): streams and
 * their SET queues. In core because the store contract (store/store.ts) holds them; src/ssf/
 * builds the transmitter on them. Times are milliseconds since the Unix epoch.
 */

/** SSF 1.0 §6.1: delivery method URNs. */
export const DELIVERY = {
  push: 'urn:ietf:rfc:8935',
  poll: 'urn:ietf:rfc:8936',
} as const;
export type DeliveryMethod = (typeof DELIVERY)[keyof typeof DELIVERY];

/**
 * SSF 1.0 §8.1.2: enabled = delivered; paused = held and delivered once enabled again;
 * disabled = not delivered, and events that occur meanwhile are dropped.
 */
export type StreamStatus = 'enabled' | 'paused' | 'disabled';
export const STREAM_STATUSES: readonly StreamStatus[] = ['enabled', 'paused', 'disabled'];

export interface SsfStream {
  /** Transmitter-supplied, unique. */
  streamId: string;
  tenantId: string;
  /** The receiver: the application whose client-credentials token created the stream. */
  clientId: string;
  /** Transmitter-supplied audience of the SETs (SSF 1.0 §8.1.1): the receiver's client id. */
  aud: string;
  /** Receiver-supplied event type URIs. */
  eventsRequested: string[];
  method: DeliveryMethod;
  /** Push: the receiver's endpoint. Poll: null (the transmitter's URL is derived from the stream id). */
  endpointUrl: string | null;
  /**
   * Push: the Authorization header value the receiver asked us to send (SSF 1.0 §6.1.1). It is a
   * credential of the receiver's endpoint that we must present, so it is stored as given (it
   * cannot be hashed) and is never returned by the management API nor logged.
   */
  authorizationHeader: string | null;
  description: string | null;
  status: StreamStatus;
  statusReason: string | null;
  createdAt: number;
  updatedAt: number;
  /** When the last verification event was requested (min_verification_interval). */
  lastVerificationAt: number | null;
}

/** A signed SET waiting in a stream's queue (poll: until acknowledged; push: until answered). */
export interface QueuedSet {
  streamId: string;
  jti: string;
  set: string;
  createdAt: number;
}

/** A queued SET of an enabled push stream that one instance has claimed for one attempt. */
export interface ClaimedSet extends QueuedSet {
  tenantId: string;
  /** The receiver application. */
  clientId: string;
  /** Attempts made so far, this one included. */
  attempts: number;
  endpointUrl: string;
  authorizationHeader: string | null;
}
