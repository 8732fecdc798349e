/**
 * `portcullis keys list | rotate | withdraw`: the tenant's signing keys, read and changed in the database
 * directly (like `migrate`), so it works while no instance runs and needs no admin token.
 * A rotation adds a *next* key: published in the JWKS at once, signing from now + the lead time,
 * so verifiers that cache the JWKS hold it before its first token; the key it supersedes stays
 * published until every token it signed has expired (core/key-rotation.ts has the rules). Running
 * instances read the new key at once through PostgreSQL NOTIFY or Redis, in any case within their
 * periodic reload, and all switch at its activation time (docs/deployment.md, "Rotating the
 * signing keys").
 */
import { parseArgs } from 'node:util';
import { systemClock } from '../../clock.js';
import { DEFAULT_KEY_LEAD_SECONDS, DEFAULT_KEY_RELOAD_SECONDS, DEFAULT_TOKEN_LIFETIMES } from '../../config.js';
import { describeKeys, fullCacheLeadSeconds, keyRetentionMs, rotateSigningKeys, type KeyStatus } from '../../core/key-rotation.js';
import { TOPIC } from '../../cluster/invalidation.js';
import type { RedisPublisher } from '../../cluster/redis-feed.js';
import { openAdminStore, type AdminStore } from '../admin-store.js';
import { CliError, SERVE_DEFAULTS, parseKeyLeadSeconds, parseRedisUrl } from '../serve-options.js';

const HELP = [
  'Usage: portcullis keys <list|rotate|withdraw KID> [options]',
  '',
  'Shows or rotates the RS256 signing keys in the database.',
  '  list      every key: next, active, retired (still published) and removed, with their times',
  '  rotate    add a next key, published at once and signing after the lead time; withdraw',
  '            keys whose tokens have all expired',
  '  withdraw  stop publishing and accepting one key at once (a leaked key; not the active one:',
  "            'keys rotate --now' first); tokens it signed are refused from then on",
  '',
  'Options:',
  '  --database-url URL        postgres://... (env: PORTCULLIS_DATABASE_URL)',
  `  --data-dir DIR            without a database URL: the SQLite file's directory (default ${SERVE_DEFAULTS.dataDir})`,
  '                            env: PORTCULLIS_DATA_DIR',
  '  --redis-url URL           after rotating or withdrawing, tell instances through Redis (env: PORTCULLIS_REDIS_URL);',
  '                            use the same value as the instances',
  `  --lead-seconds S          rotate: publish the new key S seconds before it signs (default ${DEFAULT_KEY_LEAD_SECONDS},`,
  '                            env: PORTCULLIS_KEY_LEAD_SECONDS, the same as for serve)',
  '  --now                     rotate: the new key signs at once (lead 0), e.g. after a key leak;',
  '                            verifiers that cached the JWKS refuse its tokens until they refetch',
  '  -h, --help                show this help',
  '',
].join('\n');

/** The rule's inputs are the server defaults (its longest lifetime already covers every `serve` flag). */
const RETENTION_MS = keyRetentionMs({ tokens: DEFAULT_TOKEN_LIFETIMES, keyReloadSeconds: DEFAULT_KEY_RELOAD_SECONDS });

interface KeysArgs {
  action: 'list' | 'rotate' | 'withdraw';
  /** withdraw: the key. */
  kid?: string;
  databaseUrl?: string;
  dataDir?: string;
  redisUrl: string | null;
  leadSeconds: number;
}

type Values = {
  'database-url'?: string;
  'data-dir'?: string;
  'redis-url'?: string;
  'lead-seconds'?: string;
  now?: boolean;
  help?: boolean;
};

