/**
 * B7: the session inventory at scale (docs/sessions.md). Seeds a SQLite store with `--rows`
 * sessions and grants (half each, `--per-user` per user, one refresh token per grant), then times
 * `store.inventory.list` for random users — the first page of 100, a second page by $skiptoken,
 * and the live filter — and the tenant-wide first page; prints p50/p90/p99 in ms and the query
 * plans (each branch must SEARCH an index, never SCAN a table). Target: p95 < 50 ms at 1,000,000 rows.
 * Usage: node --import tsx bench/b7-session-inventory.ts [--rows 1000000] [--per-user 100] [--samples 2000]
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Grant, RefreshTokenRecord, SsoSession, User } from '../src/core/model.js';
import { CREDENTIAL_SQL, grantArgs, refreshTokenArgs, sessionArgs } from '../src/store/sql/credentials.js';
import { inventoryPageSql } from '../src/store/sql/inventory.js';
import { openSqliteStore } from '../src/store/sqlite/open.js';
import { machine, numberOption, writeResult } from './lib/common.js';
import { round, summarise, table } from './lib/stats.js';

const argv = process.argv.slice(2);
const rows = numberOption(argv, 'rows', 1_000_000);
const perUser = numberOption(argv, 'per-user', 100);
const samples = numberOption(argv, 'samples', 2000);
const TENANT = '00000000-0000-4000-8000-0000000000b7';
const APPS = ['a1b2c3d4-0000-4000-8000-000000000001', 'a1b2c3d4-0000-4000-8000-000000000002', 'a1b2c3d4-0000-4000-8000-000000000003'];
const UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.0.0 Safari/537.36';
const guid = (n: number, kind: number) => `${kind.toString(16).padStart(8, '0')}-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

const dir = mkdtempSync(join(tmpdir(), 'b7-inventory-'));
const file = join(dir, 'portcullis.db');
try {
  const now = Date.now();
  const users = Math.max(1, Math.floor(rows / perUser));
  const migrated = openSqliteStore(file, now);
  await migrated.tenants.insert({ id: TENANT, domain: 'b7.test', displayName: 'B7', createdAt: now });
  await migrated.close();

  // Bulk seed with the adapter's own INSERTs, in one transaction (the store's API would commit each row).
  const seedStarted = performance.now();
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const insertUser = db.prepare(
    `INSERT INTO users (id, tenant_id, user_principal_name, upn_lower, display_name, mail, password_hash, account_enabled,
       revocation_epoch, sign_in_sessions_valid_from, refresh_tokens_valid_from, created_at)
     VALUES (?, ?, ?, ?, ?, NULL, NULL, 1, 0, NULL, NULL, ?)`,
  );
  const insertSession = db.prepare(CREDENTIAL_SQL.insertSession);
  const insertGrant = db.prepare(CREDENTIAL_SQL.insertGrant);
  const insertToken = db.prepare(CREDENTIAL_SQL.insertRefreshToken);
  db.transaction(() => {
    let n = 0;
    for (let u = 0; u < users; u++) {
      const user: Pick<User, 'id'> = { id: guid(u, 1) };
      insertUser.run(user.id, TENANT, `u${u}@b7.test`, `u${u}@b7.test`, `U${u}`, now);
      for (let i = 0; i < perUser / 2; i++, n++) {
        const at = now - (perUser - i) * 60_000;
        const session: SsoSession = {
          id: guid(n, 2),
          tokenHash: guid(n, 3),
          tenantId: TENANT,
          userId: user.id,
          epoch: 0,
          authTime: at,
          createdAt: at,
          expiresAt: at + (i % 3 === 0 ? 0 : 86_400_000),
          endedAt: null,
          clientId: APPS[i % APPS.length]!,
          clientIp: '198.51.100.7',
          userAgent: UA,
          signInMethod: 'password',
        };
        insertSession.run(...sessionArgs(session));
        const grant: Grant = {
          id: guid(n, 4),
          tenantId: TENANT,
          userId: user.id,
          clientId: APPS[i % APPS.length]!,
          sessionId: session.id,
          scopes: ['openid', 'offline_access'],
          epoch: 0,
          authTime: at,
          createdAt: at + 1,
          revokedAt: null,
          clientIp: '198.51.100.7',
          userAgent: UA,
          signInMethod: 'password',
        };
        insertGrant.run(...grantArgs(grant));
        const token: RefreshTokenRecord = {
          hash: guid(n, 5),
          grantId: grant.id,
          tenantId: TENANT,
          userId: user.id,
          clientId: grant.clientId,
          scopes: grant.scopes,
          epoch: 0,
          issuedAt: at + 1,
          expiresAt: at + 90 * 86_400_000,
          consumedAt: null,
          clientIp: '203.0.113.9',
          userAgent: UA,
        };
        insertToken.run(...refreshTokenArgs(token));
      }
    }
  })();
  db.exec('ANALYZE');
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  const plan = (q: Parameters<typeof inventoryPageSql>[0]) => {
    const { sql, args } = inventoryPageSql(q);
    return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[]).map((r) => r.detail);
  };
  const userPlan = plan({ tenantId: TENANT, userId: guid(0, 1), limit: 101, now });
  const tenantPlan = plan({ tenantId: TENANT, limit: 101, now });
  db.close();

  const store = openSqliteStore(file);
  const pick = () => guid(Math.floor(Math.random() * users), 1);
  const time = async (run: () => Promise<unknown>) => {
    const times: number[] = [];
    for (let i = 0; i < samples; i++) {
      const t = performance.now();
      await run();
      times.push(performance.now() - t);
    }
    return summarise(times);
  };
  const firstPage = await time(() => store.inventory.list({ tenantId: TENANT, userId: pick(), limit: 101, now }));
  const secondPage = await time(async () => {
    const userId = pick();
    const first = await store.inventory.list({ tenantId: TENANT, userId, limit: 21, now });
    const last = first[19];
    if (last) await store.inventory.list({ tenantId: TENANT, userId, limit: 21, now, after: last });
  });
  const liveOnly = await time(() => store.inventory.list({ tenantId: TENANT, userId: pick(), live: true, limit: 101, now }));
  const tenantWide = await time(() => store.inventory.list({ tenantId: TENANT, limit: 101, now }));
  await store.close();

  const results = { firstPage, secondPageIncludingFirst: secondPage, liveOnly, tenantWide };
  console.log(
    `B7 session inventory: ${rows.toLocaleString('en')} rows (${users.toLocaleString('en')} users), seeded in ${seedSeconds.toFixed(1)} s`,
  );
  console.log(
    table(
      ['query', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms'],
      Object.entries(results).map(([name, s]) => [name, round(s.p50), round(s.p90), round(s.p99), round(s.max)]),
    ),
  );
  console.log(`plan (one user):\n  ${userPlan.join('\n  ')}\nplan (tenant):\n  ${tenantPlan.join('\n  ')}`);
  writeResult('b7-session-inventory', { machine: machine(), rows, users, perUser, samples, seedSeconds, results, userPlan, tenantPlan });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
