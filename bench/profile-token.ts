/**
 * Profiles the token endpoint under B1's load: starts `portcullis serve` with `--cpu-prof`,
 * drives the refresh chains for `--duration` ms, stops the server (the profile is written on
 * exit) and prints the functions with the most self time, and self time grouped by where the
 * code lives. Open the .cpuprofile in Chrome DevTools or speedscope for the full picture.
 * Usage: npm run bench:profile -- [--duration ms] [--users n] [--concurrency n] [--top n]
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { numberOption } from './lib/common.js';
import { runClosedLoop } from './lib/loadgen.js';
import { ROOT, requireBuild, startServer } from './lib/processes.js';
import { BENCH_PUBLIC_CLIENT, BENCH_TENANT, seedPortcullis } from './lib/seed-portcullis.js';
import { round, table } from './lib/stats.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a frame's code lives: our src, a dependency, node itself, or the VM. */
function area(url: string, name: string): string {
  if (url.includes('/dist/'))
    return `portcullis ${url
      .slice(url.indexOf('/dist/') + 6)
      .split('/')
      .slice(0, 1)
      .join('/')}`;
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1] as string;
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  if (name === '(garbage collector)') return 'GC';
  if (name === '(idle)' || name === '(program)') return name;
  return url ? 'other' : `native ${name || '(anonymous)'}`;
}

export function summariseProfile(p: CpuProfile, top: number): string {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  let total = 0;
  const byFn = new Map<string, number>();
  const byArea = new Map<string, number>();
  for (const [id, us] of self) {
    const n = byId.get(id);
    if (!n) continue;
    const { functionName, url, lineNumber } = n.callFrame;
    if (functionName === '(idle)') continue;
    total += us;
    const key = `${functionName || '(anonymous)'} ${url.replace(/^.*\/(dist|node_modules)\//, '$1/')}:${lineNumber + 1}`;
    byFn.set(key, (byFn.get(key) ?? 0) + us);
    const a = area(url, functionName);
    byArea.set(a, (byArea.get(a) ?? 0) + us);
  }
  const pct = (us: number) => round((us / total) * 100, 1);
  const fns = [...byFn].sort((a, b) => b[1] - a[1]).slice(0, top);
  const areas = [...byArea].sort((a, b) => b[1] - a[1]).slice(0, 15);
  return [
    `busy time sampled: ${round(total / 1000, 0)} ms`,
    table(
      ['self %', 'function'],
      fns.map(([k, v]) => [pct(v), k]),
    ),
    '',
    table(
      ['self %', 'area'],
      areas.map(([k, v]) => [pct(v), k]),
    ),
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  requireBuild();
  const argv = process.argv.slice(2);
  const duration = numberOption(argv, 'duration', 8000);
  const users = numberOption(argv, 'users', 10_000);
  const concurrency = numberOption(argv, 'concurrency', 16);
  const top = numberOption(argv, 'top', 30);
  const dataDir = mkdtempSync(join(tmpdir(), 'portcullis-prof-'));
  const profDir = join(ROOT, 'bench/results/profiles', new Date().toISOString().replace(/[:.]/g, '-'));
  mkdirSync(profDir, { recursive: true });
  const seeded = await seedPortcullis(dataDir, users);
  const server = await startServer({
    args: [
      '--cpu-prof',
      '--cpu-prof-dir',
      profDir,
      'dist/cli/main.js',
      'serve',
      '--port',
      '0',
      '--data-dir',
      dataDir,
      '--log-level',
      'silent',
    ],
    ready: /Portcullis ready[\s\S]*issuer:\s+\S+\n/,
    parse: (banner, pid) => ({ port: Number(/issuer:\s+https?:\/\/[^:]+:(\d+)\//.exec(banner)?.[1]), pids: [pid] }),
  });
  const origin = `http://127.0.0.1:${server.port}`;
  const result = await runClosedLoop(
    {
      origin,
      path: `/${BENCH_TENANT.id}/oauth2/v2.0/token`,
      body: (token) =>
        new URLSearchParams({ grant_type: 'refresh_token', client_id: BENCH_PUBLIC_CLIENT, refresh_token: token }).toString(),
    },
    seeded.tokens.map((token, user) => ({ user, token, dead: false })),
    { concurrency, durationMs: duration, warmupMs: 0, maxRequests: 1_000_000 },
  );
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
  console.log(`${round(result.rps, 1)} refresh/s during the profile (the profiler slows the server down)`);
  const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('no profile written');
  console.log(`profile: ${join(profDir, file)}`);
  console.log(summariseProfile(JSON.parse(readFileSync(join(profDir, file), 'utf8')) as CpuProfile, top));
}
