#!/usr/bin/env node
/**
 * Portcullis on all cores: node:cluster with N worker processes, each the same app as
 * `portcullis serve` (dist/app.js over dist/store/sqlite) on the SAME SQLite file (WAL lets the
 * processes read side by side; writes take SQLite's write lock in turn, and every commit is
 * still synchronous=FULL). The primary only hands connections to the workers (round robin).
 * Run `npm run build` first. Usage:
 *   node bench/servers/portcullis-cluster.mjs --data-dir DIR [--workers N] [--port 0] [--dist DIR]
 * Prints `Portcullis ready`, then `port: P` and `pids: a,b,...` once every worker listens.
 */
import cluster from 'node:cluster';
import { createServer } from 'node:net';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    'data-dir': { type: 'string' },
    workers: { type: 'string' },
    port: { type: 'string', default: '0' },
    // Another build of Portcullis (bench/compare-builds.ts measures one change at a time).
    dist: { type: 'string', default: 'dist' },
  },
});
const dist = new URL(`../../${values.dist.replace(/\/?$/, '/')}`, import.meta.url);

if (cluster.isPrimary) {
  if (!values['data-dir']) throw new Error('--data-dir is required');
  const workers = Number(values.workers ?? availableParallelism());
  const port =
    Number(values.port) ||
    (await new Promise((done) => {
      const probe = createServer().listen({ host: '127.0.0.1', port: 0 }, () => {
        const p = probe.address().port;
        probe.close(() => done(p));
      });
    }));
  const env = { BENCH_PORT: String(port), BENCH_DB: join(resolve(values['data-dir']), 'portcullis.db') };
  let ready = 0;
  const pids = [];
  for (let i = 0; i < workers; i++) {
    const w = cluster.fork(env);
    pids.push(w.process.pid);
    w.on('message', (m) => {
      if (m === 'listening' && ++ready === workers) {
        process.stdout.write(`Portcullis ready\n  port: ${port}\n  pids: ${pids.join(',')}\n`);
      }
    });
    w.on('exit', (code, signal) => {
      if (!stopping) {
        process.stderr.write(`worker ${w.process.pid} exited (${code ?? signal})\n`);
        process.exit(1);
      }
    });
  }
  let stopping = false;
  const stop = () => {
    stopping = true;
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
    setTimeout(() => process.exit(0), 200).unref();
    cluster.on('exit', () => {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} else {
  const { createApp } = await import(new URL('app.js', dist).href);
  const { makeAppConfig } = await import(new URL('config.js', dist).href);
  const { systemClock } = await import(new URL('clock.js', dist).href);
  const { openSqliteStore } = await import(new URL('store/sqlite/open.js', dist).href);
  const port = Number(process.env.BENCH_PORT);
  const store = openSqliteStore(process.env.BENCH_DB, Date.now());
  const config = makeAppConfig({ publicUrl: `http://localhost:${port}`, logLevel: 'silent' });
  const app = await createApp({ config, store, clock: systemClock });
  await app.http.listen({ host: '127.0.0.1', port });
  process.send?.('listening');
  process.on('SIGTERM', async () => {
    await app.close();
    await store.close();
    process.exit(0);
  });
}
