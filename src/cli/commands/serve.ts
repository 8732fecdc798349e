/**
 * `portcullis serve`: open the store, seed it, build the app and listen until SIGINT/SIGTERM.
 * The lines printed on start are a contract (tests and scripts parse them): keep their shape.
 */
import type { FastifyInstance } from 'fastify';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { createApp, type PortcullisApp } from '../../app.js';
import { systemClock } from '../../clock.js';
import { ConfigError, DEFAULT_TOKEN_LIFETIMES, ENTRA_CAE_ACCESS_TOKEN_SECONDS, makeAppConfig, type AppConfig } from '../../config.js';
import { SeedError, applySeed, demoSeed, parseSeed, type Seed, type SeedProgress } from '../../core/seed.js';
import { openInvalidationFeed } from '../../cluster/open-feed.js';
import { createManagementServer } from '../../ops/management-server.js';
import { CONSOLE_PATHS } from '../../console/routes.js';
import { ConflictError, type Store } from '../../store/store.js';
import { openSqliteStore } from '../../store/sqlite/open.js';
import { DataDirLockedError, holdServeLock, type HeldLock } from '../../store/sqlite/data-dir-lock.js';
import { describeModeChange, preparePrivateDataDir, type ModeChange } from '../data-dir.js';
import { openDatabase } from '../database.js';
import { CliError, parseServeOptions, serveHelp, type DatabaseOptions, type ServeOptions } from '../serve-options.js';
import { seedProgressLine, seedReportLines } from '../seed-report.js';
import { lowerThreadPoolPriority } from '../thread-pool-priority.js';
import { loadTlsFiles, machineTlsDir, selfSignedBanner, selfSignedTls, type TlsMaterial } from '../tls.js';

type Print = (line: string) => void;
const print: Print = (line) => process.stdout.write(`${line}\n`);

/** Bind-and-release: tells whether the port is free now, and which one the OS picks for port 0. */
async function reservePort(host: string, port: number): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', (e: NodeJS.ErrnoException) => reject(listenError(e, host, port)));
    probe.listen({ host, port, exclusive: true }, () => {
      const address = probe.address();
      const chosen = typeof address === 'object' && address ? address.port : port;
      probe.close(() => resolvePort(chosen));
    });
  });
}

function listenError(e: NodeJS.ErrnoException, host: string, port: number): CliError {
  switch (e.code) {
    case 'EADDRINUSE':
      return new CliError(`port ${port} on ${host} is already in use (choose another with --port, or 0 for any free port)`, 1);
    case 'EACCES':
      return new CliError(`not allowed to listen on port ${port} on ${host} (ports below 1024 need privileges)`, 1);
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new CliError(`cannot listen on host '${host}': no such local address`, 2);
    default:
      return new CliError(`cannot listen on ${host}:${port}: ${e.message}`, 1);
  }
}

/** The URL clients use: a wildcard or loopback bind is reached as localhost (the certificate's name). */
export function defaultPublicUrl(host: string, port: number, https: boolean): string {
  const local = ['0.0.0.0', '::', '127.0.0.1', 'localhost'].includes(host.toLowerCase());
  const name = local ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `${https ? 'https' : 'http'}://${name}:${port}`;
}

