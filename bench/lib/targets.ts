/**
 * The two systems under test, started fresh for every run with the same number of users and
 * refresh tokens: Portcullis (`portcullis serve`, or the node:cluster launcher for several
 * processes on one SQLite file) and node-oidc-provider with a non-evicting Map adapter.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Chain, LoadTarget } from './loadgen.js';
import { startServer, type Server } from './processes.js';
import { seedPostgres } from './seed-postgres.js';
import { BENCH_PUBLIC_CLIENT, BENCH_TENANT, seedPortcullis } from './seed-portcullis.js';

export type SystemName = 'portcullis' | 'oidc-provider';

export interface Running {
  system: SystemName;
  server: Server;
  origin: string;
  target: LoadTarget;
  chains: Chain[];
  /** Portcullis only: the users' object ids, by chain.user. */
  userIds: string[];
  dataDir: string | null;
  /** PostgreSQL runs: the seeded database (bench/lib/seed-postgres.ts). */
  databaseUrl?: string;
  stop(): Promise<void>;
}

const form = (fields: Record<string, string>): string => new URLSearchParams(fields).toString();

/**
 * Portcullis with `workers` processes: 1 = the shipped `portcullis serve` (dist/cli/main.js);
 * more = bench/servers/portcullis-cluster.mjs, the same app in node:cluster workers.
 */
