/**
 * `portcullis serve` options: command-line flags, then PORTCULLIS_* environment variables, then
 * defaults (docs/configuration.md: defaults < env < flags). Everything is validated here so that a bad value
 * becomes one `portcullis: ...` line and exit code 2 before anything is opened or bound.
 */
import { parseArgs } from 'node:util';
import {
  DEFAULT_KEY_LEAD_SECONDS,
  DEFAULT_OUTBOX,
  DEFAULT_SIGN_IN_LOG,
  type AbuseLimits,
  type AppConfig,
  type OutboxConfig,
  type SignInLogConfig,
} from '../config.js';
import { PG_DEFAULTS } from '../store/postgres/defaults.js';
import { CliError } from './cli-error.js';
import { parseLockoutOption } from './lockout-option.js';
import { THREAD_POOL_NICE } from './thread-pool-priority.js';

export { CliError };

export type LogLevel = AppConfig['logLevel'];

export interface ServeOptions {
  host: string;
  /** 0 = pick a free port. */
  port: number;
  dataDir: string;
  seedFile: string | null;
  tls: { kind: 'none' } | { kind: 'files'; certFile: string; keyFile: string } | { kind: 'self-signed' };
  /** Set when clients reach Portcullis through a proxy; implies trusting X-Forwarded-*. */
  publicUrl: string | null;
  logLevel: LogLevel;
  /** null = the embedded SQLite file under dataDir (the default). */
  database: DatabaseOptions | null;
  /** Cross-instance invalidation through Redis pub/sub instead of PostgreSQL LISTEN/NOTIFY. */
  redisUrl: string | null;
  /** Long-lived (20–28 h) access tokens for CAE-capable (cp1) clients; off by default. */
  caeLongLivedTokens: boolean;
  /** Outbox dispatcher settings given on the command line or in the environment (the rest default). */
  outbox: Partial<OutboxConfig>;
  /** Accept http:// Shared Signals push endpoints (docs/push-revocation.md); https only otherwise. */
  ssfAllowHttpPush: boolean;
  /** Seconds a rotated-in key is published before it signs; sets the JWKS max-age. null = default. */
  keyLeadSeconds: number | null;
  /** Overrides of the smart-lockout and guessing limits (--lockout). */
  abuse: Partial<AbuseLimits>;
  /** Sign-in log and retention settings given (docs/sign-in-logs.md); the rest default. */
  signIns: Partial<SignInLogConfig>;
  /**
   * The management listener (/metrics, /healthz, /readyz; src/ops/management-server.ts): its port
   * (0 = any free one), or null for none, the default: /metrics is then not served at all.
   */
  metricsPort: number | null;
  /** Its interface; defaults to --host. */
  metricsHost: string;
  /** The nice value of libuv's thread pool (src/cli/thread-pool-priority.ts); 0 = the event loop's own. */
  threadPoolNice: number;
}

/** PostgreSQL for running several instances on one database (docs/deployment.md). */
export interface DatabaseOptions {
  url: string;
  poolMax: number;
}

