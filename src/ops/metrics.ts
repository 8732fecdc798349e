/**
 * The Prometheus metrics of one app (docs/operations.md lists them). Each app has its own
 * registry, so several apps in one process (tests, a cluster's workers) never mix their counts;
 * the Node.js process metrics (event-loop lag, heap, GC, CPU) are process-wide and kept once
 * (process-metrics.ts). Labels are bounded sets only: route patterns, never URLs, and no user,
 * client or token values (https://prometheus.io/docs/practices/naming/#labels).
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RevocationKind, RevocationObserver } from '../core/revocation.js';
import type { OutboxBacklog, Store } from '../store/store.js';
import { processMetrics } from './process-metrics.js';

/** What the surfaces report to; counting never fails a request. */
export interface MetricsSink extends RevocationObserver {
  /** A refresh_token grant answered: 'success', or the AADSTS code of its error (e.g. 'AADSTS50173'). */
  refreshOutcome(outcome: string): void;
}

/** Latency buckets (seconds): from a cached JWKS read to an argon2 password check under load. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The route label of a request fastify matched to no route: one value, whatever the URL. */
export const UNMATCHED_ROUTE = 'unmatched';

export class AppMetrics implements MetricsSink {
  readonly registry = new Registry();
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly latency: Histogram<'method' | 'route'>;
  private readonly refreshes: Counter<'outcome'>;
  private readonly revocations: Counter<'kind'>;

  /** `now` is the app's clock (ms), against which the store's timestamps are read. */
  constructor(store: Store, now: () => number = Date.now) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'portcullis_http_requests_total',
      help: 'HTTP requests answered, by method, route pattern and status code.',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.latency = new Histogram({
      name: 'portcullis_http_request_duration_seconds',
      help: 'Time from receiving a request to sending its response, by method and route pattern.',
      labelNames: ['method', 'route'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.refreshes = new Counter({
      name: 'portcullis_token_refresh_total',
      help: "refresh_token grants answered at /token: outcome is 'success' or the AADSTS error code.",
      labelNames: ['outcome'],
      registers,
    });
    this.revocations = new Counter({
      name: 'portcullis_revocations_total',
      help: 'Revocations committed, by kind (revokeSignInSessions, invalidateAllRefreshTokens, passwordReset, accountDisabled, tokenRevocation).',
      labelNames: ['kind'],
      registers,
    });
    // Only PostgreSQL has a pool; on SQLite these series are absent rather than zero. Registered
    // before the outbox gauges, so they are read before this scrape's own queries take connections.
    if (store.ops.pool() !== null) {
      new Gauge({
        name: 'portcullis_db_pool_connections',
        help: "PostgreSQL pool connections: state 'total' (open) or 'idle'.",
        labelNames: ['state'],
        registers,
        collect() {
          const p = store.ops.pool();
          if (!p) return;
          this.set({ state: 'total' }, p.total);
          this.set({ state: 'idle' }, p.idle);
        },
      });
      new Gauge({
        name: 'portcullis_db_pool_waiting_requests',
        help: 'Queries waiting for a PostgreSQL pool connection.',
        registers,
        collect() {
          this.set(store.ops.pool()?.waiting ?? 0);
        },
      });
    }
    // The outbox figures are read from the store at scrape time, in one call: the backlog gauge's
    // collect also sets the age gauge, which is registered after it and so read after it.
    const oldestAge = new Gauge({
      name: 'portcullis_outbox_oldest_pending_age_seconds',
      help: 'Age of the oldest undelivered outbox event or delivery (0 when there is none): the push delivery lag.',
      registers: [],
    });
    new Gauge({
      name: 'portcullis_outbox_backlog',
      help: "Outbox work not yet done: stage 'event' (committed, not fanned out) or 'delivery' (pending delivery).",
      labelNames: ['stage'],
      registers,
      async collect() {
        let b: OutboxBacklog;
        try {
          b = await store.ops.outboxBacklog();
        } catch {
          // The database is down: these series are left out (not stale, not zero), and the
          // rest of the scrape still answers, when it matters most (/readyz says why).
          this.reset();
          oldestAge.reset();
          return;
        }
        this.set({ stage: 'event' }, b.unplannedEvents);
        this.set({ stage: 'delivery' }, b.pendingDeliveries);
        oldestAge.set(b.oldestAt === null ? 0 : Math.max(0, (now() - b.oldestAt) / 1000));
      },
    });
    this.registry.registerMetric(oldestAge);
  }

  /** One answered request; `route` is fastify's route pattern (routeOptions.url) or undefined. */
  request(method: string, route: string | undefined, status: number, seconds: number): void {
    const r = route ?? UNMATCHED_ROUTE;
    this.requests.inc({ method, route: r, status: String(status) });
    this.latency.observe({ method, route: r }, seconds);
  }

  refreshOutcome(outcome: string): void {
    this.refreshes.inc({ outcome });
  }

  revoked(kind: RevocationKind): void {
    this.revocations.inc({ kind });
  }

  /** The Prometheus text exposition (format 0.0.4) of this app's metrics and the process's. */
  async exposition(): Promise<string> {
    const [own, proc] = await Promise.all([this.registry.metrics(), processMetrics().metrics()]);
    return `${own}\n${proc}`;
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
