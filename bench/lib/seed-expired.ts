/**
 * A SQLite store holding `rows` expired refresh tokens (one grant each, so the grants go too) and
 * as many sign-in entries 120 days old, for the retention benches (bench/cleanup-revoke.ts,
 * bench/retention-purge-cost.ts). Schema and tenant through the store; the bulk rows in SQL, each
 * table filled by INSERT … SELECT over a recursive counter (sqlite.org/lang_with.html) in
 * transactions of SEED_CHUNK rows, with the journal off while it runs (setup only, nothing reads
 * the file meanwhile), so 10,000,000 rows take minutes rather than an hour of one-row inserts.
 * Keys are random (randomblob), as the server's GUIDs and token hashes are: every deleted row then
 * touches the index pages it would in production.
 */
import Database from 'better-sqlite3';
import { newGuid } from '../../src/crypto/random.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';

export const BENCH_TENANT = '7f3e2a1b-0c4d-4e5f-8a9b-1c2d3e4f5a6b';
const DAY = 86_400_000;
/** Rows per seeding transaction. */
const SEED_CHUNK = 500_000;

/** Seeds `file`; returns the user ids (rows are spread over them round-robin). */
export async function seedExpired(
  file: string,
  now: number,
  rows: number,
  users: number,
  log: (m: string) => void = () => undefined,
): Promise<string[]> {
  const setup = openSqliteStore(file, now);
  await setup.tenants.insert({ id: BENCH_TENANT, domain: 'bench.test', displayName: 'Bench', createdAt: now });
  await setup.close();
  const userIds = Array.from({ length: users }, () => newGuid());
  const db = new Database(file);
  db.transaction(() => {
    const u = db.prepare(`INSERT INTO users (id, tenant_id, user_principal_name, upn_lower, display_name, account_enabled, created_at)
      VALUES (?, ?, ?, ?, ?, 1, ?)`);
    userIds.forEach((id, i) => u.run(id, BENCH_TENANT, `u${i}@bench.test`, `u${i}@bench.test`, `U${i}`, now));
  })();
  db.close();
  addExpiredRows(file, BENCH_TENANT, userIds, now, rows, log);
  return userIds;
}

/**
 * Adds `rows` expired refresh tokens (one grant each) and as many sign-in entries 120 days old to
 * the existing store in `file`, spread round-robin over `userIds` of `tenantId`; what is already
 * there is left alone (bench/b2-cleanup.ts adds them to a seeded server's database). The file
 * must not be open in a server while this runs.
 */
export function addExpiredRows(
  file: string,
  tenantId: string,
  userIds: readonly string[],
  now: number,
  rows: number,
  log: (m: string) => void = () => undefined,
): void {
  const old = now - 120 * DAY;
  const db = new Database(file);
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -1000000');
  db.transaction(() => {
    db.exec('CREATE TEMP TABLE seed_users (n INTEGER PRIMARY KEY, id TEXT NOT NULL)');
    const su = db.prepare('INSERT INTO seed_users (n, id) VALUES (?, ?)');
    userIds.forEach((id, i) => su.run(i, id));
  })();
  const users = userIds.length;
  // The grants added here are the ones after the file's last grant row now.
  const firstRowid = (db.prepare('SELECT COALESCE(MAX(rowid), 0) AS m FROM grants').get() as { m: number }).m;
  // Row i of a chunk [from, to): user i % users; grant and sign-in i at old + i ms.
  const counter = 'WITH RECURSIVE c(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM c WHERE i + 1 < ?)';
  const grants = db.prepare(`${counter}
    INSERT INTO grants (id, tenant_id, user_id, client_id, session_id, scopes, epoch, auth_time, created_at)
    SELECT lower(hex(randomblob(16))), ?, u.id, 'bench-client', NULL, 'openid', 0, ? + c.i, ? + c.i FROM c JOIN seed_users u ON u.n = c.i % ?`);
  const signIns = db.prepare(`${counter}
    INSERT INTO sign_ins (id, tenant_id, created_at, user_id, user_principal_name, user_display_name, app_id,
      app_display_name, client_app_used, correlation_id, is_interactive, error_code, authentication_protocol)
    SELECT lower(hex(randomblob(16))), ?, ? + c.i, u.id, 'u@bench.test', 'U', 'bench-client', 'Bench', 'Browser',
      lower(hex(randomblob(16))), 1, 0, 'oAuth2' FROM c JOIN seed_users u ON u.n = c.i % ?`);
  const t0 = performance.now();
  for (let from = 0; from < rows; from += SEED_CHUNK) {
    const to = Math.min(rows, from + SEED_CHUNK);
    db.transaction(() => {
      grants.run(from, to, tenantId, old, old, users);
      signIns.run(from, to, tenantId, old, users);
    })();
    log(`seed: ${to} grants and sign-ins (${Math.round((performance.now() - t0) / 1000)} s)`);
  }
  // One refresh token per added grant, expired a day after it was issued.
  const tokens =
    db.prepare(`INSERT INTO refresh_tokens (hash, grant_id, tenant_id, user_id, client_id, scopes, epoch, issued_at, expires_at)
    SELECT lower(hex(randomblob(16))), g.id, g.tenant_id, g.user_id, 'bench-client', 'openid', 0, g.created_at, g.created_at + ? FROM grants g
    WHERE g.rowid > ? AND g.rowid <= ?`);
  const maxRowid = (db.prepare('SELECT COALESCE(MAX(rowid), 0) AS m FROM grants').get() as { m: number }).m;
  for (let from = firstRowid; from < maxRowid; from += SEED_CHUNK) {
    db.transaction(() => tokens.run(DAY, from, from + SEED_CHUNK))();
    log(`seed: refresh tokens up to grant row ${Math.min(maxRowid, from + SEED_CHUNK)} (${Math.round((performance.now() - t0) / 1000)} s)`);
  }
  db.exec('DROP TABLE seed_users');
  db.pragma('journal_mode = WAL');
  db.close();
}
