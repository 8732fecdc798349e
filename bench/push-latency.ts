/**
 * Push revocation latency (BENCHMARKS.md, "Push revocation"): with R push receivers on loopback — each its own
 * SSF stream of its own relying-party app, its own HTTP server and its own
 * `portcullis/resource-server` middleware (the compiled dist/, as an app imports it) — an
 * administrator revokes one user at a time (servers/revoker.mjs, its own process, as in B2) and
 * every receiver records two moments:
 *   - SET received: the transmitter's POST for that user reached the receiver's HTTP server;
 *   - refuses: right after the middleware answered the push with 202, it is asked to authenticate
 *     the user's access token (obtained before the revoke) and refuses it.
 * Latencies are measured from the moment the revoke request was sent (and, separately, from its
 * answer), with epoch-millisecond clocks comparable across processes (performance.timeOrigin +
 * performance.now()). Portcullis runs the shipped `portcullis serve` on a seeded SQLite data dir.
 * Usage: npm run bench:push -- [--receivers n] [--revokes n] [--interval ms] [--dist DIR] [--data-root DIR] [--cpu-prof DIR]
 *   --data-root /dev/shm puts the SQLite database on tmpfs: the same run without fsync costs, to
 *   tell the transmitter's durable commits apart from the rest.
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { machine, numberOption, sleep, stringOption, writeResult } from './lib/common.js';
import { ROOT, requireBuild, startServer, type Server } from './lib/processes.js';
import {
  BENCH_ADMIN_APP,
  BENCH_ADMIN_SECRET,
  BENCH_PUBLIC_CLIENT,
  BENCH_SCOPES,
  BENCH_TENANT,
  seedPortcullis,
} from './lib/seed-portcullis.js';
import { round, summarise, table, type LatencySummary } from './lib/stats.js';
import { summariseProfile, type CpuProfile } from './profile-token.js';
import { hashSecret } from '../src/crypto/passwords.js';
import { openSqliteStore } from '../src/store/sqlite/open.js';

/** The middleware as an application gets it: the package export, built into dist/. */
type ResourceServerModule = typeof import('../src/resource-server/index.js');

export interface PushBenchOptions {
  receivers: number;
  revokes: number;
  warmupRevokes: number;
  intervalMs: number;
  /** Longest wait for one revoke's SETs to reach every receiver. */
  deliveryTimeoutMs: number;
  dist: string;
  /** Where the data directory is made (default the OS temp dir; /dev/shm takes fsync out). */
  dataRoot: string;
  /** Write a --cpu-prof of the server into this directory and print its summary ('' = none). */
  cpuProf: string;
}

export interface PushBenchResult {
  receivers: number;
  revokes: number;
  revokeAnswerMs: LatencySummary;
  /** Revoke sent -> SET received, one sample per (revoke, receiver). */
  setReceivedMs: LatencySummary;
  /** Revoke sent -> the middleware refuses the user's token. */
  refusedMs: LatencySummary;
  /** The same two, counted from the revoke's answer. */
  setReceivedAfterAnswerMs: LatencySummary;
  refusedAfterAnswerMs: LatencySummary;
  /** Per revoke: revoke sent -> the first and the last of its R SETs received (the spread is the transmitter's fan-out). */
  firstSetMs: LatencySummary;
  lastSetMs: LatencySummary;
  /** (revoke, receiver) pairs whose SET did not arrive within deliveryTimeoutMs. */
  missing: number;
  /** SETs received after 202 whose token the middleware still accepted (must be 0). */
  notRefused: number;
  loadAverage: { before: string; after: string };
}

export function pushBenchOptions(argv: readonly string[]): PushBenchOptions {
  return {
    receivers: numberOption(argv, 'receivers', 100),
    revokes: numberOption(argv, 'revokes', 50),
    warmupRevokes: numberOption(argv, 'warmup-revokes', 5),
    intervalMs: numberOption(argv, 'interval', 100),
    deliveryTimeoutMs: numberOption(argv, 'delivery-timeout', 10_000),
    dist: stringOption(argv, 'dist', 'dist'),
    dataRoot: stringOption(argv, 'data-root', tmpdir()),
    cpuProf: stringOption(argv, 'cpu-prof', ''),
  };
}

