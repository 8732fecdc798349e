/**
 * `portcullis keys list | rotate`: the tenant's signing keys, read and changed in the database
 * directly (like `migrate`), so it works while no instance runs and needs no admin token.
 * A rotation adds a key that signs from then on; superseded keys stay published until every
 * token they signed has expired (core/key-rotation.ts has the rule). Running instances pick the
 * change up without a restart: at once through PostgreSQL NOTIFY or Redis, and in any case
 * within their periodic reload (docs/deployment.md, "Rotating the signing keys").
 */
import { parseArgs } from 'node:util';
import { systemClock } from '../clock.js';
import { DEFAULT_KEY_RELOAD_SECONDS, DEFAULT_TOKEN_LIFETIMES } from '../config.js';
import { describeKeys, keyRetentionMs, planRotation, type KeyStatus } from '../core/key-rotation.js';
import { TOPIC } from '../events/invalidation.js';
import { generateSigningKey } from '../crypto/jwt.js';
import type { RedisPublisher } from '../events/redis-feed.js';
import { openAdminStore, type AdminStore } from './admin-store.js';
import { CliError, SERVE_DEFAULTS, parseRedisUrl } from './serve-options.js';

const HELP = [
  'Usage: portcullis keys <list|rotate> [options]',
  '',
  'Shows or rotates the RS256 signing keys in the database.',
  '  list      every key: the signing one, those still published for verification, retired ones',
  '  rotate    add a new signing key; retire superseded keys whose tokens have all expired',
  '',
  'Options:',
  '  --database-url URL        postgres://... (env: PORTCULLIS_DATABASE_URL)',
  `  --data-dir DIR            without a database URL: the SQLite file's directory (default ${SERVE_DEFAULTS.dataDir})`,
  '                            env: PORTCULLIS_DATA_DIR',
  '  --redis-url URL           after rotating, tell instances through Redis (env: PORTCULLIS_REDIS_URL);',
  '                            use the same value as the instances',
  '  -h, --help                show this help',
  '',
].join('\n');

/** The rule's inputs are the server defaults: `serve` has no flags that change them. */
const RETENTION_MS = keyRetentionMs({ tokens: DEFAULT_TOKEN_LIFETIMES, keyReloadSeconds: DEFAULT_KEY_RELOAD_SECONDS });

interface KeysArgs {
  action: 'list' | 'rotate';
  databaseUrl?: string;
  dataDir?: string;
  redisUrl: string | null;
}

function parse(argv: readonly string[], env: NodeJS.ProcessEnv): KeysArgs | null {
  let parsed: { values: { 'database-url'?: string; 'data-dir'?: string; 'redis-url'?: string; help?: boolean }; positionals: string[] };
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { 'database-url': { type: 'string' }, 'data-dir': { type: 'string' }, 'redis-url': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: true,
    });
  } catch (e) {
    throw new CliError(`${(e as Error).message.split('. ')[0]} (see 'portcullis keys --help')`, 2);
  }
  const { values, positionals } = parsed;
  if (values.help) return null;
  const [action, ...extra] = positionals;
  if (action !== 'list' && action !== 'rotate') {
    throw new CliError(`${action === undefined ? 'missing' : `unknown`} action${action ? ` '${action}'` : ''} (use 'keys list' or 'keys rotate')`, 2);
  }
  if (extra.length > 0) throw new CliError(`unexpected argument '${extra[0]}' (see 'portcullis keys --help')`, 2);
  const rawRedis = values['redis-url'] ?? env.PORTCULLIS_REDIS_URL;
  const redisSource = values['redis-url'] !== undefined ? '--redis-url' : 'PORTCULLIS_REDIS_URL';
  return {
    action,
    ...(values['database-url'] !== undefined ? { databaseUrl: values['database-url'] } : {}),
    ...(values['data-dir'] !== undefined ? { dataDir: values['data-dir'] } : {}),
    redisUrl: rawRedis && rawRedis.trim() !== '' ? parseRedisUrl(rawRedis.trim(), redisSource) : null,
  };
}

const iso = (ms: number): string => new Date(ms).toISOString();

function stateText(s: KeyStatus): string {
  switch (s.state.kind) {
    case 'signing':
      return 'signing';
    case 'verifying':
      return `verifying (superseded ${iso(s.state.supersededAt)}; retired by a rotation after ${iso(s.state.retireAfter)})`;
    case 'retired':
      return `retired ${iso(s.state.retiredAt)}`;
  }
}

function table(statuses: readonly KeyStatus[]): string[] {
  const rows = statuses.map((s) => [s.key.kid, iso(s.key.createdAt), stateText(s)] as const);
  const width = Math.max(3, ...rows.map((r) => r[0].length));
  return [`${'KID'.padEnd(width)}  ${'CREATED'.padEnd(24)}  STATE`, ...rows.map(([kid, created, state]) => `${kid.padEnd(width)}  ${created.padEnd(24)}  ${state}`)];
}

async function list({ store, where }: AdminStore): Promise<string[]> {
  const keys = await store.keys.list();
  if (keys.length === 0) return [`No signing keys in ${where} yet: 'portcullis serve' creates the first, or run 'portcullis keys rotate'.`];
  return [`Signing keys of ${where} (superseded keys stay published ${RETENTION_MS / 60_000} min):`, ...table(describeKeys(keys, RETENTION_MS))];
}

type Prepared = { ok: true; publisher: RedisPublisher } | { ok: false; error: unknown };

/** Never rejects: a failure is reported after the rotation, which goes ahead regardless. */
async function prepareRedis(url: string): Promise<Prepared> {
  try {
    const { openRedisPublisher } = await import('../events/redis-feed.js');
    return { ok: true, publisher: await openRedisPublisher(url) };
  } catch (error) {
    return { ok: false, error };
  }
}

async function rotate({ store, where }: AdminStore, redisUrl: string | null): Promise<{ lines: string[]; warnings: string[] }> {
  // Connected (or given up, within the connect timeout) before the commit, so the message
  // leaves right after it; an unreachable Redis never stops the rotation.
  const redis = redisUrl ? await prepareRedis(redisUrl) : null;
  const key = generateSigningKey(0);
  const now = systemClock.now();
  const plan = planRotation(await store.keys.list(), now, RETENTION_MS);
  let published: number | string | null = null;
  try {
    await store.keys.rotate({ ...key, createdAt: plan.createdAt }, plan.retire, now);
    if (redis) published = await publishAfterCommit(redis);
  } finally {
    if (redis?.ok) redis.publisher.close();
  }
  const lines = [`Rotated the signing keys of ${where}.`, ...table(describeKeys(await store.keys.list(), RETENTION_MS))];
  const warnings: string[] = [];
  if (store.kind === 'postgres') lines.push('Instances listening on PostgreSQL NOTIFY were told in the same transaction.');
  if (typeof published === 'number') lines.push(`Published on Redis to ${published} subscribed instance${published === 1 ? '' : 's'}.`);
  // The rotation has committed: a lost message only delays pick-up to the periodic reload.
  if (typeof published === 'string') warnings.push(`could not publish on Redis (${published}); instances pick the key up by their periodic reload`);
  lines.push(`Every running instance signs with the new key within ${DEFAULT_KEY_RELOAD_SECONDS} s at the latest (periodic reload).`);
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
    const { lines, warnings } = await rotate(admin, args.redisUrl);
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
