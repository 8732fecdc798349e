import type { LockoutPolicy } from './core/lockout.js';

/**
 * The application's configuration: one typed object, validated and frozen before the app is
 * built. Command-line flags and PORTCULLIS_* variables are turned into it by src/cli/.
 */
export interface TokenLifetimes {
  /** Access tokens live a random time in [min, max] seconds, as Entra (60–90 min). */
  accessTokenMinSeconds: number;
  accessTokenMaxSeconds: number;
  idTokenSeconds: number;
  /** Refresh tokens: 90 days; SPA redirect URIs get a fixed 24 h (Entra). */
  refreshTokenSeconds: number;
  spaRefreshTokenSeconds: number;
  /** Browser SSO session lifetime. */
  sessionSeconds: number;
  authorizationCodeSeconds: number;
  deviceCodeSeconds: number;
  deviceCodeIntervalSeconds: number;
  /**
   * A rotated refresh token presented again within this window is refused without revoking
   * its family (lost-response tolerance, RFC 9700 §4.14.2). 0 = off (default).
   */
  refreshReuseGraceSeconds: number;
  /**
   * Long-lived access tokens for CAE-capable clients (those that declared `cp1`): their tokens
   * live a random time in [min, max] seconds, because Portcullis's Graph API refuses them at once
   * after a revoke anyway (I6; Entra uses 20–28 h, https://learn.microsoft.com/entra/identity/conditional-access/concept-continuous-access-evaluation). 0 and 0 = off (default): every
   * client gets accessTokenMinSeconds–accessTokenMaxSeconds.
   */
  caeAccessTokenMinSeconds: number;
  caeAccessTokenMaxSeconds: number;
}

export interface AppConfig {
  /** Origin clients use to reach this server, without a trailing slash (e.g. https://localhost:5050). */
  publicUrl: string;
  /** Trust X-Forwarded-* from a proxy in front (only with --public-url behind a proxy). */
  trustProxy: boolean;
  /** pino level; 'silent' turns request logs off. */
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Whether the server is reached over TLS (cookies get Secure, HSTS is sent). */
  secure: boolean;
  tokens: TokenLifetimes;
  /**
   * How often each instance re-reads the signing keys whatever it was told: the only channel on
   * SQLite (a `keys rotate` run by the CLI), and the safety net behind LISTEN/NOTIFY or Redis,
   * so a lost notification only delays a rotation's pick-up by at most this long.
   */
  keyReloadSeconds: number;
  /**
   * How long a rotated-in key is published before it signs (`keys rotate`), and what the JWKS
   * Cache-Control max-age is derived from (core/key-rotation.ts, jwksMaxAgeSeconds).
   */
  keyLeadSeconds: number;
  /** Largest request body accepted, in bytes. */
  bodyLimitBytes: number;
  /**
   * Graph throttling: a token bucket per caller (app + signed-in user, or app alone), refilled at
   * `requestsPerSecond` and holding at most `burst` requests. null (default) = no throttling.
   */
  graphThrottle: GraphThrottleConfig | null;
  /** The durable outbox's dispatcher (src/outbox/outbox-dispatcher.ts, docs/push-revocation.md). */
  outbox: OutboxConfig;
  /** The Shared Signals transmitter (src/ssf/, docs/push-revocation.md). */
  ssf: SsfConfig;
  /** Smart lockout and guessing limits (core/lockout.ts; docs/configuration.md#abuse-resistance). */
  abuse: AbuseLimits;
  /** The sign-in log and retention (core/sign-in-recorder.ts, core/retention.ts; docs/sign-in-logs.md). */
  signIns: SignInLogConfig;
}

export interface SignInLogConfig {
  /**
   * Days sign-in entries are kept, and the least time ended credentials (codes, refresh tokens,
   * sessions, grants, withdrawn keys) are kept past their end before the cleanup job deletes them.
   */
  retentionDays: number;
  /** Record the client's IP address (personal data); off = ipAddress is null in every entry. */
  recordIpAddress: boolean;
  /** Longest a recorded sign-in waits in memory before its batch is written. */
  flushIntervalMs: number;
  /** How often each instance runs the cleanup job (0 = never; e.g. when another instance does). */
  cleanupIntervalSeconds: number;
}

