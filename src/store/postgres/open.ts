import type { Store } from '../store.js';
import { PgReceiptStore } from './receipts.js';
import { PgAuditStore, PgSigningKeyStore } from './audit-keys.js';
import { PgAuthorizationCodeStore, PgDeviceCodeStore, PgGrantStore, PgSessionStore } from './credentials.js';
import { PgInventoryStore } from './inventory.js';
import { PgDb, type PgStoreOptions } from './database.js';
import { PgApplicationStore, PgTenantStore, PgUserStore } from './directory.js';
import { PgGroupStore } from './groups.js';
import { PgOutboxStore } from './outbox.js';
import { PgOpsStore } from './ops.js';
import { PgSsfStore } from './ssf.js';
import { PgLockoutStore } from './lockouts.js';
import { PgSeedStateStore } from './seed-state.js';
import { PgServerSecretStore } from './server-secrets.js';
import { PgRetentionStore, PgSignInStore } from './sign-ins.js';

export type { PgStoreOptions } from './database.js';

/** Schema names are put into a connection option, so only plain identifiers are accepted. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Connects a pool to PostgreSQL and brings the schema up to date (migrations are safe to run
 * from several instances at once; see migrations.ts). Nothing is cached per instance: every
 * read goes to the database, so any number of instances can share it.
 */
export async function openPostgresStore(opts: PgStoreOptions, now: number = Date.now()): Promise<Store> {
  if (opts.schema !== undefined && !SCHEMA_NAME.test(opts.schema)) throw new Error(`invalid schema name '${opts.schema}'`);
  const db = new PgDb(opts);
  try {
    await db.migrate(now);
  } catch (e) {
    await db.close().catch(() => undefined);
    throw e;
  }
  return {
    kind: 'postgres',
    tenants: new PgTenantStore(db),
    users: new PgUserStore(db),
    groups: new PgGroupStore(db),
    applications: new PgApplicationStore(db),
    sessions: new PgSessionStore(db),
    codes: new PgAuthorizationCodeStore(db),
    deviceCodes: new PgDeviceCodeStore(db),
    grants: new PgGrantStore(db),
    inventory: new PgInventoryStore(db),
    audit: new PgAuditStore(db),
    receipts: new PgReceiptStore(db),
    keys: new PgSigningKeyStore(db),
    outbox: new PgOutboxStore(db),
    ssf: new PgSsfStore(db),
    lockouts: new PgLockoutStore(db),
    seedState: new PgSeedStateStore(db),
    secrets: new PgServerSecretStore(db),
    signIns: new PgSignInStore(db),
    retention: new PgRetentionStore(db),
    ops: new PgOpsStore(db),
    close: () => db.close(),
  };
}

/** `portcullis migrate`: applies pending migrations and returns the versions applied, then disconnects. */
export async function migratePostgresDatabase(opts: PgStoreOptions, now: number = Date.now()): Promise<number[]> {
  if (opts.schema !== undefined && !SCHEMA_NAME.test(opts.schema)) throw new Error(`invalid schema name '${opts.schema}'`);
  const db = new PgDb({ ...opts, poolMax: 1 });
  try {
    return await db.migrate(now);
  } finally {
    await db.close().catch(() => undefined);
  }
}