export const SERVE_DEFAULTS = {
  host: '127.0.0.1',
  port: 5050,
  dataDir: './.portcullis',
  // Request logs at 'info' drown the start-up banner; serve is quiet unless asked.
  logLevel: 'warn' as LogLevel,
} as const;

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** One row per setting: the flag, its environment variable, and the help text. */
export const SERVE_SETTINGS = [
  { flag: 'host', env: 'PORTCULLIS_HOST', arg: 'HOST', help: `interface to listen on (default ${SERVE_DEFAULTS.host})` },
  { flag: 'port', env: 'PORTCULLIS_PORT', arg: 'PORT', help: `TCP port; 0 picks a free one (default ${SERVE_DEFAULTS.port})` },
  {
    flag: 'data-dir',
    env: 'PORTCULLIS_DATA_DIR',
    arg: 'DIR',
    help: `where the database and TLS files live (default ${SERVE_DEFAULTS.dataDir})`,
  },
  { flag: 'seed', env: 'PORTCULLIS_SEED', arg: 'FILE', help: 'apply this seed file (JSON) on start; idempotent' },
  { flag: 'tls-cert', env: 'PORTCULLIS_TLS_CERT', arg: 'FILE', help: 'serve HTTPS with this PEM certificate (needs --tls-key)' },
  { flag: 'tls-key', env: 'PORTCULLIS_TLS_KEY', arg: 'FILE', help: 'PEM private key for --tls-cert' },
  {
    flag: 'tls-self-signed',
    env: 'PORTCULLIS_TLS_SELF_SIGNED',
    arg: null,
    help: 'serve HTTPS with a localhost certificate made once per machine (~/.config/portcullis/tls/)',
  },
  { flag: 'public-url', env: 'PORTCULLIS_PUBLIC_URL', arg: 'URL', help: 'origin clients use when behind a proxy; trusts X-Forwarded-*' },
  {
    flag: 'database-url',
    env: 'PORTCULLIS_DATABASE_URL',
    arg: 'URL',
    help: 'postgres://... : use PostgreSQL instead of the SQLite file (several instances may share it)',
  },
  {
    flag: 'database-pool-max',
    env: 'PORTCULLIS_DATABASE_POOL_MAX',
    arg: 'N',
    help: 'PostgreSQL connections per instance, 1-1000 (default 10)',
  },
  {
    flag: 'redis-url',
    env: 'PORTCULLIS_REDIS_URL',
    arg: 'URL',
    help: 'redis://... : tell other instances of changes (key rotation) through Redis pub/sub instead of PostgreSQL NOTIFY',
  },
  {
    flag: 'ssf-allow-http-push',
    env: 'PORTCULLIS_SSF_ALLOW_HTTP_PUSH',
    arg: null,
    help: 'accept http:// Shared Signals push endpoints (default: https only)',
  },
  { flag: 'log-level', env: 'PORTCULLIS_LOG_LEVEL', arg: 'LEVEL', help: `${LOG_LEVELS.join('|')} (default ${SERVE_DEFAULTS.logLevel})` },
  {
    flag: 'cae-long-lived-tokens',
    env: 'PORTCULLIS_CAE_LONG_LIVED_TOKENS',
    arg: null,
    help: 'give CAE-capable (cp1) clients 20-28 h access tokens, as Entra (default off)',
  },
  {
    flag: 'key-lead-seconds',
    env: 'PORTCULLIS_KEY_LEAD_SECONDS',
    arg: 'S',
    help: `publish a rotated-in key this long before it signs; the JWKS max-age follows (default ${DEFAULT_KEY_LEAD_SECONDS})`,
  },
  {
    flag: 'outbox-poll-ms',
    env: 'PORTCULLIS_OUTBOX_POLL_MS',
    arg: 'MS',
    help: `how often the outbox dispatcher looks for work (default ${DEFAULT_OUTBOX.pollIntervalMs})`,
  },
  {
    flag: 'outbox-max-attempts',
    env: 'PORTCULLIS_OUTBOX_MAX_ATTEMPTS',
    arg: 'N',
    help: `attempts per push delivery before it fails (default ${DEFAULT_OUTBOX.maxAttempts})`,
  },
  {
    flag: 'outbox-max-age-seconds',
    env: 'PORTCULLIS_OUTBOX_MAX_AGE_SECONDS',
    arg: 'S',
    help: `a push delivery older than this fails (default ${DEFAULT_OUTBOX.maxAgeSeconds})`,
  },
  {
    flag: 'outbox-backoff-ms',
    env: 'PORTCULLIS_OUTBOX_BACKOFF_MS',
    arg: 'MS',
    help: `first retry delay, doubled per attempt (default ${DEFAULT_OUTBOX.initialBackoffMs})`,
  },
  {
    flag: 'outbox-lease-seconds',
    env: 'PORTCULLIS_OUTBOX_LEASE_SECONDS',
    arg: 'S',
    help: `how long a claim on outbox work lasts (default ${DEFAULT_OUTBOX.leaseSeconds})`,
  },
  {
    flag: 'metrics-port',
    env: 'PORTCULLIS_METRICS_PORT',
    arg: 'PORT',
    help: 'serve /metrics (Prometheus), /healthz and /readyz on this port too; 0 picks a free one (default: no /metrics)',
  },
  { flag: 'metrics-host', env: 'PORTCULLIS_METRICS_HOST', arg: 'HOST', help: 'interface of the --metrics-port listener (default: --host)' },
  {
    flag: 'retention-days',
    env: 'PORTCULLIS_RETENTION_DAYS',
    arg: 'DAYS',
    help: `keep sign-in log entries, and ended codes, tokens and sessions, this many days (default ${DEFAULT_SIGN_IN_LOG.retentionDays})`,
  },
  {
    flag: 'cleanup-interval-seconds',
    env: 'PORTCULLIS_CLEANUP_INTERVAL_SECONDS',
    arg: 'S',
    help: `run the retention cleanup this often; 0 = never in this instance (default ${DEFAULT_SIGN_IN_LOG.cleanupIntervalSeconds})`,
  },
  {
    flag: 'no-sign-in-ip',
    env: 'PORTCULLIS_NO_SIGN_IN_IP',
    arg: null,
    help: 'do not record client IP addresses in the sign-in log (default: recorded)',
  },
  {
    flag: 'lockout',
    env: 'PORTCULLIS_LOCKOUT',
    arg: 'LIMITS',
    help: 'smart lockout and guessing limits, e.g. userSignIn=10/60,deviceCode=off (docs/configuration.md)',
  },
  {
    flag: 'thread-pool-nice',
    env: 'PORTCULLIS_THREAD_POOL_NICE',
    arg: 'N',
    help: `Linux: run the thread pool (token signatures) at this nice value, below the event loop; 0 = the same (default ${THREAD_POOL_NICE})`,
  },
] as const;

