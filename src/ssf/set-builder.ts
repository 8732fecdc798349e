import { createHash, randomUUID } from 'node:crypto';
import { CAEP_EVENT, SSF_VERIFICATION_EVENT, type SsfStream } from './model.js';

/**
 * Security Event Tokens as SSF 1.0 §4 profiles RFC 8417: explicitly typed (`secevent+jwt`), no
 * `sub` and no `exp`, the subject in `sub_id` (RFC 9493), `txn` set, one event per SET.
 */
export const SET_TYP = 'secevent+jwt';

/** CAEP 1.0 §2: who caused the change. */
export type InitiatingEntity = 'admin' | 'user' | 'policy' | 'system';

/**
 * One user-level security change, as the outbox records it. `txn` is the id of the change: every
 * SET that stems from it, on every stream, carries the same `txn` (RFC 8417 §2.2), which is how a
 * receiver recognises the credential-change and the session-revoked of one password reset.
 */
export interface UserSignal {
  txn: string;
  type: 'session-revoked' | 'credential-change';
  tenantId: string;
  /** The user object id: the `oid` claim of the user's access tokens. */
  userId: string;
  /** Set when the change ended one session only (sign-out): the `sid` claim of its tokens. */
  sessionId: string | null;
  occurredAt: number;
  initiatingEntity: InitiatingEntity;
  /** CAEP `reason_admin`, in English; never carries secrets. */
  reasonAdmin?: string;
}

export const eventUri = (type: UserSignal['type']): string =>
  type === 'session-revoked' ? CAEP_EVENT.sessionRevoked : CAEP_EVENT.credentialChange;

/**
 * The jti of a signal's SET on one stream is derived, not random: a delivery retried after a crash
 * produces the same jti, and the stream's queue keeps each jti once (SSF idempotency).
 */
export function setJti(signal: Pick<UserSignal, 'txn' | 'type' | 'sessionId'>, streamId: string): string {
  return createHash('sha256')
    .update(`${signal.txn}|${signal.type}|${signal.sessionId ?? ''}|${streamId}`)
    .digest('base64url')
    .slice(0, 32);
}

const seconds = (ms: number): number => Math.floor(ms / 1000);

/**
 * The complex subject (SSF 1.0 §3.2, RFC 9493 §3.2.1): the user and tenant as opaque ids, plus the
 * session when the event is about one session. Resource servers match `user.id` with the `oid`
 * claim and `tenant.id` with `tid` of the access tokens they hold.
 */
export function subjectOf(signal: UserSignal): Record<string, unknown> {
  const subject: Record<string, unknown> = {
    format: 'complex',
    user: { format: 'opaque', id: signal.userId },
    tenant: { format: 'opaque', id: signal.tenantId },
  };
  if (signal.sessionId) subject.session = { format: 'opaque', id: signal.sessionId };
  return subject;
}

function eventClaims(signal: UserSignal): Record<string, unknown> {
  const event: Record<string, unknown> = {
    event_timestamp: seconds(signal.occurredAt),
    initiating_entity: signal.initiatingEntity,
  };
  if (signal.reasonAdmin) event.reason_admin = { en: signal.reasonAdmin };
  // CAEP 1.0 §3.3: credential_type and change_type are required members of credential-change.
  if (signal.type === 'credential-change') Object.assign(event, { credential_type: 'password', change_type: 'update' });
  return event;
}

export function userSignalClaims(
  signal: UserSignal,
  stream: Pick<SsfStream, 'streamId' | 'aud'>,
  iss: string,
  now: number,
): Record<string, unknown> {
  return {
    iss,
    aud: stream.aud,
    iat: seconds(now),
    jti: setJti(signal, stream.streamId),
    txn: signal.txn,
    sub_id: subjectOf(signal),
    events: { [eventUri(signal.type)]: eventClaims(signal) },
  };
}

/** SSF 1.0 §8.1.4.1: the verification event; its subject is the stream itself. */
export function verificationClaims(
  stream: Pick<SsfStream, 'streamId' | 'aud'>,
  iss: string,
  now: number,
  state: string | null,
): Record<string, unknown> {
  const jti = randomUUID();
  return {
    iss,
    aud: stream.aud,
    iat: seconds(now),
    jti,
    txn: jti,
    sub_id: { format: 'opaque', id: stream.streamId },
    events: { [SSF_VERIFICATION_EVENT]: state === null ? {} : { state } },
  };
}