/** 30 days: what Entra keeps sign-in logs with P1/P2 (https://learn.microsoft.com/entra/identity/monitoring-health/reference-reports-data-retention). */
export const DEFAULT_SIGN_IN_LOG: SignInLogConfig = Object.freeze({
  retentionDays: 30,
  recordIpAddress: true,
  flushIntervalMs: 200,
  cleanupIntervalSeconds: 600,
});

export interface SsfConfig {
  /** Longest a poll request with returnImmediately:false is held open waiting for SETs (RFC 8936 §2.4). */
  pollWaitSeconds: number;
  /** Time allowed for one push (RFC 8935) request before it counts as failed and is retried. */
  pushTimeoutMs: number;
  /** Attempts per SET before a push delivery is given up (and audited as failed). */
  pushMaxAttempts: number;
  /** First retry delay; each further one doubles, up to 5 minutes (equal jitter, src/outbox/backoff.ts). */
  pushRetryBaseMs: number;
  /** How often each instance looks for due push deliveries that no local event announced. */
  pushScanIntervalMs: number;
  /** SSF 1.0 §8.1.4.2 min_verification_interval: verification requests closer than this get 429. */
  minVerificationIntervalSeconds: number;
  maxStreamsPerReceiver: number;
  /**
   * Accept http:// push endpoints. Off by default: SETs and the receiver's authorization header
   * must travel over TLS; turn it on only for endpoints on a trusted network or loopback.
   */
  allowHttpPushEndpoints: boolean;
}

export interface OutboxConfig {
  /** Run a dispatcher in this instance (every instance may; they share work through leases). */
  enabled: boolean;
  /** How often the dispatcher looks for work besides the in-process wake-up after a commit. */
  pollIntervalMs: number;
  /** Attempts per delivery before it is marked failed. */
  maxAttempts: number;
  /** A delivery older than this is marked failed at its next failed attempt. */
  maxAgeSeconds: number;
  /** Backoff after the first failed attempt; doubles per attempt, capped, with jitter. */
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** How long one attempt may take (connect + response). */
  deliveryTimeoutMs: number;
  /** How long a claim lasts; work of an instance that died is taken over after this. */
  leaseSeconds: number;
  /** Delivered and failed deliveries (and their events) are deleted this long after settling. */
  retentionSeconds: number;
}

export const DEFAULT_OUTBOX: OutboxConfig = Object.freeze({
  enabled: true,
  pollIntervalMs: 250,
  maxAttempts: 10,
  maxAgeSeconds: 24 * 3600,
  initialBackoffMs: 1000,
  maxBackoffMs: 5 * 60_000,
  deliveryTimeoutMs: 5000,
  leaseSeconds: 30,
  retentionSeconds: 7 * 24 * 3600,
});

/** Each limit is a lockout policy, or null to turn that limit off. */
export interface AbuseLimits {
  /** Wrong passwords per user, on every password entry (Entra smart lockout: 10, then 60 s, growing). */
  userSignIn: LockoutPolicy | null;
  /** Wrong passwords per source address (IPv6: per /64), whichever user they were for. */
  sourceSignIn: LockoutPolicy | null;
  /** Wrong client secrets per client id at /token. */
  clientSecret: LockoutPolicy | null;
  /** Wrong client secrets per source address at /token. */
  sourceClientSecret: LockoutPolicy | null;
  /** Wrong user codes on /devicelogin (per source and per browser) and unknown device codes polled at /token (per source). */
  deviceCode: LockoutPolicy | null;
}

const policy = (threshold: number, resetAfterSeconds: number): LockoutPolicy =>
  Object.freeze({ threshold, lockoutSeconds: 60, maxLockoutSeconds: 3600, resetAfterSeconds });

export const DEFAULT_ABUSE_LIMITS: AbuseLimits = Object.freeze({
  userSignIn: policy(10, 24 * 3600),
  sourceSignIn: policy(100, 3600),
  clientSecret: policy(20, 3600),
  sourceClientSecret: policy(20, 3600),
  deviceCode: policy(10, 3600),
});

export interface GraphThrottleConfig {
  requestsPerSecond: number;
  burst: number;
}

export const DEFAULT_TOKEN_LIFETIMES: TokenLifetimes = Object.freeze({
  accessTokenMinSeconds: 3600,
  accessTokenMaxSeconds: 5400,
  idTokenSeconds: 3600,
  refreshTokenSeconds: 90 * 24 * 3600,
  spaRefreshTokenSeconds: 24 * 3600,
  sessionSeconds: 24 * 3600,
  authorizationCodeSeconds: 600,
  deviceCodeSeconds: 900,
  deviceCodeIntervalSeconds: 5,
  refreshReuseGraceSeconds: 0,
  caeAccessTokenMinSeconds: 0,
  caeAccessTokenMaxSeconds: 0,
});

