/**
 * Prepares a Portcullis data directory for the benchmarks: a tenant, a public client (the
 * refreshing app), a confidential admin app holding User.RevokeSessions.All (B2's revoker), the
 * signing key, and N users each with one grant and one refresh token. The schema comes from the
 * real migrations (openSqliteStore); the N users, grants and tokens are written by a bulk loader
 * in one transaction with better-sqlite3 directly, because seeding through the Store would pay
 * one durable commit per row. Only token digests are stored (I5), as the server stores them.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { KeyRing } from '../../src/core/key-ring.js';
import { hashSecret } from '../../src/crypto/passwords.js';
import { digestCredential } from '../../src/crypto/digest.js';
import { newOpaqueToken } from '../../src/crypto/random.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import type { Store } from '../../src/store/store.js';

export const BENCH_TENANT = { id: '0b3f9a2e-6c1d-4e8f-9a7b-5c4d3e2f1a0b', domain: 'bench.test' };
export const BENCH_PUBLIC_CLIENT = 'b0000000-0000-4000-8000-00000000b001';
export const BENCH_ADMIN_APP = 'b0000000-0000-4000-8000-00000000b002';
export const BENCH_ADMIN_SECRET = 'bench-admin-secret-0123456789abcdef';
/** The grant's scopes: an ID token (openid profile email), a refresh token, and Graph User.Read. */
export const BENCH_SCOPES = 'openid profile email offline_access User.Read';

export interface SeededPortcullis {
  dataDir: string;
  dbFile: string;
  /** The ids of the users whose tokens are returned (all users unless `keepTokensOf` was given). */
  userIds: string[];
  /** One refresh token per returned user, in the same order (the first of its tokens). */
  tokens: string[];
}

export interface SeedOptions {
  /** Refresh tokens (each its own grant) per user; default 1. */
  tokensPerUser?: number;
  /**
   * Return the ids and first tokens of only this many users, spread evenly over all of them
   * (B4: a million users' tokens need not sit in the load generator's memory).
   */
  keepTokensOf?: number;
}

const guid = (prefix: number, i: number): string => {
  const hex = i.toString(16).padStart(12, '0');
  return `${prefix.toString(16).padStart(8, '0')}-0000-4000-8000-${hex}`;
};

/**
 * Through the Store, as the server would: the tenant, the public client, the admin app with its
 * argon2id-hashed secret, and the first signing key (made here so that several processes
 * starting on one database do not race to make it).
 */
export async function seedBasics(store: Store, now: number): Promise<void> {
  await store.tenants.insert({ id: BENCH_TENANT.id, domain: BENCH_TENANT.domain, displayName: 'Bench', createdAt: now });
  const base = {
    tenantId: BENCH_TENANT.id,
    publicClientRedirectUris: [] as string[],
    webRedirectUris: [] as string[],
    spaRedirectUris: [] as string[],
    secrets: [] as { keyId: string; hash: string; hint: string; displayName: string | null; endDateTime: number | null }[],
    allowPublicClientFlows: false,
    delegatedPermissions: ['User.Read'],
    applicationPermissions: [] as string[],
    createdAt: now,
  };
  await store.applications.upsert({
    ...base,
    appId: BENCH_PUBLIC_CLIENT,
    displayName: 'Bench public client',
    publicClientRedirectUris: ['http://localhost'],
    allowPublicClientFlows: true,
  });
  await store.applications.upsert({
    ...base,
    appId: BENCH_ADMIN_APP,
    displayName: 'Bench revoker',
    webRedirectUris: ['https://bench.test/callback'],
    secrets: [{ keyId: guid(0xb0b0, 1), hash: await hashSecret(BENCH_ADMIN_SECRET), hint: 'ben', displayName: null, endDateTime: null }],
    applicationPermissions: ['User.RevokeSessions.All'],
  });
  await KeyRing.open(store, now);
}

/** Deterministic ids, so that a user's id and userPrincipalName can be told from its index. */
export const benchUserId = (i: number): string => guid(0xbe0c0001, i);
export const benchGrantId = (k: number, i: number): string => guid(0x96a0 + k, i);

export async function seedPortcullis(dataDir: string, users: number, options: SeedOptions = {}): Promise<SeededPortcullis> {
  const tokensPerUser = options.tokensPerUser ?? 1;
  const keepEvery = options.keepTokensOf ? Math.max(1, Math.floor(users / options.keepTokensOf)) : 1;
  mkdirSync(dataDir, { recursive: true });
  const dbFile = join(dataDir, 'portcullis.db');
  const now = Date.now();
  const store = openSqliteStore(dbFile, now);
  await seedBasics(store, now);
  await store.close();

  const db = new Database(dbFile);
  // A bulk load into a fresh file, not a server path: one transaction in rollback-journal mode
  // (pages past the file's original end are not journaled, so they go straight into the database
  // instead of through the WAL and a checkpoint: half the writes and half the disk at B4's size;
  // better-sqlite3's defensive mode does not allow journal_mode=OFF), a large page cache for the
  // random-keyed indexes, no fsync until the end. WAL is switched back on afterwards; the server
  // opens the file with synchronous=FULL.
  db.pragma('journal_mode = DELETE');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -1048576');
  const userIds: string[] = [];
  const tokens: string[] = [];
  const insertUser = db.prepare(
    `INSERT INTO users (id, tenant_id, user_principal_name, upn_lower, display_name, mail, password_hash, account_enabled,
       revocation_epoch, sign_in_sessions_valid_from, refresh_tokens_valid_from, created_at)
     VALUES (?, ?, ?, ?, ?, ?, NULL, 1, 0, NULL, NULL, ?)`,
  );
  const insertGrant = db.prepare(
    `INSERT INTO grants (id, tenant_id, user_id, client_id, session_id, scopes, epoch, auth_time, created_at, revoked_at)
     VALUES (?, ?, ?, ?, NULL, ?, 0, ?, ?, NULL)`,
  );
  const insertToken = db.prepare(
    `INSERT INTO refresh_tokens (hash, grant_id, tenant_id, user_id, client_id, scopes, epoch, issued_at, expires_at, consumed_at)
     VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, NULL)`,
  );
  const expires = now + 90 * 24 * 3600 * 1000;
  db.transaction(() => {
    for (let i = 0; i < users; i++) {
      const id = benchUserId(i);
      const upn = `user${i}@${BENCH_TENANT.domain}`;
      insertUser.run(id, BENCH_TENANT.id, upn, upn, `Bench User ${i}`, upn, now);
      for (let k = 0; k < tokensPerUser; k++) {
        const grantId = benchGrantId(k, i);
        insertGrant.run(grantId, BENCH_TENANT.id, id, BENCH_PUBLIC_CLIENT, BENCH_SCOPES, now, now);
        const token = newOpaqueToken();
        insertToken.run(digestCredential(token), grantId, BENCH_TENANT.id, id, BENCH_PUBLIC_CLIENT, BENCH_SCOPES, now, expires);
        if (k === 0 && i % keepEvery === 0) {
          userIds.push(id);
          tokens.push(token);
        }
      }
    }
  })();
  db.pragma('journal_mode = WAL');
  db.close();
  return { dataDir, dbFile, userIds, tokens };
}
