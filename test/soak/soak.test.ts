import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { USERS, daemonToken, seedJson } from '../scale/cluster.js';
import { FaultLoad, describeVerdict, judge } from '../faults/fault-load.js';
import { ServerProcess } from '../faults/server-process.js';
import { heapAfterLastMarkCompactMiB, processStats, quantile } from './process-stats.js';

/**
 * Bounded soak (docs/fault-injection.md, "Bounded soak"): one real `portcullis serve` process (compiled, SQLite) under steady
 * refresh load — one refresh chain per user, a revoke every 500 ms, and so a password sign-in
 * after each — for PORTCULLIS_SOAK_SECONDS (CI default 25; `npm run soak` runs 300). Every
 * interval it samples the server's resident memory and open file descriptors from /proc and the
 * latency of the requests that finished in it, and prints the table. After a warm-up (the first
 * fifth, at least 10 s) memory and descriptors must stay flat, with generous bounds (RSS < 1.5×
 * and < +64 MiB of the warm-up sample, fds <= warm-up + 8), and no request may fail. Latency is
 * printed, not asserted: this machine is shared, and a timing assertion would test the neighbours.
 * The server runs with --trace-gc, so each row also shows the V8 heap left after the latest full
 * (mark-compact) collection — the figure that tells a leak from a heap that has not been collected
 * yet — and the machine's 1-minute load average. PORTCULLIS_SOAK_LOG=<file> appends each row to
 * that file as it is sampled (a long run's curve while it runs); PORTCULLIS_SOAK_NODE_ARGS adds node
 * flags for the server, e.g. `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=/tmp/x` to compare
 * heap snapshots.
 */
