/**
 * The outbox SINK interface: how a push channel (OIDC Back-Channel Logout, SSF push and poll
 * streams, ...) plugs into the durable outbox (docs/push-revocation.md, "The outbox (for
 * Portcullis developers)"). Sinks are registered on the dispatcher when the app is created
 * (src/app.ts); the dispatcher owns storage, leases, retries, backoff, give-up and audit.
 *
 * Life of an event, per sink:
 * 1. plan(event) — called once per event (again only if the process died before the plan was
 *    recorded). Returns the messages to send: one PlannedDelivery per destination. They are
 *    stored under the unique key (event id, sink name, destination), so a re-plan never
 *    duplicates. Read whatever configuration you need here (registered apps, streams) and put
 *    everything deliver() needs into `payload`: the configuration may change or vanish later.
 * 2. deliver(delivery) — called for every due 'pending' delivery, on any instance, possibly
 *    several times (at-least-once: a crash after the receiver answered but before the outcome
 *    was stored means another attempt). `delivery.id` is stable across attempts: use it as the
 *    message id (`jti`) so receivers can drop duplicates.
 *
 * A sink must not throw for an ordinary delivery failure; return an outcome. A thrown error is
 * treated as 'retry' with the error's message (never a token or secret: it is stored and shown
 * in the audit log).
 */
import type { OutboxDelivery, SecurityEvent } from '../core/security-event.js';
import type { OutboxServices } from '../services.js';

export interface PlannedDelivery {
  /**
   * Who receives it, unique within (event, sink): e.g. `${clientId} ${sid}` for back-channel
   * logout, a stream id for SSF. Shown in audit records, so no secrets.
   */
  destination: string;
  /** JSON-serialisable; stored with the delivery and handed back to deliver(). */
  payload: Record<string, unknown>;
}

export type DeliveryOutcome =
  /** The receiver took it (2xx). */
  | { kind: 'delivered' }
  /** Try again later with backoff, until max attempts / max age (then 'failed' + audit). */
  | { kind: 'retry'; reason: string }
  /** Do not try again (e.g. the receiver said 400: the message itself is refused). Audited. */
  | { kind: 'reject'; reason: string };

export interface SinkContext {
  services: OutboxServices;
  /** Aborts when the attempt's time is up (config.outbox.deliveryTimeoutMs). */
  signal: AbortSignal;
}

/** What plan() is given: the SinkContext and a per-pass reading of configuration. */
export interface PlanContext extends SinkContext {
  /** Made when first read (most plans never read it): aborts config.outbox.deliveryTimeoutMs after that. */
  signal: AbortSignal;
  /**
   * Reads configuration (registered applications, streams) once per planning pass, keyed by
   * `key`: the events the dispatcher claimed together are planned against one reading instead
   * of one reading per event (BENCHMARKS.md, B3: a bulk revocation is one event per user). A failed
   * read is not kept.
   */
  snapshot<T>(key: string, read: () => Promise<T>): Promise<T>;
}

export interface OutboxSink {
  /** Stable: it is stored in every delivery row. */
  readonly name: string;
  plan(event: SecurityEvent, ctx: PlanContext): Promise<PlannedDelivery[]>;
  deliver(delivery: OutboxDelivery, event: SecurityEvent, ctx: SinkContext): Promise<DeliveryOutcome>;
}
