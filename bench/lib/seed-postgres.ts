/**
 * The PostgreSQL counterpart of seed-portcullis.ts: a fresh database per run (created from the
 * admin URL and dropped by `drop()`), the schema from the real migrations (openPostgresStore),
 * the tenant, apps and signing key through the Store, then N users each with one grant and one
 * refresh token written by a bulk loader: multi-row INSERTs from `unnest` arrays, 5,000 rows per
 * statement, in one transaction. Only token digests are stored (I5), as the server stores them.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { digestCredential } from '../../src/crypto/digest.js';
import { newOpaqueToken } from '../../src/crypto/random.js';
import { openPostgresStore } from '../../src/store/postgres/open.js';
import { BENCH_PUBLIC_CLIENT, BENCH_SCOPES, BENCH_TENANT, benchGrantId, benchUserId, seedBasics } from './seed-portcullis.js';

/** The PostgreSQL the benchmark creates its databases in (the tests' default server). */
export const BENCH_PG_ADMIN_URL =
  process.env.PORTCULLIS_BENCH_DATABASE_URL ?? process.env.PORTCULLIS_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface SeededPostgres {
  url: string;
  userIds: string[];
  tokens: string[];
  drop(): Promise<void>;
}

const CHUNK = 5000;

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: BENCH_PG_ADMIN_URL, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A setting name and value ALTER DATABASE may take as they are (no quoting games). */
const SETTING = /^[a-z_]+$/;
const SETTING_VALUE = /^[A-Za-z0-9_.]+$/;

/**
 * `settings` (e.g. synchronous_commit=off, commit_delay=100) apply to this database only, through
 * ALTER DATABASE, before any connection of the server under test opens; the rest of the server
 * (other databases, other users of the machine) keeps its own.
 */
export async function seedPostgres(users: number, settings: Record<string, string> = {}): Promise<SeededPostgres> {
  const name = `portcullis_bench_${randomBytes(5).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  for (const [k, v] of Object.entries(settings)) {
    if (!SETTING.test(k) || !SETTING_VALUE.test(v)) throw new Error(`bad database setting ${k}=${v}`);
    await admin(`ALTER DATABASE ${name} SET ${k} = '${v}'`);
  }
  const url = new URL(BENCH_PG_ADMIN_URL);
  url.pathname = `/${name}`;
  const drop = () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  try {
    const now = Date.now();
    const store = await openPostgresStore({ url: url.toString(), poolMax: 2 }, now);
    try {
      await seedBasics(store, now);
    } finally {
      await store.close();
    }
    const userIds: string[] = [];
    const tokens: string[] = [];
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    try {
      await client.query('BEGIN');
      const expires = now + 90 * 24 * 3600 * 1000;
      for (let start = 0; start < users; start += CHUNK) {
        const ids: string[] = [];
        const upns: string[] = [];
        const names: string[] = [];
        const grantIds: string[] = [];
        const hashes: string[] = [];
        for (let i = start; i < Math.min(users, start + CHUNK); i++) {
          const id = benchUserId(i);
          const token = newOpaqueToken();
          ids.push(id);
          upns.push(`user${i}@${BENCH_TENANT.domain}`);
          names.push(`Bench User ${i}`);
          grantIds.push(benchGrantId(0, i));
          hashes.push(digestCredential(token));
          userIds.push(id);
          tokens.push(token);
        }
        await client.query(
          `INSERT INTO users (id, tenant_id, user_principal_name, upn_lower, display_name, mail, password_hash, account_enabled,
             revocation_epoch, sign_in_sessions_valid_from, refresh_tokens_valid_from, created_at)
           SELECT id, $2, upn, upn, name, upn, NULL, true, 0, NULL, NULL, $3
           FROM unnest($1::text[], $4::text[], $5::text[]) AS t(id, upn, name)`,
          [ids, BENCH_TENANT.id, now, upns, names],
        );
        await client.query(
          `INSERT INTO grants (id, tenant_id, user_id, client_id, session_id, scopes, epoch, auth_time, created_at, revoked_at)
           SELECT gid, $3, uid, $4, NULL, $5, 0, $6, $6, NULL FROM unnest($1::text[], $2::text[]) AS t(gid, uid)`,
          [grantIds, ids, BENCH_TENANT.id, BENCH_PUBLIC_CLIENT, BENCH_SCOPES, now],
        );
        await client.query(
          `INSERT INTO refresh_tokens (hash, grant_id, tenant_id, user_id, client_id, scopes, epoch, issued_at, expires_at, consumed_at)
           SELECT hash, gid, $4, uid, $5, $6, 0, $7, $8, NULL FROM unnest($1::text[], $2::text[], $3::text[]) AS t(hash, gid, uid)`,
          [hashes, grantIds, ids, BENCH_TENANT.id, BENCH_PUBLIC_CLIENT, BENCH_SCOPES, now, expires],
        );
      }
      await client.query('COMMIT');
      await client.query('ANALYZE');
    } finally {
      await client.end().catch(() => undefined);
    }
    return { url: url.toString(), userIds, tokens, drop };
  } catch (e) {
    await drop().catch(() => undefined);
    throw e;
  }
}
