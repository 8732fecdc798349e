/**
 * What one retention delete costs per row on SQLite, per kind (docs/sign-in-logs.md, "Retention
 * and the cleanup job"): the seed of bench/cleanup-revoke.ts (`--rows` expired refresh tokens and
 * grants, as many old sign-in entries), then
 * 1. each PURGE_SQL statement's query plan (src/store/sql/retention.ts);
 * 2. every kind purged to the end in batches of `--batch` through the store, as the server runs it
 *    (background checkpointer on), no pauses: rows/s and µs per row;
 * 3. the same on a copy through a bare connection with automatic checkpoints off, split into the
 *    statement and its commit, and the WAL bytes each deleted row wrote (pages dirtied per row).
 * `--live-grants n` adds n grants started before the cutoff whose refresh token is still valid
 * (a long-lived sign-in): the grants purge must keep them, and passes each once (a keyset walk
 * over (created_at, id), store/sql/retention.ts), so its cost per deleted row does not grow with n.
 * Usage: node --import tsx bench/retention-purge-cost.ts [--rows n] [--users n] [--batch n] [--live-grants n]
 */
import Database from 'better-sqlite3';
import { copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeAppConfig } from '../src/config.js';
import { newGuid } from '../src/crypto/random.js';
import { PURGE_ORDER, RETENTION_BATCH, retentionCutoffs } from '../src/core/retention.js';
import { PURGE_SQL, PURGE_START, purgeArgs, purgeEnd, toPurgeCursor } from '../src/store/sql/retention.js';
import type { PurgeCursor } from '../src/store/store.js';
import { openSqliteStore } from '../src/store/sqlite/open.js';
import { machine, numberOption, writeResult } from './lib/common.js';
import { BENCH_TENANT, seedExpired } from './lib/seed-expired.js';
import { round, table } from './lib/stats.js';

const argv = process.argv.slice(2);
const rows = numberOption(argv, 'rows', 100_000);
const users = numberOption(argv, 'users', 1000);
const batch = numberOption(argv, 'batch', RETENTION_BATCH);
const liveGrants = numberOption(argv, 'live-grants', 0);
const now = Date.now();
const cutoffs = retentionCutoffs(makeAppConfig({ publicUrl: 'https://bench.test' }), now);

const dir = mkdtempSync(join(tmpdir(), 'retention-purge-cost-'));
const file = join(dir, 'portcullis.db');
const bare = join(dir, 'bare.db');
try {
  const userIds = await seedExpired(file, now, rows, users);
  {
    const db = new Database(file);
    db.transaction(() => {
      const g = db.prepare(`INSERT INTO grants (id, tenant_id, user_id, client_id, session_id, scopes, epoch, auth_time, created_at)
        VALUES (?, ?, ?, 'bench-client', NULL, 'openid', 0, ?, ?)`);
      const t = db.prepare(`INSERT INTO refresh_tokens (hash, grant_id, tenant_id, user_id, client_id, scopes, epoch, issued_at, expires_at)
        VALUES (?, ?, ?, ?, 'bench-client', 'openid', 0, ?, ?)`);
      const started = now - 200 * 86_400_000;
      for (let i = 0; i < liveGrants; i++) {
        const grant = newGuid();
        const user = userIds[i % users]!;
        g.run(grant, BENCH_TENANT, user, started, started);
        t.run(newGuid(), grant, BENCH_TENANT, user, now, now + 90 * 86_400_000);
      }
    })();
    db.pragma('wal_checkpoint(TRUNCATE)');
    for (const kind of PURGE_ORDER) {
      const { remove, pageEnd } = PURGE_SQL[kind];
      for (const st of pageEnd ? [pageEnd, remove] : [remove]) {
        const v = { cutoff: cutoffs[kind], limit: batch, from: PURGE_START, end: purgeEnd(cutoffs[kind]) };
        const plan = db.prepare(`EXPLAIN QUERY PLAN ${st.sql}`).all(...purgeArgs(st.args, v)) as { detail: string }[];
        console.log(`${kind}: ${plan.map((p) => p.detail).join(' | ')}`);
      }
    }
    db.close();
  }
  copyFileSync(file, bare);

  const store = openSqliteStore(file, now);
  const viaStore: Record<string, { n: number; ms: number }> = {};
  for (const kind of PURGE_ORDER) {
    const t0 = performance.now();
    let n = 0;
    for (let from: PurgeCursor | null = PURGE_START; from; ) {
      const r = await store.retention.purge(kind, cutoffs[kind], batch, from);
      n += r.deleted;
      from = r.next;
    }
    viaStore[kind] = { n, ms: performance.now() - t0 };
  }
  await store.close();

  const db = new Database(bare);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('wal_autocheckpoint = 0');
  const split: Record<string, { stmtMs: number; commitMs: number; walBytes: number }> = {};
  for (const kind of PURGE_ORDER) {
    const { remove, pageEnd } = PURGE_SQL[kind];
    const st = db.prepare(remove.sql);
    const pe = pageEnd ? db.prepare(pageEnd.sql) : null;
    const s = { stmtMs: 0, commitMs: 0, walBytes: 0 };
    const wal0 = statSync(`${bare}-wal`).size;
    const cutoff = cutoffs[kind];
    const last = purgeEnd(cutoff);
    for (let from: PurgeCursor | null = PURGE_START; from; ) {
      const a = performance.now();
      db.exec('BEGIN IMMEDIATE');
      if (pe && pageEnd) {
        const end = toPurgeCursor(pe.get(...purgeArgs(pageEnd.args, { cutoff, limit: batch, from, end: last })) as never);
        st.run(...purgeArgs(remove.args, { cutoff, limit: batch, from, end: end ?? last }));
        from = end;
      } else {
        from = st.run(...purgeArgs(remove.args, { cutoff, limit: batch, from, end: last })).changes < batch ? null : PURGE_START;
      }
      const b = performance.now();
      db.exec('COMMIT');
      s.stmtMs += b - a;
      s.commitMs += performance.now() - b;
    }
    s.walBytes = statSync(`${bare}-wal`).size - wal0;
    split[kind] = s;
  }
  db.close();

  const us = (ms: number, n: number) => (n > 0 ? round((ms * 1000) / n, 1) : '-');
  console.log(
    table(
      ['kind', 'rows', 'store: rows/s', 'store: µs/row', 'bare: statement µs/row', 'bare: commit µs/row', 'WAL KiB/row'],
      PURGE_ORDER.filter((k) => viaStore[k]!.n > 0).map((k) => {
        const v = viaStore[k]!;
        const s = split[k]!;
        return [
          k,
          v.n,
          round((v.n / v.ms) * 1000, 0),
          us(v.ms, v.n),
          us(s.stmtMs, v.n),
          us(s.commitMs, v.n),
          round(s.walBytes / v.n / 1024, 2),
        ];
      }),
    ),
  );
  writeResult('retention-purge-cost', { machine: machine(), rows, users, batch, liveGrants, viaStore, split });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