export function serveHelp(): string {
  const rows = SERVE_SETTINGS.map((s) => {
    const left = `  --${s.flag}${s.arg ? ` ${s.arg}` : ''}`;
    return `${left.padEnd(26)}${s.help}\n${''.padEnd(26)}env: ${s.env}`;
  });
  return [
    'Usage: portcullis serve [options]',
    '',
    'Runs the identity provider (OpenID Connect, OAuth 2.0) and the Graph-compatible API.',
    'Flags win over environment variables, which win over defaults.',
    '',
    'Options:',
    ...rows,
    `  ${'-h, --help'.padEnd(24)}show this help`,
    '',
  ].join('\n');
}

type Env = Readonly<Record<string, string | undefined>>;
type Flags = Partial<Record<(typeof SERVE_SETTINGS)[number]['flag'] | 'help', string | boolean>>;

/** node:util's messages run on ("To specify a positional argument..."); the first sentence is the useful one. */
function firstSentence(message: string): string {
  const end = message.search(/\.\s/);
  return end === -1 ? message.replace(/\.$/, '') : message.slice(0, end);
}

function parseFlags(argv: readonly string[]): Flags {
  const options = Object.fromEntries(SERVE_SETTINGS.map((s) => [s.flag, { type: s.arg ? ('string' as const) : ('boolean' as const) }]));
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    });
    return values as Flags;
  } catch (e) {
    const message = e instanceof Error ? firstSentence(e.message) : String(e);
    throw new CliError(`${message} (see 'portcullis serve --help')`, 2);
  }
}

function parsePort(raw: string, source: string): number {
  if (!/^\d{1,5}$/.test(raw.trim()) || Number(raw) > 65535) {
    throw new CliError(`${source}: port must be an integer from 0 to 65535, got '${raw}'`, 2);
  }
  return Number(raw);
}

function parseBoolean(raw: string, source: string): boolean {
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['', '0', 'false', 'no', 'off'].includes(v)) return false;
  throw new CliError(`${source}: expected true or false, got '${raw}'`, 2);
}

function parseLogLevel(raw: string, source: string): LogLevel {
  const level = LOG_LEVELS.find((l) => l === raw.trim().toLowerCase());
  if (!level) throw new CliError(`${source}: log level must be one of ${LOG_LEVELS.join(', ')}, got '${raw}'`, 2);
  return level;
}

/** Only an origin: routes live at the root, so a path prefix would break every published URL. */
function parsePublicUrl(raw: string, source: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(`${source}: '${raw}' is not a valid absolute URL`, 2);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new CliError(`${source}: '${raw}' must use http or https`, 2);
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new CliError(`${source}: '${raw}' must be an origin like https://idp.example.com (no path, query or credentials)`, 2);
  }
  return url.origin;
}

/**
 * Only PostgreSQL URLs: the scheme picks the adapter, and a typo must not silently fall back to
 * SQLite (each instance would then have a private database and revocations would not be shared).
 */
export function parseDatabaseUrl(raw: string, source: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(`${source}: not a valid URL (expected postgres://user@host:5432/database)`, 2);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new CliError(`${source}: only postgres:// and postgresql:// URLs are supported, got '${url.protocol}//...'`, 2);
  }
  if (url.pathname === '/' || url.pathname === '')
    throw new CliError(`${source}: the URL must name a database (postgres://host/database)`, 2);
  return raw;
}

/** redis:// or rediss:// (TLS); the URL may carry a user, a password and a database number. */
export function parseRedisUrl(raw: string, source: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(`${source}: not a valid URL (expected redis://host:6379)`, 2);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new CliError(`${source}: only redis:// and rediss:// URLs are supported, got '${url.protocol}//...'`, 2);
  }
  if (url.hostname === '') throw new CliError(`${source}: the URL must name a host (redis://host:6379)`, 2);
  return raw;
}

