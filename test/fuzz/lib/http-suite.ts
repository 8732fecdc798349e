import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, test } from 'node:test';
import { fuzzContext } from './context.js';
import { httpEntry, loadCorpus, saveToCorpus, toWire } from './corpus.js';
import { fuzzTarget, send, type TargetStats } from './runner.js';
import type { FuzzServer, MemoryFigures } from './server-process.js';
import { fuzzSettings } from './settings.js';
import type { FuzzContext, HttpTarget } from './target.js';
import { authorizeTarget } from '../targets/authorize.js';
import { batchTarget } from '../targets/batch.js';
import { deviceTarget } from '../targets/device.js';
import { graphTarget } from '../targets/graph.js';
import { rawTarget } from '../targets/raw.js';
import { revokeIntrospectTarget } from '../targets/revoke-introspect.js';
import { ssfTarget } from '../targets/ssf.js';
import { tokenTarget } from '../targets/token.js';

/**
 * The HTTP fuzz suite, which test/fuzz/http-*.test.ts run on SQLite and PostgreSQL: every HTTP
 * input surface against a real server process over loopback with keep-alive: grammar-aware generators (valid requests of each endpoint, then mutated) plus
 * random bytes. Every answer must be < 500 without a stack trace, the server must stay up, and
 * its heap and RSS after a full GC must not grow past a generous bound.
 */
export interface PlannedTarget {
  target: HttpTarget;
  count: number;
}

export const TARGETS = {
  token: tokenTarget,
  authorize: authorizeTarget,
  device: deviceTarget,
  graph: graphTarget,
  batch: batchTarget,
  raw: rawTarget,
  ssf: ssfTarget,
  revokeIntrospect: revokeIntrospectTarget,
};
const WARMUP_PER_TARGET = 200;
const CONCURRENCY = 8;
const MiB = 1024 * 1024;
// Generous: the point is "no leak proportional to the inputs", not a tight budget.
const MAX_HEAP_GROWTH = 64 * MiB;
const MAX_RSS_GROWTH = 256 * MiB;

/** Registers the corpus replay and the fuzz run against a server `start` brings up. */
export function httpFuzzSuite(
  label: string,
  plan: PlannedTarget[],
  start: () => Promise<FuzzServer>,
  cleanup: () => Promise<void> = async () => undefined,
): void {
  const settings = fuzzSettings();
  let server: FuzzServer;
  let ctx: FuzzContext;
  before(async () => {
    server = await start();
    ctx = await fuzzContext(server);
  });
  after(async () => {
    await server?.stop();
    await cleanup();
  });

  test(`${label}: every corpus input that once failed is answered < 500`, async () => {
    const entries = loadCorpus('http');
    for (const { file, entry } of entries) {
      const out = await send(server, toWire(entry, ctx));
      assert.equal(out.failure, null, `${file} (${entry.target}, was: ${entry.reason}): ${out.failure}\n${server.recentLog()}`);
    }
    console.log(`fuzz corpus (${label}): ${entries.length} inputs replayed`);
  });

  // Its own time bound (PORTCULLIS_FUZZ_SECONDS) plus room for the memory checks, not the runner's default.
  test(`${label}: ${plan.map((p) => p.target.name).join(', ')}`, { timeout: (settings.seconds + 120) * 1000 }, async () => {
    const deadline = performance.now() + settings.seconds * 1000;
    const opts = (count: number, seed: number) => ({ seed, count, deadline, concurrency: CONCURRENCY });
    for (const { target } of plan) await fuzzTarget(server, target, ctx, opts(WARMUP_PER_TARGET, settings.seed ^ 0x5a5a5a5a));
    const before: MemoryFigures = await server.memory();

    const stats: TargetStats[] = [];
    for (const { target, count } of plan) {
      const s = await fuzzTarget(server, target, ctx, opts(Math.round(count * settings.scale), settings.seed));
      stats.push(s);
      const statuses = Object.entries(s.byStatus)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => `${k}:${v}`)
        .join(' ');
      console.log(
        `fuzz ${label} ${s.name}: ${s.inputs} inputs in ${s.seconds.toFixed(1)} s (${(s.inputs / s.seconds).toFixed(0)}/s); statuses ${statuses}; connection closed ${s.connectionErrors}; failures ${s.failures.length}`,
      );
      if (s.timedOut || server.exited) break;
    }
    const afterFuzz = server.exited ? null : await server.memory();

    const failures = stats.flatMap((s) => s.failures.map((f) => ({ ...f, target: s.name })));
    const saved = failures.map((f) => saveToCorpus(httpEntry(f.target, f.reason, f.request, ctx)));
    const total = stats.reduce((n, s) => n + s.inputs, 0);
    const fmt = (m: MemoryFigures) => `heap ${(m.heapUsed / MiB).toFixed(1)} MiB, rss ${(m.rss / MiB).toFixed(1)} MiB`;
    console.log(
      `fuzz ${label}: seed=${settings.seed} total inputs=${total} (+${WARMUP_PER_TARGET * plan.length} warm-up); memory before ${fmt(before)}; after ${afterFuzz ? fmt(afterFuzz) : 'n/a (server died)'}`,
    );

    assert.equal(server.exited, false, `the server died\n${server.recentLog()}`);
    assert.deepEqual(
      failures.map((f, i) => `${f.target} #${f.index}: ${f.reason} -> ${saved[i]}`),
      [],
      `replay with PORTCULLIS_FUZZ_SEED=${settings.seed}; server log:\n${server.recentLog()}`,
    );
    const planned = plan.reduce((n, t) => n + Math.round(t.count * settings.scale), 0);
    assert.equal(total, planned, `the time bound (${settings.seconds} s) cut the run short: ${total} of ${planned} inputs`);
    assert.ok(afterFuzz);
    assert.ok(afterFuzz.heapUsed - before.heapUsed < MAX_HEAP_GROWTH, `heap grew from ${fmt(before)} to ${fmt(afterFuzz)}`);
    assert.ok(afterFuzz.rss - before.rss < MAX_RSS_GROWTH, `rss grew from ${fmt(before)} to ${fmt(afterFuzz)}`);
  });
}
