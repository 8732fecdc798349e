import { createHash } from 'node:crypto';
import type { SecurityEvent } from '../core/security-event.js';
import type { OutboxSink } from '../outbox/outbox-sink.js';
import { eventUri, type UserSignal } from './set-builder.js';

/**
 * The Shared Signals sink of the durable outbox (src/outbox/outbox-sink.ts). The outbox carries a
 * security event from the transaction that committed it to every stream that was active then
 * (plan: one delivery per stream that asked for one of its event types); deliver() signs the SETs
 * for that stream and puts them in the stream's queue (store.ssf), from where the push worker
 * POSTs them (RFC 8935) or the receiver polls them (RFC 8936). The hand-over is idempotent: the
 * SET jti is derived from the event and the stream, and a queue keeps a jti once, so an attempt
 * repeated after a crash queues nothing twice.
 * Why the queue and not the outbox's own retries for the POST: a stream's SETs must be held while
 * it is paused and sent when it is enabled again (SSF 1.0 §8.1.2), verification SETs have no
 * security event behind them, and poll acknowledgements are per SET — the stream queue serves all
 * three, and push retries there use the same backoff (src/outbox/backoff.ts).
 */
export const SSF_SINK = 'ssf';

const REASON: Record<SecurityEvent['type'], string> = {
  'sessions-revoked': 'An administrator or the user revoked all sessions.',
  'signed-out': 'The user signed out.',
  'account-disabled': 'The account was disabled.',
  'user-deleted': 'The user was deleted.',
  'password-reset': 'The password was reset.',
  'token-revoked': 'The application revoked its tokens of this session.',
  'sessions-cut': 'An administrator or the user revoked selected sessions.',
  'app-access-cut': "An administrator or the user revoked an application's access.",
};

/** RFC 8417 §2.2 txn: one id for every SET of one security event, stable across re-plans. */
function txnOf(event: SecurityEvent): string {
  return createHash('sha256').update(`${event.tenantId}|${event.id}|${event.occurredAt}`).digest('base64url').slice(0, 22);
}

/**
 * The CAEP signals of a security event. Every type ends sessions (session-revoked); a password
 * reset also changes a credential (credential-change), so it yields both, with one txn. A
 * sign-out ends one SSO session: its SET names it (the `session` member of sub_id).
 */
export function signalsOf(event: SecurityEvent): UserSignal[] {
  const base = {
    txn: txnOf(event),
    tenantId: event.tenantId,
    userId: event.userId,
    occurredAt: event.occurredAt,
    initiatingEntity: event.initiatingEntity,
    reasonAdmin: REASON[event.type],
  };
  if (event.type === 'token-revoked') {
    // One application's grant, not the user's sessions: only a grant tied to a browser session
    // can be named (CAEP session-revoked with sub_id.session); one without a session has nothing
    // a receiver could act on short of ending all the user's sessions, which did not happen.
    const sids = event.sessions.map((s) => s.sid).filter((sid): sid is string => sid !== null);
    return sids.map((sid) => ({ ...base, type: 'session-revoked', sessionId: sid }));
  }
  // An application's grants cut: the browser sessions live on, so no session-revoked is true of
  // them; the application itself hears by back-channel logout (docs/push-revocation.md).
  if (event.type === 'app-access-cut') return [];
  // Sessions cut: one session-revoked per ended session, named in sub_id, never a user-wide one.
  if (event.type === 'sessions-cut') {
    return event.sessions
      .map((s) => s.sid)
      .filter((sid): sid is string => sid !== null)
      .map((sid) => ({ ...base, type: 'session-revoked' as const, sessionId: sid }));
  }
  if (event.type === 'signed-out') {
    const sids = event.sessions.map((s) => s.sid).filter((sid): sid is string => sid !== null);
    if (sids.length === 0) return [{ ...base, type: 'session-revoked', sessionId: null }];
    return sids.map((sid) => ({ ...base, type: 'session-revoked', sessionId: sid }));
  }
  const revoked: UserSignal = { ...base, type: 'session-revoked', sessionId: null };
  return event.type === 'password-reset' ? [{ ...base, type: 'credential-change', sessionId: null }, revoked] : [revoked];
}

export const ssfOutboxSink: OutboxSink = {
  name: SSF_SINK,

  async plan(event, { services, snapshot }) {
    const streams = await snapshot(`ssf-streams ${event.tenantId}`, () => services.store.ssf.listActiveStreams(event.tenantId));
    // No stream, nothing to plan: the signals (and the hash of their txn) are not worked out for
    // every event of a tenant without receivers (BENCHMARKS.md, B3: one event per revoked user).
    if (streams.length === 0) return [];
    const uris = new Set(signalsOf(event).map((s) => eventUri(s.type)));
    return streams.filter((s) => s.eventsRequested.some((e) => uris.has(e))).map((s) => ({ destination: s.streamId, payload: {} }));
  },

  async deliver(delivery, event, { services }) {
    const stream = await services.store.ssf.findStream(event.tenantId, delivery.destination);
    // Deleted or disabled since the plan: SSF 1.0 §8.1.2 drops events of a disabled stream.
    if (!stream || stream.status === 'disabled') return { kind: 'delivered' };
    await services.ssf.queueSignals(stream, signalsOf(event));
    return { kind: 'delivered' };
  },
};
