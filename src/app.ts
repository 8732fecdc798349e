import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import formbody from '@fastify/formbody';
import { systemClock, type Clock } from './clock.js';
import { newTimeOrderedGuid } from './crypto/random.js';
import type { AppConfig } from './config.js';
import { NO_SCHEMA_COMPILERS } from './http/no-schema-compilers.js';
import { AttemptLimiter } from './core/attempt-limiter.js';
import { KeyRing } from './core/key-ring.js';
import { keyRetentionMs } from './core/key-rotation.js';
import type { Tenant } from './core/model.js';
import { TokenIssuer } from './core/token-issuer.js';
import { startRetentionJob } from './core/retention.js';
import { SignInRecorder } from './core/sign-in-recorder.js';
import { TOPIC, type InvalidationFeed } from './cluster/invalidation.js';
import { startKeyRefresher } from './cluster/key-refresher.js';
import { BackchannelLogoutSink } from './outbox/backchannel-logout-sink.js';
import { OutboxDispatcher } from './outbox/outbox-dispatcher.js';
import { graphFrameworkErrors } from './graph/framework-errors.js';
import { classifyError } from './http/error-class.js';
import { setRequestIdHeaders } from './http/request-id.js';
import { registerGraphRoutes } from './graph/routes.js';
import { registerDeviceLoginPages, registerIdentityRoutes } from './identity/routes.js';
import { Readiness } from './ops/health.js';
import { AppMetrics } from './ops/metrics.js';
import { registerHealthRoutes } from './ops/routes.js';
import { ensureConsoleApplication } from './console/registration.js';
import { registerConsole } from './console/routes.js';
import { ssfOutboxSink } from './ssf/outbox-sink.js';
import { registerSsfRoutes } from './ssf/routes.js';
import { SsfTransmitter } from './ssf/transmitter.js';
import type { Services } from './services.js';
import type { Store } from './store/store.js';

export interface CreateAppOptions {
  config: Readonly<AppConfig>;
  store: Store;
  clock?: Clock;
  https?: { cert: string | Buffer; key: string | Buffer };
  /**
   * Where this instance hears of changes made by others (src/cluster/): PostgreSQL LISTEN/NOTIFY
   * or Redis. Without one, the signing keys are still re-read every config.keyReloadSeconds.
   * The app owns it from here on and closes it.
   */
  invalidation?: InvalidationFeed | null;
}

export interface PortcullisApp {
  http: FastifyInstance;
  tenant: Tenant;
  services: Services;
  /** What the management listener serves (src/ops/management-server.ts). */
  ops: { metrics: AppMetrics; readiness: Readiness };
  close(): Promise<void>;
}