function parsePoolMax(raw: string, source: string): number {
  if (!/^\d{1,4}$/.test(raw.trim()) || Number(raw) < 1 || Number(raw) > 1000) {
    throw new CliError(`${source}: pool size must be an integer from 1 to 1000, got '${raw}'`, 2);
  }
  return Number(raw);
}

function nonEmpty(raw: string, source: string): string {
  if (raw.trim() === '') throw new CliError(`${source}: must not be empty`, 2);
  return raw;
}

/** Returns null when --help was asked for. */
export function parseServeOptions(argv: readonly string[], env: Env): ServeOptions | null {
  const flags = parseFlags(argv);
  if (flags.help === true) return null;

  // Looks a setting up in flags, then env, and says where the value came from for error messages.
  const pick = (flag: (typeof SERVE_SETTINGS)[number]['flag']): { raw: string; source: string } | null => {
    const setting = SERVE_SETTINGS.find((s) => s.flag === flag);
    const fromFlag = flags[flag];
    if (typeof fromFlag === 'string') return { raw: fromFlag, source: `--${flag}` };
    if (fromFlag === true) return { raw: 'true', source: `--${flag}` };
    const fromEnv = setting ? env[setting.env] : undefined;
    return fromEnv === undefined ? null : { raw: fromEnv, source: setting?.env ?? flag };
  };

  const host = pick('host');
  const port = pick('port');
  const dataDir = pick('data-dir');
  const seed = pick('seed');
  const publicUrl = pick('public-url');
  const logLevel = pick('log-level');
  const databaseUrl = pick('database-url');
  const poolMax = pick('database-pool-max');
  const redisUrl = pick('redis-url');
  const caeLongLived = pick('cae-long-lived-tokens');
  const outbox: Partial<OutboxConfig> = {};
  const outboxSetting = (flag: (typeof SERVE_SETTINGS)[number]['flag'], key: keyof Omit<OutboxConfig, 'enabled'>) => {
    const v = pick(flag);
    if (v) outbox[key] = parsePositiveInteger(v.raw, v.source);
  };
  outboxSetting('outbox-poll-ms', 'pollIntervalMs');
  outboxSetting('outbox-max-attempts', 'maxAttempts');
  outboxSetting('outbox-max-age-seconds', 'maxAgeSeconds');
  outboxSetting('outbox-backoff-ms', 'initialBackoffMs');
  outboxSetting('outbox-lease-seconds', 'leaseSeconds');
  const ssfAllowHttpPush = pick('ssf-allow-http-push');
  const lockout = pick('lockout');
  const signIns: Partial<SignInLogConfig> = {};
  const retentionDays = pick('retention-days');
  if (retentionDays) signIns.retentionDays = parsePositiveInteger(retentionDays.raw, retentionDays.source);
  const cleanup = pick('cleanup-interval-seconds');
  if (cleanup) signIns.cleanupIntervalSeconds = parseKeyLeadSeconds(cleanup.raw, cleanup.source);
  const noIp = pick('no-sign-in-ip');
  if (noIp && parseBoolean(noIp.raw, noIp.source)) signIns.recordIpAddress = false;
  const keyLead = pick('key-lead-seconds');
  const metricsPort = pick('metrics-port');
  const metricsHost = pick('metrics-host');
  const poolNice = pick('thread-pool-nice');
  if (metricsHost && metricsHost.raw.trim() !== '' && !(metricsPort && metricsPort.raw.trim() !== '')) {
    throw new CliError(`${metricsHost.source} needs --metrics-port (PORTCULLIS_METRICS_PORT)`, 2);
  }
  const hostName = host ? nonEmpty(host.raw, host.source).trim() : SERVE_DEFAULTS.host;
  const url = databaseUrl && databaseUrl.raw.trim() !== '' ? parseDatabaseUrl(databaseUrl.raw.trim(), databaseUrl.source) : null;
  if (!url && poolMax) throw new CliError(`${poolMax.source} needs --database-url (PORTCULLIS_DATABASE_URL)`, 2);
  return {
    host: hostName,
    port: port ? parsePort(port.raw, port.source) : SERVE_DEFAULTS.port,
    dataDir: dataDir ? nonEmpty(dataDir.raw, dataDir.source) : SERVE_DEFAULTS.dataDir,
    seedFile: seed && seed.raw.trim() !== '' ? seed.raw : null,
    tls: resolveTls(flags, env),
    publicUrl: publicUrl && publicUrl.raw.trim() !== '' ? parsePublicUrl(publicUrl.raw.trim(), publicUrl.source) : null,
    logLevel: logLevel ? parseLogLevel(logLevel.raw, logLevel.source) : SERVE_DEFAULTS.logLevel,
    database: url ? { url, poolMax: poolMax ? parsePoolMax(poolMax.raw, poolMax.source) : PG_DEFAULTS.poolMax } : null,
    redisUrl: redisUrl && redisUrl.raw.trim() !== '' ? parseRedisUrl(redisUrl.raw.trim(), redisUrl.source) : null,
    caeLongLivedTokens: caeLongLived ? parseBoolean(caeLongLived.raw, caeLongLived.source) : false,
    outbox,
    ssfAllowHttpPush: ssfAllowHttpPush ? parseBoolean(ssfAllowHttpPush.raw, ssfAllowHttpPush.source) : false,
    abuse: lockout ? parseLockoutOption(lockout.raw, lockout.source) : {},
    signIns,
    keyLeadSeconds: keyLead ? parseKeyLeadSeconds(keyLead.raw, keyLead.source) : null,
    metricsPort: metricsPort && metricsPort.raw.trim() !== '' ? parsePort(metricsPort.raw, metricsPort.source) : null,
    metricsHost: metricsHost && metricsHost.raw.trim() !== '' ? metricsHost.raw.trim() : hostName,
    threadPoolNice: poolNice ? parseNice(poolNice.raw, poolNice.source) : THREAD_POOL_NICE,
  };
}

