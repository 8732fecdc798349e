import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { b2Options, runB2 } from './b2-revoke.js';
import { seedPortcullis } from './lib/seed-portcullis.js';
import { startPortcullisOn } from './lib/targets.js';
import { round } from './lib/stats.js';
const dir = mkdtempSync(join(tmpdir(), 'b4ab-'));
const t = performance.now();
const seeded = await seedPortcullis(dir, Number(process.argv[2] ?? 1_000_000), { tokensPerUser: 10, keepTokensOf: 10000 });
console.log('seeded in', round((performance.now() - t) / 1000, 1), 's');
const chains = seeded.tokens.map((token, user) => ({ user, token, dead: false }));
const variants: [string, string, Record<string, string>][] = [['shipped', 'dist', {}], ['cache64M', 'bench/results/builds/dbg', { DBG_CACHE: '65536' }], ['ckpt100', 'bench/results/builds/dbg', { DBG_CKPT: '100' }], ['both', 'bench/results/builds/dbg', { DBG_CACHE: '65536', DBG_CKPT: '100' }]];
const o = { ...b2Options([]), durationMs: 5000 };
try {
  for (let r = 1; r <= 3; r++) {
    for (const [name, dist, env] of variants) {
      for (const k of ['DBG_CACHE', 'DBG_CKPT']) delete process.env[k];
      Object.assign(process.env, env);
      const running = await startPortcullisOn(dir, seeded.userIds, chains, { workers: 1, dist });
      const res = await runB2(o, running).finally(() => running.stop());
      console.log(`round ${r} ${name.padEnd(9)} refresh ${res.refreshRps}/s p50 ${round(res.refreshLatencyMs.p50)} p99 ${round(res.refreshLatencyMs.p99)}; revoke p50 ${round(res.revokeLatencyMs.p50)} p99 ${round(res.revokeLatencyMs.p99)} stale ${res.staleAcceptances}`);
    }
  }
} finally { rmSync(dir, { recursive: true, force: true }); }