/** The composition root: config -> store -> services -> HTTP routes. Tests, CLI and server all use it. */
export async function createApp(opts: CreateAppOptions): Promise<PortcullisApp> {
  const clock = opts.clock ?? systemClock;
  // On a first start this generates the signing key on the thread pool (hundreds of ms): it
  // starts at the first await below and runs while the HTTP server is built; the routes wait for it.
  const keysReady = KeyRing.open(opts.store, clock.now(), () => clock.now(), keyRetentionMs(opts.config));
  keysReady.catch(() => undefined); // awaited below; this only keeps an early failure from being "unhandled"
  const tenant = await opts.store.tenants.get();
  if (!tenant) throw new Error('the store has no tenant: seed it first');
  let graphErrors: ReturnType<typeof graphFrameworkErrors> | null = null;
  const http = Fastify({
    ...(opts.https ? { https: opts.https } : {}),
    // A userPrincipalName may be 113 characters and more when percent-encoded.
    routerOptions: { maxParamLength: 1024 },
    schemaController: NO_SCHEMA_COMPILERS,
    // The router rejects bad percent-encoding before any plugin runs; keep each surface's envelope.
    frameworkErrors: (error, req, reply) => {
      if (graphErrors?.(error, req, reply)) return;
      void (reply as FastifyReply)
        .code(400)
        .type('application/json')
        .send(JSON.stringify({ error: 'invalid_request', error_description: 'The request URL is malformed.' }));
    },
    // One hop: the client address is the one our proxy appended to X-Forwarded-For, not the
    // left-most entry, which the client writes itself (it would let a guesser pick its own
    // address and evade the per-source limits, docs/threat-model.md).
    trustProxy: opts.config.trustProxy ? (_address: string, hop: number) => hop === 0 : false,
    bodyLimit: opts.config.bodyLimitBytes,
    // Every response carries a request id (Graph: request-id); the client's id is echoed separately.
    // Time-ordered (crypto/random.ts): a revoke's request id is its receipt's correlation id, an indexed key.
    genReqId: () => newTimeOrderedGuid(),
    logger:
      opts.config.logLevel === 'silent'
        ? false
        : {
            level: opts.config.logLevel,
            // JSON logs on stderr; stdout carries the human lines of `serve` (banner, one-time
            // password), so each stream has one format (docs/operations.md#log-streams).
            stream: process.stderr,
            // Never log query strings or bodies: they carry codes, tokens and passwords (I5).
            serializers: {
              req: (req: { method: string; routeOptions?: { url?: string }; id: string }) => ({
                method: req.method,
                route: req.routeOptions?.url,
                id: req.id,
              }),
            },
          },
  });
  await http.register(formbody);
  const metrics = new AppMetrics(opts.store, () => clock.now());
  // Every answered request, labelled with its route pattern (never the URL: ids and UPNs).
  http.addHook('onResponse', (req, reply, done) => {
    metrics.request(req.method, req.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  // Every response carries request-id and client-request-id (src/http/request-id.ts).
  // The callback form: no promise per request (BENCHMARKS.md, B1 optimisation log).
  http.addHook('onRequest', (req, reply, done) => {
    setRequestIdHeaders(req, reply);
    // RFC 6797: browsers keep to HTTPS once they reached us over it.
    if (opts.config.secure) reply.header('strict-transport-security', 'max-age=31536000');
    done();
  });
  const keys = await keysReady;
  const tokens = new TokenIssuer(keys, clock, opts.config, tenant);
  const ssf = new SsfTransmitter({
    store: opts.store,
    clock,
    keys,
    config: opts.config,
    tenantId: tenant.id,
    issuer: tokens.issuer,
    log: { info: (m) => http.log.info(m), warn: (m) => http.log.warn(m) },
  });
  const base = {
    config: opts.config,
    store: opts.store,
    clock,
    keys,
    tenant,
    tokens,
    ssf,
    limiter: new AttemptLimiter(opts.store.lockouts, clock, tenant.id),
    metrics,
    signIns: new SignInRecorder(opts.store, opts.config.signIns.flushIntervalMs, { warn: (m) => http.log.warn(m) }),
  };
  const outbox = new OutboxDispatcher(base, { warn: (m) => http.log.warn(m) });
  const services: Services = { ...base, outbox };
  graphErrors = graphFrameworkErrors(services);
  // The last resort for errors no surface handled: never the error's message or stack.
  http.setErrorHandler((error, req, reply) => {
    const kind = classifyError(error);
    if (kind.kind === 'request')
      return reply.code(kind.status).send({ error: 'invalid_request', error_description: 'The request is not valid.' });
    if (kind.kind === 'unavailable') {
      return reply
        .code(kind.status)
        .header('retry-after', String(kind.retryAfterSeconds))
        .send({ error: 'temporarily_unavailable', error_description: 'The service is temporarily unavailable.' });
    }
    req.log.error({ err: error, requestId: req.id }, 'request failed');
    return reply.code(500).send({ error: 'server_error', error_description: 'An internal error occurred.' });
  });
  registerIdentityRoutes(http, services);
  registerGraphRoutes(http, services);
  registerDeviceLoginPages(http, services);
  registerSsfRoutes(http, services);
  // The console is a client of this tenant (docs/console.md): its registration is written first.
  await ensureConsoleApplication(services);
  const closeConsole = registerConsole(http, services, opts.https?.cert);
  const readiness = new Readiness(opts.store, keys);
  registerHealthRoutes(http, readiness);
  ssf.start();

  const refresher = startKeyRefresher(
    keys,
    opts.invalidation ?? null,
    opts.config.keyReloadSeconds * 1000,
    { info: (m) => http.log.info(m), warn: (m) => http.log.warn(m) },
    // An event committed by another instance (PostgreSQL NOTIFY): dispatch now, not at the next poll.
    (topic) => {
      if (topic === TOPIC.outbox) outbox.wake();
    },
  );

  outbox.register(new BackchannelLogoutSink());
  outbox.register(ssfOutboxSink);
  // Sinks are registered above this line (each push channel adds one), then the dispatcher runs.
  if (opts.config.outbox.enabled) outbox.start();
  const retention =
    opts.config.signIns.cleanupIntervalSeconds > 0
      ? startRetentionJob(opts.store.retention, opts.config, () => clock.now(), {
          info: (m) => http.log.info(m),
          warn: (m) => http.log.warn(m),
        })
      : null;

  return {
    http,
    tenant,
    services,
    ops: { metrics, readiness },
    close: async () => {
      await outbox.close();
      await retention?.close();
      await refresher.close();
      await ssf.close();
      await http.close();
      await closeConsole();
      // After the last request: the sign-ins of requests answered during shutdown are written too.
      await base.signIns.close();
    },
  };
}