/** Entra's long-lived CAE token lifetime, 20–28 h (https://learn.microsoft.com/entra/identity/conditional-access/concept-continuous-access-evaluation), for `--cae-long-lived-tokens`. */
export const ENTRA_CAE_ACCESS_TOKEN_SECONDS = Object.freeze({ min: 20 * 3600, max: 28 * 3600 });

/**
 * Lifetime of a back-channel logout token (OpenID Connect Back-Channel Logout 1.0 §2.4): short,
 * the token is sent at once and a retry builds a new one with the same jti. Here beside the other
 * signed lifetimes because the signing-key schedule keeps a key published for the longest of them
 * (src/core/key-rotation.ts).
 */
export const LOGOUT_TOKEN_SECONDS = 120;
export const DEFAULT_SSF_CONFIG: SsfConfig = Object.freeze({
  pollWaitSeconds: 15,
  pushTimeoutMs: 5_000,
  pushMaxAttempts: 10,
  pushRetryBaseMs: 1_000,
  pushScanIntervalMs: 1_000,
  minVerificationIntervalSeconds: 10,
  maxStreamsPerReceiver: 10,
  allowHttpPushEndpoints: false,
});

/** Default of AppConfig.keyReloadSeconds; also enters the key retention rule (core/key-rotation.ts). */
export const DEFAULT_KEY_RELOAD_SECONDS = 30;

/**
 * Default of AppConfig.keyLeadSeconds: 25 h. The JWKS is served with max-age 24 h (as Entra's), and
 * a verifier that honours it must hold the next key before it signs: 24 h + the 30 s reload
 * interval + 5 min clock skew = 86,730 s at least (core/key-rotation.ts, fullCacheLeadSeconds),
 * rounded up to the hour for verifiers whose refresh timers run late.
 */
export const DEFAULT_KEY_LEAD_SECONDS = 25 * 3600;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Fills defaults, validates and freezes. Throws ConfigError with one clear sentence. */
/** What callers may override; nested groups with defaults (outbox, ssf, abuse) may be given in part. */
export type AppConfigOverrides = Partial<Omit<AppConfig, 'outbox' | 'ssf' | 'abuse' | 'signIns'>> & {
  signIns?: Partial<SignInLogConfig>;
  outbox?: Partial<OutboxConfig>;
  ssf?: Partial<SsfConfig>;
  abuse?: Partial<AbuseLimits>;
};

