/**
 * B7: the session inventory at scale (docs/sessions.md). Seeds a store with `--rows` sessions and
 * grants (half each, `--per-user` per user, one refresh token per grant: bench/lib/seed-inventory.ts),
 * then times `store.inventory.list` for random users — the first page of 100, a second page by
 * $skiptoken, and the live filter — and the tenant-wide first page, a tenant-wide page deep in the
 * listing (by $skiptoken) and the tenant-wide live filter; prints p50/p95/p99 in ms and the query
 * plans. Targets: one user p95 < 50 ms, a tenant-wide page p95 < 200 ms, at 1,000,000 rows.
 * SQLite (default): a file in a temporary directory, never ANALYZEd — the server never runs
 * ANALYZE, so the planner works without statistics as it does in production. `--postgres`: a fresh
 * database on the tests' PostgreSQL (PORTCULLIS_BENCH_DATABASE_URL), dropped at the end, ANALYZEd
 * as autovacuum would; the plans are EXPLAIN ANALYZE's.
 * Usage: node --import tsx bench/b7-session-inventory.ts [--rows 1000000] [--per-user 100] [--samples 2000] [--postgres]
 */
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { InventoryQuery } from '../src/core/session-inventory.js';
import { inventoryPageSql } from '../src/store/sql/inventory.js';
import { numbered } from '../src/store/sql/placeholders.js';
import { openPostgresStore } from '../src/store/postgres/open.js';
import { openSqliteStore } from '../src/store/sqlite/open.js';
import type { Store } from '../src/store/store.js';
import { machine, numberOption, writeResult } from './lib/common.js';
import { INVENTORY_TENANT as TENANT, inventoryGuid as guid, seedInventoryPostgres, seedInventorySqlite } from './lib/seed-inventory.js';
import { BENCH_PG_ADMIN_URL } from './lib/seed-postgres.js';
import { round, summarise, table } from './lib/stats.js';

const argv = process.argv.slice(2);
const rows = numberOption(argv, 'rows', 1_000_000);
const perUser = numberOption(argv, 'per-user', 100);
const samples = numberOption(argv, 'samples', 2000);
const postgres = argv.includes('--postgres');
const dialect = postgres ? 'postgres' : 'sqlite';
const users = Math.max(1, Math.floor(rows / perUser));
const now = Date.now();

interface Seeded {
  store: Store;
  plan(q: InventoryQuery): Promise<string[]>;
  seedSeconds: number;
  close(): Promise<void>;
}

async function seedSqlite(): Promise<Seeded> {
  const dir = mkdtempSync(join(tmpdir(), 'b7-inventory-'));
  const file = join(dir, 'portcullis.db');
  const migrated = openSqliteStore(file, now);
  await migrated.tenants.insert({ id: TENANT, domain: 'b7.test', displayName: 'B7', createdAt: now });
  await migrated.close();
  // Bulk seed with the adapter's own INSERTs, in one transaction (the store's API would commit each row).
  const started = performance.now();
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  seedInventorySqlite(db, { users, perUser, now });
  const seedSeconds = (performance.now() - started) / 1000;
  const store = openSqliteStore(file);
  return {
    store,
    seedSeconds,
    plan: async (q) => {
      const { sql, args } = inventoryPageSql(q);
      return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[]).map((r) => r.detail);
    },
    close: async () => {
      await store.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function seedPostgres(): Promise<Seeded> {
  const name = `portcullis_b7_${randomBytes(5).toString('hex')}`;
  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: BENCH_PG_ADMIN_URL });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(BENCH_PG_ADMIN_URL);
  url.pathname = `/${name}`;
  const drop = () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  try {
    const store = await openPostgresStore({ url: url.toString(), poolMax: 2 }, now);
    await store.tenants.insert({ id: TENANT, domain: 'b7.test', displayName: 'B7', createdAt: now });
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    const started = performance.now();
    await seedInventoryPostgres(client, { users, perUser, now });
    await client.query('ANALYZE');
    const seedSeconds = (performance.now() - started) / 1000;
    return {
      store,
      seedSeconds,
      plan: async (q) => {
        const { sql, args } = inventoryPageSql(q);
        const r = await client.query(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${numbered(sql)}`, args);
        return r.rows.map((x: Record<string, string>) => String(x['QUERY PLAN']));
      },
      close: async () => {
        await store.close();
        await client.end();
        await drop();
      },
    };
  } catch (e) {
    await drop().catch(() => undefined);
    throw e;
  }
}

const seeded = postgres ? await seedPostgres() : await seedSqlite();
try {
  const { store } = seeded;
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
  // A position half-way down the tenant's listing (page ~5,000 of 100 at 1,000,000 rows): the
  // session a quarter into the middle user's, whose creation time a quarter of each user's share.
  const quarter = Math.floor(perUser / 4);
  const middle = { createdAt: now - (perUser - quarter) * 60_000, id: guid(Math.floor(users / 2) * (perUser / 2) + quarter, 2) };
  const queries: Record<string, () => InventoryQuery> = {
    userFirstPage: () => ({ tenantId: TENANT, userId: pick(), limit: 101, now }),
    userLive: () => ({ tenantId: TENANT, userId: pick(), live: true, limit: 101, now }),
    tenantFirstPage: () => ({ tenantId: TENANT, limit: 101, now }),
    tenantDeepPage: () => ({ tenantId: TENANT, limit: 101, now, after: middle }),
    tenantLive: () => ({ tenantId: TENANT, live: true, limit: 101, now }),
  };
  const results: Record<string, ReturnType<typeof summarise>> = {};
  for (const [name, q] of Object.entries(queries)) {
    results[name] = await time(() => store.inventory.list(q()));
    if (name === 'userFirstPage') {
      results.userSecondPageIncludingFirst = await time(async () => {
        const userId = pick();
        const first = await store.inventory.list({ tenantId: TENANT, userId, limit: 21, now });
        const last = first[19];
        if (last) await store.inventory.list({ tenantId: TENANT, userId, limit: 21, now, after: last });
      });
    }
  }
  const plans: Record<string, string[]> = {};
  for (const name of ['userFirstPage', 'tenantFirstPage', 'tenantDeepPage'] as const) plans[name] = await seeded.plan(queries[name]!());

  console.log(
    `B7 session inventory (${dialect}): ${rows.toLocaleString('en')} rows (${users.toLocaleString('en')} users), seeded in ${seeded.seedSeconds.toFixed(1)} s, ${samples} samples each`,
  );
  console.log(
    table(
      ['query', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'],
      Object.entries(results).map(([name, s]) => [name, round(s.p50), round(s.p95), round(s.p99), round(s.max)]),
    ),
  );
  for (const [name, plan] of Object.entries(plans)) console.log(`plan (${name}):\n  ${plan.join('\n  ')}`);
  writeResult(`b7-session-inventory-${dialect}`, {
    machine: machine(),
    dialect,
    rows,
    users,
    perUser,
    samples,
    seedSeconds: seeded.seedSeconds,
    results,
    plans,
  });
} finally {
  await seeded.close();
}