function parse(argv: readonly string[], env: NodeJS.ProcessEnv): KeysArgs | null {
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        'database-url': { type: 'string' },
        'data-dir': { type: 'string' },
        'redis-url': { type: 'string' },
        'lead-seconds': { type: 'string' },
        now: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: true,
    });
  } catch (e) {
    throw new CliError(`${(e as Error).message.split('. ')[0]} (see 'portcullis keys --help')`, 2);
  }
  const { values, positionals } = parsed;
  if (values.help) return null;
  const [action, ...rest] = positionals;
  if (action !== 'list' && action !== 'rotate' && action !== 'withdraw') {
    throw new CliError(
      `${action === undefined ? 'missing' : `unknown`} action${action ? ` '${action}'` : ''} (use 'keys list', 'keys rotate' or 'keys withdraw KID')`,
      2,
    );
  }
  const [kid, ...extra] = action === 'withdraw' ? rest : [undefined, ...rest];
  if (action === 'withdraw' && !kid) throw new CliError("missing key id (use 'keys withdraw KID'; 'keys list' shows them)", 2);
  if (extra.length > 0) throw new CliError(`unexpected argument '${extra[0]}' (see 'portcullis keys --help')`, 2);
  if (values.now && values['lead-seconds'] !== undefined) throw new CliError('use either --now or --lead-seconds, not both', 2);
  const rawRedis = values['redis-url'] ?? env.PORTCULLIS_REDIS_URL;
  const redisSource = values['redis-url'] !== undefined ? '--redis-url' : 'PORTCULLIS_REDIS_URL';
  return {
    action,
    ...(kid ? { kid } : {}),
    ...(values['database-url'] !== undefined ? { databaseUrl: values['database-url'] } : {}),
    ...(values['data-dir'] !== undefined ? { dataDir: values['data-dir'] } : {}),
    redisUrl: rawRedis && rawRedis.trim() !== '' ? parseRedisUrl(rawRedis.trim(), redisSource) : null,
    leadSeconds: values.now ? 0 : leadSeconds(values['lead-seconds'], env.PORTCULLIS_KEY_LEAD_SECONDS),
  };
}

function leadSeconds(flag: string | undefined, fromEnv: string | undefined): number {
  if (flag !== undefined) return parseKeyLeadSeconds(flag, '--lead-seconds');
  if (fromEnv !== undefined && fromEnv.trim() !== '') return parseKeyLeadSeconds(fromEnv, 'PORTCULLIS_KEY_LEAD_SECONDS');
  return DEFAULT_KEY_LEAD_SECONDS;
}

const iso = (ms: number): string => new Date(ms).toISOString();

function stateText(s: KeyStatus): string {
  switch (s.state.kind) {
    case 'next':
      return 'next';
    case 'active':
      return 'active';
    case 'retired':
      return `retired, published until ${iso(s.state.publishedUntil)}`;
    case 'removed':
      return `removed ${iso(s.state.removedAt)}`;
  }
}

function table(statuses: readonly KeyStatus[]): string[] {
  const rows = statuses.map((s) => [s.key.kid, iso(s.key.createdAt), iso(s.key.activatesAt), stateText(s)] as const);
  const width = Math.max(3, ...rows.map((r) => r[0].length));
  return [
    `${'KID'.padEnd(width)}  ${'CREATED (PUBLISHED)'.padEnd(24)}  ${'SIGNS FROM'.padEnd(24)}  STATE`,
    ...rows.map(([kid, created, activates, state]) => `${kid.padEnd(width)}  ${created.padEnd(24)}  ${activates.padEnd(24)}  ${state}`),
  ];
}

async function list({ store, where }: AdminStore): Promise<string[]> {
  const keys = await store.keys.list();
  if (keys.length === 0) return [`No signing keys in ${where} yet: 'portcullis serve' creates the first, or run 'portcullis keys rotate'.`];
  const hours = (RETENTION_MS / 3_600_000).toFixed(2);
  return [
    `Signing keys of ${where} (a retired key stays published ${hours} h after it stopped signing):`,
    ...table(describeKeys(keys, systemClock.now(), RETENTION_MS)),
  ];
}

type Prepared = { ok: true; publisher: RedisPublisher } | { ok: false; error: unknown };

/** Never rejects: a failure is reported after the rotation, which goes ahead regardless. */
async function prepareRedis(url: string): Promise<Prepared> {
  try {
    const { openRedisPublisher } = await import('../../cluster/redis-feed.js');
    return { ok: true, publisher: await openRedisPublisher(url) };
  } catch (error) {
    return { ok: false, error };
  }
}

/**
 * Runs a committed change of the keys, then tells the instances: PostgreSQL's NOTIFY goes with the
 * commit; Redis is connected before it (or given up, within the connect timeout) so the message
 * leaves right after it, and an unreachable Redis never stops the change.
 */
async function announced<T>(
  { store }: AdminStore,
  redisUrl: string | null,
  change: () => Promise<T>,
): Promise<{ result: T; lines: string[]; warnings: string[] }> {
  const redis = redisUrl ? await prepareRedis(redisUrl) : null;
  let published: number | string | null = null;
  let result: T;
  try {
    result = await change();
    if (redis) published = await publishAfterCommit(redis);
  } finally {
    if (redis?.ok) redis.publisher.close();
  }
  const lines: string[] = [];
  const warnings: string[] = [];
  if (store.kind === 'postgres') lines.push('Instances listening on PostgreSQL NOTIFY were told in the same transaction.');
  if (typeof published === 'number') lines.push(`Published on Redis to ${published} subscribed instance${published === 1 ? '' : 's'}.`);
  // The change has committed: a lost message only delays pick-up to the periodic reload.
  if (typeof published === 'string')
    warnings.push(`could not publish on Redis (${published}); instances pick the change up by their periodic reload`);
  return { result, lines, warnings };
}