export function makeAppConfig(input: AppConfigOverrides & { publicUrl: string }): Readonly<AppConfig> {
  let url: URL;
  try {
    url = new URL(input.publicUrl);
  } catch {
    throw new ConfigError(`public URL '${input.publicUrl}' is not a valid absolute URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError(`public URL '${input.publicUrl}' must use http or https`);
  }
  const tokens = { ...DEFAULT_TOKEN_LIFETIMES, ...(input.tokens ?? {}) };
  for (const [k, v] of Object.entries(tokens)) {
    if (!Number.isFinite(v) || v < 0) throw new ConfigError(`token lifetime ${k} must be a non-negative number`);
  }
  if (tokens.accessTokenMinSeconds > tokens.accessTokenMaxSeconds) {
    throw new ConfigError('accessTokenMinSeconds must not exceed accessTokenMaxSeconds');
  }
  if (
    tokens.caeAccessTokenMinSeconds > tokens.caeAccessTokenMaxSeconds ||
    (tokens.caeAccessTokenMaxSeconds > 0 && tokens.caeAccessTokenMinSeconds === 0)
  ) {
    throw new ConfigError('caeAccessTokenMinSeconds must be positive and not exceed caeAccessTokenMaxSeconds (both 0 = off)');
  }
  const throttle = input.graphThrottle ?? null;
  if (throttle !== null) {
    if (!(Number.isFinite(throttle.requestsPerSecond) && throttle.requestsPerSecond > 0)) {
      throw new ConfigError('graphThrottle.requestsPerSecond must be a positive number');
    }
    if (!(Number.isInteger(throttle.burst) && throttle.burst >= 1))
      throw new ConfigError('graphThrottle.burst must be an integer of at least 1');
  }
  const outbox = { ...DEFAULT_OUTBOX, ...(input.outbox ?? {}) };
  for (const [k, v] of Object.entries(outbox)) {
    if (typeof v === 'number' && !(Number.isFinite(v) && v > 0)) throw new ConfigError(`outbox.${k} must be a positive number`);
  }
  if (outbox.leaseSeconds * 1000 <= outbox.deliveryTimeoutMs) {
    throw new ConfigError('outbox.leaseSeconds must be longer than outbox.deliveryTimeoutMs');
  }
  const abuse = { ...DEFAULT_ABUSE_LIMITS, ...(input.abuse ?? {}) };
  for (const [name, p] of Object.entries(abuse)) {
    if (p === null) continue;
    if (!(Number.isInteger(p.threshold) && p.threshold >= 1))
      throw new ConfigError(`abuse.${name}.threshold must be an integer of at least 1`);
    for (const k of ['lockoutSeconds', 'maxLockoutSeconds', 'resetAfterSeconds'] as const) {
      if (!(Number.isFinite(p[k]) && p[k] > 0)) throw new ConfigError(`abuse.${name}.${k} must be a positive number`);
    }
    if (p.maxLockoutSeconds < p.lockoutSeconds)
      throw new ConfigError(`abuse.${name}.maxLockoutSeconds must not be less than lockoutSeconds`);
  }
  const keyReloadSeconds = input.keyReloadSeconds ?? DEFAULT_KEY_RELOAD_SECONDS;
  if (!Number.isFinite(keyReloadSeconds) || keyReloadSeconds <= 0) throw new ConfigError('keyReloadSeconds must be a positive number');
  const keyLeadSeconds = input.keyLeadSeconds ?? DEFAULT_KEY_LEAD_SECONDS;
  if (!Number.isFinite(keyLeadSeconds) || keyLeadSeconds < 0) throw new ConfigError('keyLeadSeconds must be a non-negative number');
  const ssf = { ...DEFAULT_SSF_CONFIG, ...(input.ssf ?? {}) };
  for (const [k, v] of Object.entries(ssf)) {
    if (typeof v === 'number' && !(Number.isFinite(v) && v >= 0)) throw new ConfigError(`ssf.${k} must be a non-negative number`);
  }
  if (ssf.pushMaxAttempts < 1 || ssf.maxStreamsPerReceiver < 1 || ssf.pushScanIntervalMs < 10) {
    throw new ConfigError('ssf.pushMaxAttempts and ssf.maxStreamsPerReceiver must be at least 1, ssf.pushScanIntervalMs at least 10');
  }
  const signIns = { ...DEFAULT_SIGN_IN_LOG, ...(input.signIns ?? {}) };
  if (!(Number.isFinite(signIns.retentionDays) && signIns.retentionDays >= 1)) {
    throw new ConfigError('signIns.retentionDays must be a number of at least 1');
  }
  if (!(Number.isFinite(signIns.flushIntervalMs) && signIns.flushIntervalMs >= 1 && signIns.flushIntervalMs <= 1000)) {
    throw new ConfigError('signIns.flushIntervalMs must be between 1 and 1000 (signInActivity is visible within a second)');
  }
  if (!(Number.isFinite(signIns.cleanupIntervalSeconds) && signIns.cleanupIntervalSeconds >= 0)) {
    throw new ConfigError('signIns.cleanupIntervalSeconds must be a non-negative number');
  }
  const config: AppConfig = {
    publicUrl: url.origin + url.pathname.replace(/\/+$/, ''),
    trustProxy: input.trustProxy ?? false,
    logLevel: input.logLevel ?? 'info',
    secure: input.secure ?? url.protocol === 'https:',
    tokens: Object.freeze(tokens),
    keyReloadSeconds,
    keyLeadSeconds,
    bodyLimitBytes: input.bodyLimitBytes ?? 1024 * 1024,
    graphThrottle: throttle ? Object.freeze({ ...throttle }) : null,
    outbox: Object.freeze(outbox),
    ssf: Object.freeze(ssf),
    signIns: Object.freeze(signIns),
    abuse: Object.freeze(
      Object.fromEntries(Object.entries(abuse).map(([k, p]) => [k, p && Object.freeze({ ...p })])) as unknown as AbuseLimits,
    ),
  };
  return Object.freeze(config);
}