const SECONDS = Number(process.env.PORTCULLIS_SOAK_SECONDS ?? 25);
const INTERVALS = 20;
const WARMUP_MS = Math.max(10_000, (SECONDS * 1000) / 5);
const LOG = process.env.PORTCULLIS_SOAK_LOG;
const NODE_ARGS = (process.env.PORTCULLIS_SOAK_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');

interface Row {
  t: number;
  rssMiB: number;
  heapMiB: number;
  load1: number;
  fds: number;
  requests: number;
  p50: number;
  p99: number;
  max: number;
  failed: number;
}

test(`soak: ${SECONDS} s of refreshes, revokes and sign-ins; memory and descriptors flat, no errors`, {
  timeout: SECONDS * 1000 + 180_000,
}, async () => {
  assert.ok(Number.isFinite(SECONDS) && SECONDS >= 20 && SECONDS <= 3600, 'PORTCULLIS_SOAK_SECONDS: 20..3600');
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-soak-'));
  const seedFile = join(dir, 'seed.json');
  writeFileSync(seedFile, seedJson());
  const server = await ServerProcess.start({ dataDir: join(dir, 'data'), seedFile, nodeArgs: ['--trace-gc', ...NODE_ARGS] });
  try {
    const admin = await daemonToken(server.base);
    const started = performance.now();
    const load = new FaultLoad({
      bases: () => [server.base],
      users: USERS,
      adminToken: admin,
      maxMs: SECONDS * 1000,
      maxRequests: 5_000_000,
      paceMs: 10,
      retryPauseMs: 100,
      revokeEveryMs: 500,
    });
    const rows: Row[] = [];
    let warm: Row | null = null;
    let seen = 0;
    const intervalMs = (SECONDS * 1000) / INTERVALS;
    const header = '   t(s)  RSS(MiB)  heap-after-GC(MiB)  fds  requests  p50(ms)  p99(ms)  max(ms)  failed  load1';
    const line = (r: Row): string =>
      `${r.t.toFixed(1).padStart(7)}  ${r.rssMiB.toFixed(1).padStart(8)}  ${r.heapMiB.toFixed(1).padStart(18)}  ${String(r.fds).padStart(3)}  ${String(r.requests).padStart(8)}  ${r.p50.toFixed(1).padStart(7)}  ${r.p99.toFixed(1).padStart(7)}  ${r.max.toFixed(1).padStart(7)}  ${String(r.failed).padStart(6)}  ${r.load1.toFixed(2).padStart(5)}${r === warm ? '  <- warm-up' : ''}`;
    const first = processStats(server.pid);
    if (LOG)
      appendFileSync(
        LOG,
        `soak ${SECONDS} s, server pid ${server.pid}, RSS at start ${(first.rssBytes / 1048576).toFixed(1)} MiB, fds ${first.fds}\n${header}\n`,
      );
    try {
      // One sample at the end of each interval: bounded by INTERVALS, and so by SECONDS.
      for (let i = 1; i <= INTERVALS; i++) {
        await sleep(Math.max(0, started + i * intervalMs - performance.now()));
        const done = load.samples.slice(seen);
        seen += done.length;
        const ms = done.map((s) => s.end - s.start);
        const stats = processStats(server.pid);
        const row: Row = {
          t: (performance.now() - started) / 1000,
          rssMiB: stats.rssBytes / 1048576,
          heapMiB: heapAfterLastMarkCompactMiB(server.output),
          load1: loadavg()[0]!,
          fds: stats.fds,
          requests: done.length,
          p50: quantile(ms, 0.5),
          p99: quantile(ms, 0.99),
          max: Math.max(...ms),
          failed: done.filter((s) => s.outcome.status !== 200 && !(s.kind === 'refresh' && s.outcome.codes === '[50173]')).length,
        };
        rows.push(row);
        if (!warm && performance.now() - started >= WARMUP_MS) warm = row;
        if (LOG) appendFileSync(LOG, `${line(row)}\n`);
      }
    } finally {
      await load.stop();
    }
    const verdict = judge(load.samples);
    const table = [header, ...rows.map(line)].join('\n');
    const db = join(dir, 'data', 'portcullis.db');
    const summary =
      `soak ${SECONDS} s: ${load.samples.length} requests (${Math.round(load.samples.length / SECONDS)}/s), ${describeVerdict(verdict)}, ` +
      `revokes=${load.revokes.length}, sign-ins=${load.samples.filter((s) => s.kind === 'signIn').length}; ` +
      `RSS at start ${(first.rssBytes / 1048576).toFixed(1)}, first sample ${rows[0]!.rssMiB.toFixed(1)} -> warm ${warm?.rssMiB.toFixed(1)} -> end ${rows.at(-1)!.rssMiB.toFixed(1)} MiB; ` +
      `fds ${rows[0]!.fds} -> warm ${warm?.fds} -> end ${rows.at(-1)!.fds}; database ${(statSync(db).size / 1048576).toFixed(1)} MiB; I1 violations=${load.violations().length}`;
    console.log(`${table}\n${summary}`);
    if (LOG) appendFileSync(LOG, `${summary}\n`);

    assert.ok(warm, 'the warm-up ended before the load did');
    const afterWarm = rows.slice(rows.indexOf(warm) + 1);
    assert.ok(afterWarm.length >= 2, `samples after warm-up: ${afterWarm.length}`);
    for (const r of afterWarm) {
      assert.ok(
        r.rssMiB < warm.rssMiB * 1.5 && r.rssMiB < warm.rssMiB + 64,
        `RSS at ${r.t} s: ${r.rssMiB.toFixed(1)} MiB vs ${warm.rssMiB.toFixed(1)} after warm-up\n${table}`,
      );
      assert.ok(r.fds <= warm.fds + 8, `fds at ${r.t} s: ${r.fds} vs ${warm.fds} after warm-up\n${table}`);
      assert.ok(r.requests > 0, `no request finished in the interval ending at ${r.t} s\n${table}`);
    }
    assert.deepEqual(verdict.unexpected.slice(0, 5), [], summary);
    assert.equal(verdict.unavailable, 0, `no 503 without a fault: ${summary}`);
    assert.deepEqual(load.violations(), [], summary);
    assert.ok(load.revokes.length >= SECONDS, `periodic revokes answered: ${load.revokes.length}`);
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