/** Whole seconds, 0 allowed (a key that signs at once); shared by `serve` and `keys rotate`. */
export function parseKeyLeadSeconds(raw: string, source: string): number {
  if (!/^\d{1,9}$/.test(raw.trim())) throw new CliError(`${source}: must be a whole number of seconds (0 or more), got '${raw}'`, 2);
  return Number(raw.trim());
}

/** A nice value the pool can be given without privileges: 0 (the event loop's) to 19 (the lowest), setpriority(2). */
function parseNice(raw: string, source: string): number {
  if (!/^\d{1,2}$/.test(raw.trim()) || Number(raw) > 19)
    throw new CliError(`${source}: must be a whole number from 0 to 19, got '${raw}'`, 2);
  return Number(raw);
}

function parsePositiveInteger(raw: string, source: string): number {
  if (!/^\d{1,9}$/.test(raw.trim()) || Number(raw) < 1) throw new CliError(`${source}: must be a positive integer, got '${raw}'`, 2);
  return Number(raw);
}

/**
 * TLS settings are resolved as a group: if any TLS flag is given, the TLS environment variables
 * are ignored, so `--tls-self-signed` overrides PORTCULLIS_TLS_CERT instead of conflicting with it.
 */
function resolveTls(flags: Flags, env: Env): ServeOptions['tls'] {
  const fromFlags = flags['tls-cert'] !== undefined || flags['tls-key'] !== undefined || flags['tls-self-signed'] !== undefined;
  const cert = fromFlags ? flags['tls-cert'] : env.PORTCULLIS_TLS_CERT;
  const key = fromFlags ? flags['tls-key'] : env.PORTCULLIS_TLS_KEY;
  const selfSigned = fromFlags
    ? flags['tls-self-signed'] === true
    : parseBoolean(env.PORTCULLIS_TLS_SELF_SIGNED ?? '', 'PORTCULLIS_TLS_SELF_SIGNED');
  const certFile = typeof cert === 'string' && cert.trim() !== '' ? cert : null;
  const keyFile = typeof key === 'string' && key.trim() !== '' ? key : null;
  const [certName, keyName] = fromFlags ? ['--tls-cert', '--tls-key'] : ['PORTCULLIS_TLS_CERT', 'PORTCULLIS_TLS_KEY'];

  if (selfSigned && (certFile || keyFile)) {
    throw new CliError(
      `use either ${certName}/${keyName} or ${fromFlags ? '--tls-self-signed' : 'PORTCULLIS_TLS_SELF_SIGNED'}, not both`,
      2,
    );
  }
  if (selfSigned) return { kind: 'self-signed' };
  if (certFile && !keyFile) throw new CliError(`${certName} needs ${keyName} too`, 2);
  if (keyFile && !certFile) throw new CliError(`${keyName} needs ${certName} too`, 2);
  return certFile && keyFile ? { kind: 'files', certFile, keyFile } : { kind: 'none' };
}