const now = (): number => performance.timeOrigin + performance.now();
const RECEIVER_SECRET = 'bench-receiver-secret-0123456789abcdef';
const receiverAppId = (i: number): string => `b0000000-0000-4000-8000-0000000c${i.toString(16).padStart(4, '0')}`;
const loadAverage = (): string => machine().loadAverageAtStart;

/** One relying party: an HTTP server whose only route is the middleware's push receiver. */
interface Receiver {
  index: number;
  server: HttpServer;
  url: string;
  rs: import('../src/resource-server/index.js').ResourceServer;
}

interface Sample {
  receivedAt: number;
  refusedAt: number | null;
}

/** SETs arrived, by user id, then by receiver index. */
type Arrivals = Map<string, Map<number, Sample>>;

const decodeUser = (set: string): string | null => {
  try {
    const payload = JSON.parse(Buffer.from(set.split('.')[1] ?? '', 'base64url').toString()) as { sub_id?: { user?: { id?: unknown } } };
    return typeof payload.sub_id?.user?.id === 'string' ? payload.sub_id.user.id : null;
  } catch {
    return null;
  }
};

const readBody = async (req: IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

async function startReceiver(
  index: number,
  mod: ResourceServerModule,
  issuer: string,
  accessTokens: ReadonlyMap<string, string>,
  arrivals: Arrivals,
): Promise<Receiver> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientId = receiverAppId(index);
  const pushAuthorization = `Bearer ${randomBytes(24).toString('base64url')}`;
  const stream = await mod.createSsfStream({
    issuer,
    clientId,
    clientSecret: RECEIVER_SECRET,
    delivery: { method: 'push', endpointUrl: `${url}/ssf/events`, authorizationHeader: pushAuthorization },
    description: `bench receiver ${index}`,
  });
  const rs = await mod.ResourceServer.create({
    issuer,
    audience: '00000003-0000-0000-c000-000000000000',
    events: { audience: stream.audience, pushAuthorization },
  });
  server.on('request', (req, res) => {
    const receivedAt = now();
    void (async () => {
      const body = await readBody(req);
      const outcome = await rs.receivePush({ contentType: req.headers['content-type'], authorization: req.headers.authorization, body });
      res.statusCode = outcome.status;
      res.end(outcome.status === 202 ? undefined : JSON.stringify(outcome.body));
      const user = outcome.status === 202 ? decodeUser(body) : null;
      const token = user ? accessTokens.get(user) : undefined;
      if (!user || !token) return;
      const refused = !(await rs.authenticate(`Bearer ${token}`)).ok;
      let byReceiver = arrivals.get(user);
      if (!byReceiver) arrivals.set(user, (byReceiver = new Map()));
      byReceiver.set(index, { receivedAt, refusedAt: refused ? now() : null });
    })();
  });
  return { index, server, url, rs };
}

/** The refresh grant on a seeded refresh token: the user's access token before the revoke. */
async function accessTokenFor(origin: string, refreshToken: string): Promise<string> {
  const res = await fetch(`${origin}/${BENCH_TENANT.id}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      client_id: BENCH_PUBLIC_CLIENT,
      refresh_token: refreshToken,
      scope: BENCH_SCOPES,
    }).toString(),
  });
  const body = (await res.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`refresh failed: ${res.status}`);
  return body.access_token;
}

async function adminToken(origin: string): Promise<string> {
  const res = await fetch(`${origin}/${BENCH_TENANT.id}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: BENCH_ADMIN_APP,
      client_secret: BENCH_ADMIN_SECRET,
      scope: 'https://graph.microsoft.com/.default',
    }).toString(),
  });
  const body = (await res.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`admin token failed: ${res.status}`);
  return body.access_token;
}

