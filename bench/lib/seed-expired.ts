/**
 * A SQLite store holding `rows` expired refresh tokens (one grant each, so the grants go too) and
 * as many sign-in entries 120 days old, for the retention benches (bench/cleanup-revoke.ts,
 * bench/retention-purge-cost.ts). Schema and tenant through the store; the bulk rows through one
 * raw transaction (setup only).
 */
import Database from 'better-sqlite3';
import { newGuid } from '../../src/crypto/random.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';

export const BENCH_TENANT = '7f3e2a1b-0c4d-4e5f-8a9b-1c2d3e4f5a6b';
const DAY = 86_400_000;

/** Seeds `file`; returns the user ids (rows are spread over them round-robin). */
export async function seedExpired(file: string, now: number, rows: number, users: number): Promise<string[]> {
  const old = now - 120 * DAY;
  const setup = openSqliteStore(file, now);
  await setup.tenants.insert({ id: BENCH_TENANT, domain: 'bench.test', displayName: 'Bench', createdAt: now });
  await setup.close();
  const db = new Database(file);
  const userIds = Array.from({ length: users }, () => newGuid());
  db.transaction(() => {
    const u = db.prepare(`INSERT INTO users (id, tenant_id, user_principal_name, upn_lower, display_name, account_enabled, created_at)
      VALUES (?, ?, ?, ?, ?, 1, ?)`);
    userIds.forEach((id, i) => u.run(id, BENCH_TENANT, `u${i}@bench.test`, `u${i}@bench.test`, `U${i}`, now));
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
      g.run(grant, BENCH_TENANT, user, old, old);
      t.run(newGuid(), grant, BENCH_TENANT, user, old, old + DAY);
      s.run(newGuid(), BENCH_TENANT, old + i, user, newGuid());
    }
  })();
  db.close();
  return userIds;
}
