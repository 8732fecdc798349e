import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, killHard, spawnUntil } from '../helpers/processes.js';

/**
 * N real `portcullis serve` processes on one PostgreSQL database, each on its own port, all
 * started with the SAME --public-url: there is no load balancer in the test, so requests go to
 * each instance's port directly, and the shared public URL makes every instance issue and
 * accept the same `iss` — exactly as instances behind a proxy would.
 */
export const TENANT = '3c9a1f2e-7b4d-4c6e-9a8b-0d1e2f3a4b5c';
export const DOMAIN = 'cluster.test';
export const PASSWORD = 'Cluster-Pass-7';
export const PUBLIC_CLIENT = '0a1b2c3d-1111-4222-8333-444455556666';
export const DAEMON = '0a1b2c3d-7777-4888-9999-aaaabbbbcccc';
export const DAEMON_SECRET = 'cluster-daemon-secret-0123456789';
export const USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'];

/** Extra seed properties of the public client (e.g. backchannel_logout_uri). */
export type PublicClientExtras = Record<string, unknown>;

export function seedJson(publicClientExtras: PublicClientExtras = {}): string {
  return JSON.stringify({
    tenant: { id: TENANT, domain: DOMAIN, displayName: 'Cluster' },
    users: USERS.map((u) => ({ userPrincipalName: `${u}@${DOMAIN}`, displayName: u, password: PASSWORD })),
    applications: [
      {
        appId: PUBLIC_CLIENT,
        displayName: 'Public',
        publicClient: { redirectUris: ['http://localhost'] },
        allowPublicClientFlows: true,
        delegatedPermissions: ['User.Read'],
        ...publicClientExtras,
      },
      {
        appId: DAEMON,
        displayName: 'Revoker',
        passwordCredentials: [{ secretText: DAEMON_SECRET }],
        applicationPermissions: ['User.RevokeSessions.All'],
      },
    ],
  });
}

export interface Instance {
  port: number;
  base: string;
  child: ChildProcess;
}

export class Cluster {
  readonly instances: Instance[] = [];
  private constructor(
    private readonly databaseUrl: string,
    private readonly dir: string,
    private readonly seedFile: string,
    readonly publicUrl: string,
    private readonly extraArgs: readonly string[],
  ) {}

  /**
   * Starts `count` instances AT ONCE on a fresh database: migrations, seed and first key race.
   * `extraArgs` go to every `serve` (e.g. --redis-url).
   */
  static async start(
    databaseUrl: string,
    count: number,
    extraArgs: readonly string[] = [],
    options: { publicUrl?: string; publicClient?: PublicClientExtras } = {},
  ): Promise<Cluster> {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-cluster-'));
    const seedFile = join(dir, 'seed.json');
    writeFileSync(seedFile, seedJson(options.publicClient));
    const ports = await Promise.all(Array.from({ length: count }, () => freePort()));
    // Without a proxy in front, the first instance's URL stands in for the public one.
    const cluster = new Cluster(databaseUrl, dir, seedFile, options.publicUrl ?? `http://127.0.0.1:${ports[0]}`, extraArgs);
    const started = await Promise.allSettled(ports.map((p) => cluster.spawn(p)));
    for (const s of started) if (s.status === 'fulfilled') cluster.instances.push(s.value);
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) {
      await cluster.stop();
      throw (failed as PromiseRejectedResult).reason;
    }
    return cluster;
  }

  private async spawn(port: number): Promise<Instance> {
    const args = [
      'serve',
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--data-dir',
      join(this.dir, `data-${port}`),
      '--database-url',
      this.databaseUrl,
      '--seed',
      this.seedFile,
      '--public-url',
      this.publicUrl,
      '--log-level',
      'silent',
      ...this.extraArgs,
    ];
    // Three processes compiling TypeScript and hashing seed passwords on two cores: be patient.
    const child = await spawnUntil('src/cli/main.ts', args, 'Portcullis ready', 90_000);
    return { port, base: `http://127.0.0.1:${port}`, child };
  }

  /** kill -9, then start the same instance again on the same port. */
  async crash(i: number): Promise<void> {
    const inst = this.instances[i]!;
    await killHard(inst.child);
  }
  async restart(i: number): Promise<void> {
    const inst = this.instances[i]!;
    this.instances[i] = await this.spawn(inst.port);
  }

  async stop(): Promise<void> {
    await Promise.all(this.instances.map((x) => killHard(x.child)));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface Answer {
  status: number;
  body: Record<string, unknown>;
  /** The Retry-After header, if any (503 answers must carry it). */
  retryAfter: string | null;
}

/** One HTTP request, bounded in time. */
export async function call(
  base: string,
  path: string,
  init: { form?: Record<string, string>; bearer?: string; method?: string },
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (init.form) headers['content-type'] = 'application/x-www-form-urlencoded';
  if (init.bearer) headers.authorization = `Bearer ${init.bearer}`;
  const res = await fetch(`${base}${path}`, {
    method: init.method ?? 'POST',
    headers,
    body: init.form ? new URLSearchParams(init.form) : init.method === 'GET' ? undefined : '',
    signal: AbortSignal.timeout(20_000),
  });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    body = { raw: text.slice(0, 200) };
  }
  return { status: res.status, body, retryAfter: res.headers.get('retry-after') };
}

export const tokenPath = `/${TENANT}/oauth2/v2.0/token`;

export function passwordSignIn(base: string, user: string): Promise<Answer> {
  return call(base, tokenPath, {
    form: {
      grant_type: 'password',
      client_id: PUBLIC_CLIENT,
      username: `${user}@${DOMAIN}`,
      password: PASSWORD,
      scope: 'openid offline_access User.Read',
    },
  });
}

export function refresh(base: string, refreshToken: string): Promise<Answer> {
  return call(base, tokenPath, { form: { grant_type: 'refresh_token', client_id: PUBLIC_CLIENT, refresh_token: refreshToken } });
}

export async function daemonToken(base: string): Promise<string> {
  const r = await call(base, tokenPath, {
    form: {
      grant_type: 'client_credentials',
      client_id: DAEMON,
      client_secret: DAEMON_SECRET,
      scope: 'https://graph.microsoft.com/.default',
    },
  });
  if (r.status !== 200) throw new Error(`client_credentials failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.access_token as string;
}

export function revokeSessions(base: string, bearer: string, user: string): Promise<Answer> {
  return call(base, `/v1.0/users/${user}@${DOMAIN}/revokeSignInSessions`, { bearer });
}