async function readSeedFile(file: string): Promise<Seed> {
  let raw: string;
  try {
    raw = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new CliError(`cannot read seed file '${file}': ${reason}`, 2);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (e) {
    throw new CliError(`seed file '${file}' is not valid JSON: ${(e as Error).message}`, 2);
  }
  try {
    return parseSeed(json);
  } catch (e) {
    if (e instanceof SeedError) throw new CliError(`seed file '${file}': ${e.message}`, 2);
    throw e;
  }
}

async function loadTls(opts: ServeOptions): Promise<TlsMaterial | null> {
  switch (opts.tls.kind) {
    case 'none':
      return null;
    case 'files':
      return loadTlsFiles(opts.tls.certFile, opts.tls.keyFile);
    case 'self-signed':
      return selfSignedTls(machineTlsDir(process.env), Date.now(), join(opts.dataDir, 'tls'));
  }
}

/** Tells `portcullis restore` that this directory is in use (data-dir-lock.ts); SQLite only. */
function lockDataDir(dataDir: string): HeldLock {
  try {
    return holdServeLock(dataDir);
  } catch (e) {
    if (e instanceof DataDirLockedError) throw new CliError(e.message, 1);
    throw new CliError(`cannot lock data directory '${dataDir}': ${(e as Error).message}`, 1);
  }
}

async function openStore(dataDir: string, database: DatabaseOptions | null): Promise<Store> {
  if (database) return openDatabase(database);
  const file = join(dataDir, 'portcullis.db');
  try {
    return openSqliteStore(file, systemClock.now());
  } catch (e) {
    throw new CliError(`cannot open database '${file}': ${(e as Error).message}`, 1);
  }
}

/**
 * Applies the seed, tolerating other instances applying the same seed at the same moment: the
 * loser of an insert race gets ConflictError, and the next pass finds the rows the winner created
 * and leaves them as they are (unchanged, or adopted if the winner has not recorded them yet,
 * src/core/seed.ts). Each conflict means another
 * process created one more seed row (tenant or user; applications are upserts), so the number of
 * passes is bounded by that row count plus one.
 */
async function applySeedShared(store: Store, seed: Seed, seedFile: string): ReturnType<typeof applySeed> {
  const maxAttempts = seed.users.length + 2;
  // On stderr: stdout's summary and ready banner are what scripts parse.
  const onProgress = (p: SeedProgress) => process.stderr.write(`${seedProgressLine(seedFile, p)}\n`);
  for (let attempt = 1; ; attempt++) {
    try {
      return await applySeed(store, seed, systemClock, { onProgress });
    } catch (e) {
      if (!(e instanceof ConflictError) || attempt >= maxAttempts) throw e;
    }
  }
}

/** Applies --seed, or on a store with no tenant creates the demo tenant and shows its password once. */
async function prepareTenant(store: Store, seed: Seed | null, seedFile: string | null): Promise<void> {
  if (seed) {
    try {
      const r = await applySeedShared(store, seed, seedFile ?? '');
      for (const line of seedReportLines(seedFile ?? '', r)) print(line);
    } catch (e) {
      if (e instanceof SeedError) throw new CliError(`seed file '${seedFile}': ${e.message}`, 2);
      throw e;
    }
    return;
  }
  if (await store.tenants.get()) return;
  const demo = demoSeed();
  await applySeed(store, demo.seed, systemClock);
  const admin = demo.seed.users[0];
  // Printed as soon as it exists: if start-up fails later, the password is not lost.
  print(`Created the demo tenant '${demo.seed.tenant.displayName}' (${demo.seed.tenant.domain}).`);
  print(`  admin:      ${admin?.userPrincipalName ?? ''}`);
  print(`  password:   ${demo.adminPassword}`);
  print('  (the password is shown only this once; a seed file sets your own users: see docs/seed-file.md)');
}

function printReady(app: PortcullisApp, publicUrl: string, tls: TlsMaterial | null, feed: string | null, management: string | null): void {
  const { id, domain } = app.tenant;
  const reload = `${feed ? `${feed} and ` : ''}a check every ${app.services.config.keyReloadSeconds} s`;
  print('Portcullis ready');
  print(`  issuer:     ${publicUrl}/${id}/v2.0`);
  print(`  discovery:  ${publicUrl}/${id}/v2.0/.well-known/openid-configuration`);
  print(`  graph:      ${publicUrl}/v1.0`);
  // The console's two areas (docs/console.md): every user's, and the administrators'.
  print(`  myaccount:  ${publicUrl}${CONSOLE_PATHS.account}`);
  print(`  console:    ${publicUrl}${CONSOLE_PATHS.admin} (administrators)`);
  if (management) print(`  metrics:    ${management}/metrics (also /healthz, /readyz)`);
  print(`  tenant:     ${id} (${domain})`);
  // Which channel brings `portcullis keys rotate` to this instance (docs/deployment.md).
  print(`  keys:       signing with ${app.services.keys.signingKid}; rotations picked up via ${reload}`);
  const next = app.services.keys.nextKey;
  if (next) print(`  next key:   ${next.kid}, published, signs from ${new Date(next.activatesAt).toISOString()}`);
  if (tls?.selfSigned) {
    for (const line of selfSignedBanner(tls, publicUrl)) print(line);
  } else if (tls) {
    print(`  tls cert:   ${tls.certFile}`);
  }
}

/** Resolves once the server has stopped after SIGINT/SIGTERM. */
function waitForStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolveSignal) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolveSignal(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

export function buildConfig(opts: ServeOptions, port: number, https: boolean): Readonly<AppConfig> {
  const publicUrl = opts.publicUrl ?? defaultPublicUrl(opts.host, port, https);
  try {
    return makeAppConfig({
      publicUrl,
      // Only a deployment that declares its public URL sits behind a proxy whose X-Forwarded-* we may believe.
      trustProxy: opts.publicUrl !== null,
      logLevel: opts.logLevel,
      secure: publicUrl.startsWith('https:'),
      ...(opts.caeLongLivedTokens
        ? {
            tokens: {
              ...DEFAULT_TOKEN_LIFETIMES,
              caeAccessTokenMinSeconds: ENTRA_CAE_ACCESS_TOKEN_SECONDS.min,
              caeAccessTokenMaxSeconds: ENTRA_CAE_ACCESS_TOKEN_SECONDS.max,
            },
          }
        : {}),
      outbox: opts.outbox,
      ssf: { allowHttpPushEndpoints: opts.ssfAllowHttpPush },
      abuse: opts.abuse,
      signIns: opts.signIns,
      ...(opts.keyLeadSeconds !== null ? { keyLeadSeconds: opts.keyLeadSeconds } : {}),
    });
  } catch (e) {
    if (e instanceof ConfigError) throw new CliError(e.message, 2);
    throw e;
  }
}

const SHUTDOWN_GRACE_MS = 10_000;

async function shutdown(app: PortcullisApp | null, store: Store): Promise<void> {
  // A stuck connection must not keep a stopped server alive forever.
  const timer = setTimeout(() => {
    process.stderr.write('portcullis: shutdown took too long; exiting\n');
    process.exit(1);
  }, SHUTDOWN_GRACE_MS);
  timer.unref();
  try {
    await app?.close();
  } finally {
    await store.close();
    clearTimeout(timer);
  }
}

/** Runs the serve verb; returns the process exit code. */
export async function serve(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const opts = parseServeOptions(argv, env);
  if (!opts) {
    process.stdout.write(serveHelp());
    return 0;
  }
  // Everything that can be wrong with the configuration is checked before the store is touched.
  const seed = opts.seedFile ? await readSeedFile(opts.seedFile) : null;
  const dataDir = resolve(opts.dataDir);
  let modeChanges: ModeChange[];
  try {
    modeChanges = preparePrivateDataDir(dataDir);
  } catch (e) {
    throw new CliError(`cannot create data directory '${dataDir}': ${(e as Error).message}`, 1);
  }
  // A notice, not an error: the directory is private from now on, and the operator should know
  // that it was not before (the signing keys may have been readable by other accounts).
  if (modeChanges.length > 0)
    print(`Data directory '${dataDir}': made private (owner only): ${modeChanges.map(describeModeChange).join(', ')}`);
  const tls = await loadTls({ ...opts, dataDir });
  // The issuer contains the port, and the app is built before it listens: so learn the port first.
  const port = await reservePort(opts.host, opts.port);
  const config = buildConfig(opts, port, tls !== null);

  const dirLock = opts.database ? null : lockDataDir(dataDir);
  const store = await openStore(dataDir, opts.database).catch((e: unknown) => {
    dirLock?.release();
    throw e;
  });
  // Installed before anything is printed: whoever reads 'Portcullis ready' may signal at once, and
  // a SIGTERM that arrived before the handler would kill the process without closing the store.
  const stopSignal = waitForStopSignal();
  let app: PortcullisApp | null = null;
  let management: FastifyInstance | null = null;
  try {
    // Before the first token is signed; it overlaps the start-up (thread-pool-priority.ts).
    const poolPriority = lowerThreadPoolPriority(opts.threadPoolNice);
    await prepareTenant(store, seed, opts.seedFile);
    const invalidation = await openInvalidationFeed({ redisUrl: opts.redisUrl, databaseUrl: opts.database?.url ?? null });
    app = await createApp({ config, store, clock: systemClock, invalidation, ...(tls ? { https: { cert: tls.cert, key: tls.key } } : {}) });
    try {
      await app.http.listen({ host: opts.host, port });
    } catch (e) {
      throw listenError(e as NodeJS.ErrnoException, opts.host, port);
    }
    let managementUrl: string | null = null;
    if (opts.metricsPort !== null) {
      management = createManagementServer(app.ops);
      try {
        await management.listen({ host: opts.metricsHost, port: opts.metricsPort });
      } catch (e) {
        throw listenError(e as NodeJS.ErrnoException, opts.metricsHost, opts.metricsPort);
      }
      const address = management.server.address();
      // Plain HTTP: a scraper inside the deployment's network, not a client of the public URL.
      managementUrl = defaultPublicUrl(opts.metricsHost, typeof address === 'object' && address ? address.port : opts.metricsPort, false);
    }
    await poolPriority;
    printReady(app, config.publicUrl, tls, invalidation?.name ?? null, managementUrl);
  } catch (e) {
    await management?.close().catch(() => undefined);
    await shutdown(app, store).catch(() => undefined);
    dirLock?.release();
    throw e;
  }

  await stopSignal;
  await management?.close();
  await shutdown(app, store);
  dirLock?.release();
  print('Portcullis stopped');
  return 0;
}
