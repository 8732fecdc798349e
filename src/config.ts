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
  /** Largest request body accepted, in bytes. */
  bodyLimitBytes: number;
  /**
   * Graph throttling: a token bucket per caller (app + signed-in user, or app alone), refilled at
   * `requestsPerSecond` and holding at most `burst` requests. null (default) = no throttling.
   */
  graphThrottle: GraphThrottleConfig | null;
  /** Smart lockout and guessing limits (core/lockout.ts; docs/configuration.md#abuse-resistance). */
  abuse: AbuseLimits;
}

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
});

/** Default of AppConfig.keyReloadSeconds; also enters the key retention rule (core/key-rotation.ts). */
export const DEFAULT_KEY_RELOAD_SECONDS = 30;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Fills defaults, validates and freezes. Throws ConfigError with one clear sentence. */
export function makeAppConfig(input: Partial<Omit<AppConfig, 'abuse'>> & { publicUrl: string; abuse?: Partial<AbuseLimits> }): Readonly<AppConfig> {
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
  const throttle = input.graphThrottle ?? null;
  if (throttle !== null) {
    if (!(Number.isFinite(throttle.requestsPerSecond) && throttle.requestsPerSecond > 0)) {
      throw new ConfigError('graphThrottle.requestsPerSecond must be a positive number');
    }
    if (!(Number.isInteger(throttle.burst) && throttle.burst >= 1)) throw new ConfigError('graphThrottle.burst must be an integer of at least 1');
  }
  const abuse = { ...DEFAULT_ABUSE_LIMITS, ...(input.abuse ?? {}) };
  for (const [name, p] of Object.entries(abuse)) {
    if (p === null) continue;
    if (!(Number.isInteger(p.threshold) && p.threshold >= 1)) throw new ConfigError(`abuse.${name}.threshold must be an integer of at least 1`);
    for (const k of ['lockoutSeconds', 'maxLockoutSeconds', 'resetAfterSeconds'] as const) {
      if (!(Number.isFinite(p[k]) && p[k] > 0)) throw new ConfigError(`abuse.${name}.${k} must be a positive number`);
    }
    if (p.maxLockoutSeconds < p.lockoutSeconds) throw new ConfigError(`abuse.${name}.maxLockoutSeconds must not be less than lockoutSeconds`);
  }
  const keyReloadSeconds = input.keyReloadSeconds ?? DEFAULT_KEY_RELOAD_SECONDS;
  if (!Number.isFinite(keyReloadSeconds) || keyReloadSeconds <= 0) throw new ConfigError('keyReloadSeconds must be a positive number');
  const config: AppConfig = {
    publicUrl: url.origin + url.pathname.replace(/\/+$/, ''),
    trustProxy: input.trustProxy ?? false,
    logLevel: input.logLevel ?? 'info',
    secure: input.secure ?? url.protocol === 'https:',
    tokens: Object.freeze(tokens),
    keyReloadSeconds,
    bodyLimitBytes: input.bodyLimitBytes ?? 1024 * 1024,
    graphThrottle: throttle ? Object.freeze({ ...throttle }) : null,
    abuse: Object.freeze(Object.fromEntries(Object.entries(abuse).map(([k, p]) => [k, p && Object.freeze({ ...p })])) as unknown as AbuseLimits),
  };
  return Object.freeze(config);
}
