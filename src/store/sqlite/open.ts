import type { Store } from '../store.js';
import { SqliteAuditStore, SqliteSigningKeyStore } from './audit-keys.js';
import {
  SqliteAuthorizationCodeStore,
  SqliteDeviceCodeStore,
  SqliteGrantStore,
  SqliteSessionStore,
} from './credentials.js';
import { SqliteDb } from './database.js';
import { SqliteApplicationStore, SqliteTenantStore, SqliteUserStore } from './directory.js';
import { SqliteOutboxStore } from './outbox.js';
import { SqliteSsfStore } from './ssf.js';

/** Opens (creating if needed) the SQLite file and brings its schema up to date. */
export function openSqliteStore(file: string, now: number = Date.now()): Store {
  const db = new SqliteDb(file);
  db.migrate(now);
  const users = new SqliteUserStore(db);
  return {
    kind: 'sqlite',
    tenants: new SqliteTenantStore(db),
    users,
    applications: new SqliteApplicationStore(db),
    sessions: new SqliteSessionStore(db, users),
    codes: new SqliteAuthorizationCodeStore(db, users),
    deviceCodes: new SqliteDeviceCodeStore(db, users),
    grants: new SqliteGrantStore(db, users),
    audit: new SqliteAuditStore(db),
    keys: new SqliteSigningKeyStore(db),
    outbox: new SqliteOutboxStore(db),
    ssf: new SqliteSsfStore(db),
    close: async () => db.close(),
  };
}
