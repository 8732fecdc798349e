import type { Clock } from './clock.js';
import type { AppConfig } from './config.js';
import type { AttemptLimiter } from './core/attempt-limiter.js';
import type { KeyRing } from './core/key-ring.js';
import type { Tenant } from './core/model.js';
import type { TokenIssuer } from './core/token-issuer.js';
import type { OutboxDispatcher } from './outbox/outbox-dispatcher.js';
import type { MetricsSink } from './ops/metrics.js';
import type { SignInRecorder } from './core/sign-in-recorder.js';
import type { SsfTransmitter } from './ssf/transmitter.js';
import type { Store } from './store/store.js';

/** What every surface (identity, Graph, web) is given by the app factory. No singletons. */
export interface Services {
  config: Readonly<AppConfig>;
  store: Store;
  clock: Clock;
  keys: KeyRing;
  tenant: Tenant;
  tokens: TokenIssuer;
  /** The durable outbox's dispatcher: sinks are registered on it in app.ts. */
  outbox: OutboxDispatcher;
  /** The Shared Signals transmitter (src/ssf/). */
  ssf: SsfTransmitter;
  /** Smart lockout and guessing limits over the durable counters (core/attempt-limiter.ts). */
  limiter: AttemptLimiter;
  /** Operator metrics (src/ops/metrics.ts): refresh outcomes and revocations are reported here. */
  metrics: MetricsSink;
  /** The sign-in log's buffered writer (core/sign-in-recorder.ts). */
  signIns: SignInRecorder;
}

/** What the dispatcher and its sinks are given (everything but the dispatcher itself). */
export type OutboxServices = Omit<Services, 'outbox'>;