async function rotate(admin: AdminStore, redisUrl: string | null, leadSeconds: number): Promise<{ lines: string[]; warnings: string[] }> {
  const { store, where } = admin;
  const {
    result,
    lines: told,
    warnings,
  } = await announced(admin, redisUrl, () =>
    rotateSigningKeys(store.keys, { now: systemClock.now(), leadMs: leadSeconds * 1000, retentionMs: RETENTION_MS }),
  );
  const { key } = result;
  const lines = [
    `Rotated the signing keys of ${where}: ${key.kid} is published now and signs from ${iso(key.activatesAt)}.`,
    ...table(describeKeys(await store.keys.list(), systemClock.now(), RETENTION_MS)),
    ...told,
    `Every running instance publishes it within ${DEFAULT_KEY_RELOAD_SECONDS} s at the latest (periodic reload); all switch to it at ${iso(key.activatesAt)}.`,
  ];
  if (leadSeconds < fullCacheLeadSeconds(DEFAULT_KEY_RELOAD_SECONDS)) {
    warnings.push(
      `lead time ${leadSeconds} s: a verifier that cached the JWKS for longer than about ${Math.max(0, leadSeconds - DEFAULT_KEY_RELOAD_SECONDS - 300)} s ` +
        'refuses tokens of the new key until it refetches (instances started with the same --key-lead-seconds send a JWKS max-age that fits)',
    );
  }
  return { lines, warnings };
}

/**
 * Withdraws a leaked or unwanted key. Never the active one: nothing would be left to sign with
 * until the next activation, so `rotate --now` must come first.
 */
async function withdraw(admin: AdminStore, redisUrl: string | null, kid: string): Promise<{ lines: string[]; warnings: string[] }> {
  const { store, where } = admin;
  const status = describeKeys(await store.keys.list(), systemClock.now(), RETENTION_MS).find((s) => s.key.kid === kid);
  if (!status) throw new CliError(`no key '${kid}' in ${where} ('keys list' shows them)`, 2);
  if (status.state.kind === 'active') {
    throw new CliError(`'${kid}' is the active signing key: run 'keys rotate --now' first, then withdraw it`, 2);
  }
  const { result: changed, lines: told, warnings } = await announced(admin, redisUrl, () => store.keys.withdraw(kid, systemClock.now()));
  const lines = [
    changed
      ? `Withdrew ${kid} in ${where}: no instance publishes or accepts it after its next reload.`
      : `${kid} was already withdrawn in ${where}.`,
    ...table(describeKeys(await store.keys.list(), systemClock.now(), RETENTION_MS)),
    ...(changed ? told : []),
  ];
  if (changed) lines.push(`Every running instance drops it within ${DEFAULT_KEY_RELOAD_SECONDS} s at the latest (periodic reload).`);
  return { lines, warnings };
}

/** The number of subscribers reached, or why publishing failed. */
async function publishAfterCommit(redis: Prepared): Promise<number | string> {
  if (!redis.ok) return (redis.error as Error).message ?? String(redis.error);
  try {
    return await redis.publisher.publish(TOPIC.keys);
  } catch (e) {
    return (e as Error).message ?? String(e);
  }
}

export async function keys(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const args = parse(argv, env);
  if (!args) {
    process.stdout.write(HELP);
    return 0;
  }
  const admin = await openAdminStore(args, env);
  try {
    if (args.action === 'list') {
      process.stdout.write(`${(await list(admin)).join('\n')}\n`);
      return 0;
    }
    const { lines, warnings } =
      args.action === 'rotate'
        ? await rotate(admin, args.redisUrl, args.leadSeconds)
        : await withdraw(admin, args.redisUrl, args.kid as string);
    process.stdout.write(`${lines.join('\n')}\n`);
    for (const w of warnings) process.stderr.write(`portcullis: warning: ${w}\n`);
    return 0;
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(`keys ${args.action} on ${admin.where} failed: ${(e as Error).message}`, 1);
  } finally {
    await admin.store.close().catch(() => undefined);
  }
}