/** The seeded data dir plus one relying-party app per receiver, holding the SSF permission. */
async function seed(dataDir: string, users: number, receivers: number): Promise<{ userIds: string[]; tokens: string[] }> {
  const seeded = await seedPortcullis(dataDir, users);
  const store = openSqliteStore(seeded.dbFile, Date.now());
  const hash = await hashSecret(RECEIVER_SECRET);
  for (let i = 0; i < receivers; i++) {
    await store.applications.upsert({
      tenantId: BENCH_TENANT.id,
      appId: receiverAppId(i),
      displayName: `Bench receiver ${i}`,
      publicClientRedirectUris: [],
      webRedirectUris: [],
      spaRedirectUris: [],
      secrets: [{ keyId: receiverAppId(i), hash, hint: 'ben', displayName: null, endDateTime: null }],
      allowPublicClientFlows: false,
      delegatedPermissions: [],
      applicationPermissions: ['SharedSignals.ReadWrite.All'],
      createdAt: Date.now(),
    });
  }
  await store.close();
  return seeded;
}

async function startPortcullisServe(dataDir: string, dist: string, cpuProf: string): Promise<Server> {
  const prof = cpuProf ? ['--cpu-prof', '--cpu-prof-dir', cpuProf] : [];
  return startServer({
    args: [...prof, `${dist}/cli/main.js`, 'serve', '--port', '0', '--data-dir', dataDir, '--log-level', 'silent'],
    // Push endpoints on loopback are plain http: allowed explicitly (docs/push-revocation.md).
    env: { PORTCULLIS_SSF_ALLOW_HTTP_PUSH: 'true' },
    ready: /Portcullis ready[\s\S]*issuer:\s+\S+\n/,
    parse: (banner, pid) => ({ port: Number(/issuer:\s+https?:\/\/[^:]+:(\d+)\//.exec(banner)?.[1]), pids: [pid] }),
  });
}

interface Revoked {
  userId: string;
  sentAt: number;
  answeredAt: number;
  status: number;
}

export async function runPushBench(o: PushBenchOptions): Promise<PushBenchResult> {
  requireBuild();
  const mod = (await import(join(ROOT, o.dist, 'resource-server/index.js'))) as ResourceServerModule;
  const dataDir = mkdtempSync(join(o.dataRoot, 'portcullis-bench-push-'));
  const users = o.revokes + o.warmupRevokes;
  const receivers: Receiver[] = [];
  let server: Server | null = null;
  let revoker: ReturnType<typeof fork> | null = null;
  try {
    const seeded = await seed(dataDir, users + 1, o.receivers);
    server = await startPortcullisServe(dataDir, o.dist, o.cpuProf);
    const origin = `http://127.0.0.1:${server.port}`;
    // The issuer exactly as the server names it (its public URL is http://localhost:<port>).
    const issuer = /issuer:\s+(\S+)/.exec(server.banner)?.[1] ?? `${origin}/${BENCH_TENANT.id}/v2.0`;
    const accessTokens = new Map<string, string>();
    for (let u = 0; u < users; u++) accessTokens.set(seeded.userIds[u]!, await accessTokenFor(origin, seeded.tokens[u]!));
    const arrivals: Arrivals = new Map();
    for (let i = 0; i < o.receivers; i++) receivers.push(await startReceiver(i, mod, issuer, accessTokens, arrivals));

    revoker = fork(join(ROOT, 'bench/servers/revoker.mjs'), [], {
      env: { ...process.env, BENCH_ORIGIN: origin, BENCH_TOKEN: await adminToken(origin), BENCH_WARMUP_USER: seeded.userIds[users]! },
    });
    const replies: Revoked[] = [];
    let waiting: ((r: Revoked) => void) | null = null;
    revoker.on('message', (m) => {
      if (m !== 'ready') waiting?.(m as Revoked);
    });
    await new Promise<void>((resolve) => revoker!.once('message', () => resolve()));

    const before = loadAverage();
    let missing = 0;
    for (let u = 0; u < users; u++) {
      const userId = seeded.userIds[u]!;
      const reply = await new Promise<Revoked>((resolve) => {
        waiting = resolve;
        revoker!.send({ userId });
      });
      if (reply.status !== 200) throw new Error(`revoke answered ${reply.status}`);
      // Bounded: until every receiver has this user's SET, or the delivery timeout.
      const deadline = now() + o.deliveryTimeoutMs;
      while ((arrivals.get(userId)?.size ?? 0) < o.receivers && now() < deadline) await sleep(2);
      if (u >= o.warmupRevokes) {
        replies.push(reply);
        missing += o.receivers - (arrivals.get(userId)?.size ?? 0);
      }
      await sleep(o.intervalMs);
    }
    const after = loadAverage();

    const received: number[] = [];
    const refused: number[] = [];
    const receivedAfterAnswer: number[] = [];
    const refusedAfterAnswer: number[] = [];
    let notRefused = 0;
    const first: number[] = [];
    const last: number[] = [];
    for (const r of replies) {
      const times = [...(arrivals.get(r.userId)?.values() ?? [])].map((sample) => sample.receivedAt - r.sentAt);
      if (times.length > 0) {
        first.push(Math.min(...times));
        last.push(Math.max(...times));
      }
      for (const sample of arrivals.get(r.userId)?.values() ?? []) {
        received.push(sample.receivedAt - r.sentAt);
        receivedAfterAnswer.push(sample.receivedAt - r.answeredAt);
        if (sample.refusedAt === null) notRefused += 1;
        else {
          refused.push(sample.refusedAt - r.sentAt);
          refusedAfterAnswer.push(sample.refusedAt - r.answeredAt);
        }
      }
    }
    return {
      receivers: o.receivers,
      revokes: replies.length,
      revokeAnswerMs: summarise(replies.map((r) => r.answeredAt - r.sentAt)),
      setReceivedMs: summarise(received),
      refusedMs: summarise(refused),
      setReceivedAfterAnswerMs: summarise(receivedAfterAnswer),
      refusedAfterAnswerMs: summarise(refusedAfterAnswer),
      firstSetMs: summarise(first),
      lastSetMs: summarise(last),
      missing,
      notRefused,
      loadAverage: { before, after },
    };
  } finally {
    revoker?.send('stop');
    for (const r of receivers) {
      await r.rs.close();
      r.server.closeAllConnections();
      await new Promise<void>((resolve) => r.server.close(() => resolve()));
    }
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    if (o.cpuProf) printProfile(o.cpuProf);
  }
}

function printProfile(dir: string): void {
  // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile: thread 0 is the main thread (the event loop);
  // the others are worker threads (the SQLite checkpointer).
  const file = readdirSync(dir).find((f) => /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/.test(f));
  if (!file) return console.log(`no profile in ${dir}`);
  console.log(`profile: ${join(dir, file)}`);
  console.log(summariseProfile(JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile, 30));
}

export function printPushBench(r: PushBenchResult): string {
  const row = (name: string, s: LatencySummary) => [name, s.count, round(s.p50), round(s.p90), round(s.p99), round(s.max)];
  return table(
    ['from revoke sent to', 'samples', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms'],
    [
      row('revoke answered', r.revokeAnswerMs),
      row('SET received', r.setReceivedMs),
      row('middleware refuses', r.refusedMs),
      row('SET received (from answer)', r.setReceivedAfterAnswerMs),
      row('refuses (from answer)', r.refusedAfterAnswerMs),
      row('first SET of a revoke', r.firstSetMs),
      row('last SET of a revoke', r.lastSetMs),
    ],
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const o = pushBenchOptions(process.argv.slice(2));
  const r = await runPushBench(o);
  console.log(`data dir under ${o.dataRoot}`);
  console.log(
    `push revocation: ${r.receivers} push receivers, ${r.revokes} revokes (+${o.warmupRevokes} warm-up), one every ${o.intervalMs} ms after the previous one's SETs arrived`,
  );
  console.log(printPushBench(r));
  console.log(
    `missing SETs: ${r.missing}; received but token not refused: ${r.notRefused}; load average ${r.loadAverage.before} -> ${r.loadAverage.after}`,
  );
  console.log(`target p99 < 100 ms (revoke sent -> middleware refuses): ${r.refusedMs.p99 < 100 ? 'met' : 'missed'}`);
  console.log(`written to ${writeResult('push-latency', { machine: machine(), options: o, result: r })}`);
  if (r.missing > 0 || r.notRefused > 0) process.exitCode = 1;
}
