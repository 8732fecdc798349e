/**
 * Retention cleanup under a revoke load (docs/sign-in-logs.md, "Retention and the cleanup job"):
 * a SQLite store holding `--rows` expired refresh tokens (one grant each, so the grants go too)
 * and as many old sign-in entries, cleaned by runRetention (src/core/retention.ts) in its bounded
 * batches while revocations run one after another. Reports revoke latency without and with the
 * cleanup running, and the cleanup's rows per second: a revoke should wait for one batch at
 * most, never for the whole cleanup. The revokes without cleanup run for `--quiet` ms before it
 * and as long again after it (the same run, the machine's load on both sides), reported together.
 * Usage: node --import tsx bench/cleanup-revoke.ts [--rows n] [--users n] [--interval ms] [--batch n] [--pause ms] [--quiet ms]
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeAppConfig } from '../src/config.js';
import { RETENTION_BATCH, RETENTION_PAUSE_MS, runRetention } from '../src/core/retention.js';
import { newGuid } from '../src/crypto/random.js';
import { openSqliteStore } from '../src/store/sqlite/open.js';
import { machine, numberOption, sleep, writeResult } from './lib/common.js';
import { round, summarise, table } from './lib/stats.js';

const argv = process.argv.slice(2);
const rows = numberOption(argv, 'rows', 200_000);
const users = numberOption(argv, 'users', 1000);
const intervalMs = numberOption(argv, 'interval', 5);
const batch = numberOption(argv, 'batch', RETENTION_BATCH);
const pauseMs = numberOption(argv, 'pause', RETENTION_PAUSE_MS);
const quietMs = numberOption(argv, 'quiet', 3000);
const TENANT = '7f3e2a1b-0c4d-4e5f-8a9b-1c2d3e4f5a6b';
const DAY = 86_400_000;
const now = Date.now();
const old = now - 120 * DAY;

const dir = mkdtempSync(join(tmpdir(), 'cleanup-revoke-'));
const file = join(dir, 'portcullis.db');
try {
  // Schema and tenant through the store; the bulk rows through one raw transaction (setup only).
  const setup = openSqliteStore(file, now);
  await setup.tenants.insert({ id: TENANT, domain: 'bench.test', displayName: 'Bench', createdAt: now });
  await setup.close();
  const db = new Database(file);
  const userIds = Array.from({ length: users }, () => newGuid());
  db.transaction(() => {
    const u = db.prepare(`INSERT INTO users (id, tenant_id, user_principal_name, upn_lower, display_name, account_enabled, created_at)
      VALUES (?, ?, ?, ?, ?, 1, ?)`);
    userIds.forEach((id, i) => u.run(id, TENANT, `u${i}@bench.test`, `u${i}@bench.test`, `U${i}`, now));
    const g = db.prepare(`INSERT INTO grants (id, tenant_id, user_id, client_id, session_id, scopes, epoch, auth_time, created_at)
      VALUES (?, ?, ?, 'bench-client', NULL, 'openid', 0, ?, ?)`);
    const t = db.prepare(`INSERT INTO refresh_tokens (hash, grant_id, tenant_id, user_id, client_id, scopes, epoch, issued_at, expires_at)
      VALUES (?, ?, ?, ?, 'bench-client', 'openid', 0, ?, ?)`);
    const s = db.prepare(`INSERT INTO sign_ins (id, tenant_id, created_at, user_id, user_principal_name, user_display_name, app_id,
      app_display_name, client_app_used, correlation_id, is_interactive, error_code, authentication_protocol)
      VALUES (?, ?, ?, ?, 'u@bench.test', 'U', 'bench-client', 'Bench', 'Browser', ?, 1, 0, 'oAuth2')`);
    for (let i = 0; i < rows; i++) {
      const user = userIds[i % users]!;
      const grant = newGuid();
      g.run(grant, TENANT, user, old, old);
      t.run(newGuid(), grant, TENANT, user, old, old + DAY);
      s.run(newGuid(), TENANT, old + i, user, newGuid());
    }
  })();
  db.close();

  const store = openSqliteStore(file, now);
  const config = makeAppConfig({ publicUrl: 'https://bench.test' });
  let next = 0;
  const revokeLoop = async (until: () => boolean): Promise<number[]> => {
    const ms: number[] = [];
    while (!until()) {
      const t0 = performance.now();
      await store.users.revoke(TENANT, userIds[next++ % users]!, Date.now(), { audit: [] });
      ms.push(performance.now() - t0);
      await sleep(intervalMs);
    }
    return ms;
  };
  const quietFor = async () => {
    const until = performance.now() + quietMs;
    return revokeLoop(() => performance.now() > until);
  };
  const before = await quietFor();
  let done = false;
  const t0 = performance.now();
  const cleaning = runRetention(store.retention, config, now, batch, pauseMs).then((deleted) => {
    done = true;
    return { deleted, ms: performance.now() - t0 };
  });
  const during = await revokeLoop(() => done);
  const cleanup = await cleaning;
  const after = await quietFor();
  await store.close();
  const quiet = [...before, ...after];
  const deletedRows = Object.values(cleanup.deleted).reduce((a, b) => a + b, 0);
  const q = summarise(quiet);
  const d = summarise(during);
  console.log(
    table(
      ['revokes', 'n', 'p50 ms', 'p99 ms', 'max ms'],
      [
        ['no cleanup (before + after)', q.count, round(q.p50), round(q.p99), round(q.max)],
        ['during cleanup', d.count, round(d.p50), round(d.p99), round(d.max)],
      ],
    ),
  );
  console.log(
    `cleanup: ${deletedRows} rows (${JSON.stringify(cleanup.deleted)}) in ${round(cleanup.ms / 1000)} s, ` +
      `${round((deletedRows / cleanup.ms) * 1000, 0)} rows/s, batches of ${batch}, at least ${pauseMs} ms apart`,
  );
  console.log(`revoke p99 during / without cleanup: ${round(d.p99 / q.p99, 3)}; p50: ${round(d.p50 / q.p50, 3)}`);
  writeResult('cleanup-revoke', { machine: machine(), rows, users, intervalMs, batch, pauseMs, quietMs, quiet: q, during: d, cleanup });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