export async function startPortcullis(opts: {
  users: number;
  workers: number;
  cpus?: string;
  dist?: string;
  nodeArgs?: string[];
}): Promise<Running> {
  const dataDir = mkdtempSync(join(tmpdir(), 'portcullis-bench-'));
  const seeded = await seedPortcullis(dataDir, opts.users);
  const running = await startPortcullisOn(
    dataDir,
    seeded.userIds,
    seeded.tokens.map((token, user) => ({ user, token, dead: false })),
    opts,
  );
  return {
    ...running,
    stop: async () => {
      await running.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Starts Portcullis on a data directory that is already seeded (B4 restarts the same large
 * database several times); `chains[i].user` indexes `userIds`. stop() leaves the directory.
 */
export async function startPortcullisOn(
  dataDir: string,
  userIds: string[],
  chains: Chain[],
  opts: { workers: number; cpus?: string; dist?: string /** e.g. --cpu-prof (single process only) */; nodeArgs?: string[] },
): Promise<Running> {
  const dist = opts.dist ?? 'dist';
  const server =
    opts.workers <= 1
      ? await startServer({
          args: [...(opts.nodeArgs ?? []), `${dist}/cli/main.js`, 'serve', '--port', '0', '--data-dir', dataDir, '--log-level', 'silent'],
          ...(opts.cpus ? { cpus: opts.cpus } : {}),
          ready: /Portcullis ready[\s\S]*issuer:\s+\S+\n/,
          parse: (banner, pid) => ({ port: Number(/issuer:\s+https?:\/\/[^:]+:(\d+)\//.exec(banner)?.[1]), pids: [pid] }),
        })
      : await startServer({
          args: ['bench/servers/portcullis-cluster.mjs', '--data-dir', dataDir, '--workers', String(opts.workers), '--dist', dist],
          ...(opts.cpus ? { cpus: opts.cpus } : {}),
          ready: /pids: [\d,]+\n/,
          parse: (banner, pid) => ({
            port: Number(/port: (\d+)/.exec(banner)?.[1]),
            pids: [pid, ...(/pids: ([\d,]+)/.exec(banner)?.[1] ?? '').split(',').map(Number)],
          }),
        });
  const origin = `http://127.0.0.1:${server.port}`;
  return {
    system: 'portcullis',
    server,
    origin,
    target: {
      origin,
      path: `/${BENCH_TENANT.id}/oauth2/v2.0/token`,
      body: (token) => form({ grant_type: 'refresh_token', client_id: BENCH_PUBLIC_CLIENT, refresh_token: token }),
    },
    chains,
    userIds,
    dataDir,
    stop: () => server.stop(),
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/**
 * `instances` processes of the shipped `portcullis serve` on one fresh PostgreSQL database
 * (seeded by seed-postgres.ts), each on its own loopback port, all with the same --public-url
 * (the first one's) so that they issue and accept the same `iss`, as behind a load balancer. The
 * load generator spreads its clients over them round-robin (target.origins); `origin` (B2's
 * revoker) is the first. CPU figures cover the Portcullis processes, not PostgreSQL's.
 */
export async function startPortcullisPg(opts: {
  users: number;
  instances: number;
  dist?: string;
  poolMax?: number;
  /** taskset CPUs of the Portcullis processes (not PostgreSQL's). */
  cpus?: string;
  nodeArgs?: string[];
}): Promise<Running> {
  const dist = opts.dist ?? 'dist';
  const seeded = await seedPostgres(opts.users);
  const dataDir = mkdtempSync(join(tmpdir(), 'portcullis-bench-pg-'));
  const servers: Server[] = [];
  try {
    const ports = await Promise.all(Array.from({ length: opts.instances }, () => freePort()));
    const publicUrl = `http://127.0.0.1:${ports[0]}`;
    // One after the other: the first applies nothing new (the seeder migrated), the rest just connect.
    for (const port of ports) {
      servers.push(
        await startServer({
          ...(opts.cpus ? { cpus: opts.cpus } : {}),
          args: [
            ...(opts.nodeArgs ?? []),
            `${dist}/cli/main.js`,
            'serve',
            '--port',
            String(port),
            '--data-dir',
            join(dataDir, String(port)),
            '--log-level',
            'silent',
            '--database-url',
            seeded.url,
            '--database-pool-max',
            String(opts.poolMax ?? 8),
            '--public-url',
            publicUrl,
          ],
          ready: /Portcullis ready[\s\S]*issuer:\s+\S+\n/,
          parse: (_banner, pid) => ({ port, pids: [pid] }),
        }),
      );
    }
  } catch (e) {
    await Promise.all(servers.map((srv) => srv.stop()));
    await seeded.drop().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
  const origins = servers.map((srv) => `http://127.0.0.1:${srv.port}`);
  const first = servers[0] as Server;
  const server: Server = {
    ...first,
    pids: servers.flatMap((srv) => srv.pids),
    stop: async () => {
      await Promise.all(servers.map((srv) => srv.stop()));
    },
  };
  return {
    system: 'portcullis',
    server,
    origin: origins[0] as string,
    target: {
      origin: origins[0] as string,
      origins,
      path: `/${BENCH_TENANT.id}/oauth2/v2.0/token`,
      body: (token) => form({ grant_type: 'refresh_token', client_id: BENCH_PUBLIC_CLIENT, refresh_token: token }),
    },
    chains: seeded.tokens.map((token, user) => ({ user, token, dead: false })),
    userIds: seeded.userIds,
    dataDir,
    databaseUrl: seeded.url,
    stop: async () => {
      await server.stop();
      await seeded.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function startPeer(opts: { users: number; cpus?: string }): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), 'peer-bench-'));
  const tokensFile = join(dir, 'tokens.json');
  const server = await startServer({
    args: ['bench/servers/peer-oidc-provider.mjs', '--users', String(opts.users), '--tokens-out', tokensFile],
    ...(opts.cpus ? { cpus: opts.cpus } : {}),
    ready: /peer ready \d+/,
    parse: (banner, pid) => ({ port: Number(/peer ready (\d+)/.exec(banner)?.[1]), pids: [pid] }),
  });
  const tokens = JSON.parse(readFileSync(tokensFile, 'utf8')) as string[];
  const origin = `http://127.0.0.1:${server.port}`;
  return {
    system: 'oidc-provider',
    server,
    origin,
    target: {
      origin,
      path: '/token',
      body: (token) => form({ grant_type: 'refresh_token', client_id: 'bench-public-client', refresh_token: token }),
    },
    chains: tokens.map((token, user) => ({ user, token, dead: false })),
    userIds: [],
    dataDir: dir,
    stop: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
