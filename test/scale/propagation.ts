import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { keysCli } from '../helpers/cli.js';
import { TENANT, type Cluster } from './cluster.js';

/**
 * Measures how long a `portcullis keys rotate` takes to reach every instance: from the moment
 * the new key is committed (first seen by a client polling the table every 2 ms) to the moment
 * each instance's JWKS endpoint lists it (each polled every 5 ms over HTTP). The figures are
 * upper bounds by those polling periods plus one request's latency.
 */
export interface Propagation {
  kid: string;
  /** Per instance, ms from commit seen to JWKS showing the key. */
  perInstanceMs: number[];
  maxMs: number;
}

const POLL_DB_MS = 2;
const POLL_JWKS_MS = 5;
const BOUND_MS = 15_000;

async function newestKid(client: pg.Client): Promise<string | undefined> {
  const { rows } = await client.query<{ kid: string }>(
    'SELECT kid FROM signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC, kid DESC LIMIT 1',
  );
  return rows[0]?.kid;
}

async function jwksKids(base: string): Promise<string[]> {
  const res = await fetch(`${base}/${TENANT}/discovery/v2.0/keys`, { signal: AbortSignal.timeout(5_000) });
  return ((await res.json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
}

/** Runs one rotation through the real CLI and times its arrival on every instance. */
export async function measureRotation(cluster: Cluster, databaseUrl: string, cliArgs: string[]): Promise<Propagation> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const before = await newestKid(client);
    const deadline = performance.now() + BOUND_MS;
    let committedAt = NaN;
    let kid: string | undefined;
    const watchCommit = (async () => {
      while (performance.now() < deadline) {
        const now = await newestKid(client);
        if (now !== before) {
          committedAt = performance.now();
          kid = now;
          return;
        }
        await sleep(POLL_DB_MS);
      }
    })();
    const initial = await Promise.all(cluster.instances.map((i) => jwksKids(i.base).then((kids) => new Set(kids))));
    const seenAt = cluster.instances.map(() => NaN);
    const seenKid = cluster.instances.map((): string | undefined => undefined);
    const watchInstances = cluster.instances.map(async (instance, i) => {
      while (performance.now() < deadline) {
        const fresh = (await jwksKids(instance.base)).find((k) => !initial[i]!.has(k));
        if (fresh !== undefined) {
          seenAt[i] = performance.now();
          seenKid[i] = fresh;
          return;
        }
        await sleep(POLL_JWKS_MS);
      }
    });
    const cli = keysCli(['rotate', '--database-url', databaseUrl, ...cliArgs]);
    const [result] = await Promise.all([cli, watchCommit, ...watchInstances]);
    if (result.code !== 0) throw new Error(`keys rotate failed: ${result.err}`);
    if (kid === undefined || Number.isNaN(committedAt)) throw new Error('the rotation was not seen in the database in time');
    if (seenKid.some((k) => k !== kid)) throw new Error(`instances published ${seenKid.join(', ')}, the database has ${kid}`);
    const perInstanceMs = seenAt.map((t) => Math.max(0, Math.round(t - committedAt)));
    if (perInstanceMs.some((t) => Number.isNaN(t))) throw new Error(`not every instance published ${kid} within ${BOUND_MS} ms`);
    return { kid, perInstanceMs, maxMs: Math.max(...perInstanceMs) };
  } finally {
    await client.end();
  }
}
