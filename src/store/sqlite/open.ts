import type { Store } from '../store.js';
import { SqliteReceiptStore } from './receipts.js';
import { SqliteAuditStore, SqliteSigningKeyStore } from './audit-keys.js';
import { SqliteAuthorizationCodeStore, SqliteDeviceCodeStore, SqliteGrantStore, SqliteSessionStore } from './credentials.js';
import { SqliteDb } from './database.js';
import { SqliteApplicationStore, SqliteTenantStore, SqliteUserStore } from './directory.js';
import { SqliteGroupStore } from './groups.js';
import { SqliteInventoryStore } from './inventory.js';
import { SqliteOutboxStore } from './outbox.js';
import { SqliteOpsStore } from './ops.js';
import { SqliteSsfStore } from './ssf.js';
import { SqliteLockoutStore } from './lockouts.js';
import { SqliteSeedStateStore } from './seed-state.js';
import { SqliteServerSecretStore } from './server-secrets.js';
import { SqliteRetentionStore, SqliteSignInStore } from './sign-ins.js';
import { withUnavailableErrors as w } from './unavailable.js';

/**
 * Opens (creating if needed) the SQLite file and brings its schema up to date. Every adapter is
 * wrapped so that disk-full and I/O failures surface as StoreUnavailableError (unavailable.ts).
 */
export function openSqliteStore(file: string, now: number = Date.now()): Store {
  const db = new SqliteDb(file);
  db.migrate(now);
  return sqliteStoreOn(db);
}

/** The Store over an open, migrated database (the test kit, src/testing/, keeps the database to reset it). */
export function sqliteStoreOn(db: SqliteDb): Store {
  const users = new SqliteUserStore(db);
  return {
    kind: 'sqlite',
    tenants: w(new SqliteTenantStore(db)),
    users: w(users),
    groups: w(new SqliteGroupStore(db)),
    applications: w(new SqliteApplicationStore(db)),
    sessions: w(new SqliteSessionStore(db, users)),
    codes: w(new SqliteAuthorizationCodeStore(db, users)),
    deviceCodes: w(new SqliteDeviceCodeStore(db, users)),
    grants: w(new SqliteGrantStore(db, users)),
    inventory: w(new SqliteInventoryStore(db, users)),
    audit: w(new SqliteAuditStore(db)),
    receipts: w(new SqliteReceiptStore(db)),
    keys: w(new SqliteSigningKeyStore(db)),
    outbox: w(new SqliteOutboxStore(db)),
    ssf: w(new SqliteSsfStore(db)),
    lockouts: w(new SqliteLockoutStore(db)),
    seedState: w(new SqliteSeedStateStore(db)),
    secrets: w(new SqliteServerSecretStore(db)),
    signIns: w(new SqliteSignInStore(db)),
    retention: w(new SqliteRetentionStore(db)),
    ops: w(new SqliteOpsStore(db)),
    close: async () => db.close(),
  };
}
