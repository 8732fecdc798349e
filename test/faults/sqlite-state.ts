import Database from 'better-sqlite3';
import { join } from 'node:path';

/**
 * Reads a SQLite data directory's state directly, with no server running (after a kill -9 or a
 * fault), for the fault tests' verdicts: the revocation epoch of every user, the applied schema
 * versions, the schema itself and SQLite's own integrity check.
 */
export interface DbState {
  epochs: Map<string, number>;
  users: number;
  versions: number[];
  integrity: string;
}

export function dbFile(dataDir: string): string {
  return join(dataDir, 'portcullis.db');
}

export function readState(file: string): DbState {
  // Read-write: opening replays a WAL left by a killed process, as the next server would.
  const db = new Database(file, { fileMustExist: true });
  try {
    const hasUsers = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'users'").get() !== undefined;
    const rows = hasUsers
      ? (db.prepare('SELECT user_principal_name AS upn, revocation_epoch AS epoch FROM users').all() as { upn: string; epoch: number }[])
      : [];
    const hasMigrations = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get() !== undefined;
    const versions = hasMigrations
      ? (db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as { version: number }[]).map((r) => r.version)
      : [];
    const integrity = (db.prepare('PRAGMA integrity_check').all() as { integrity_check: string }[])
      .map((r) => r.integrity_check)
      .join('; ');
    return { epochs: new Map(rows.map((r) => [r.upn.split('@')[0]!, r.epoch])), users: rows.length, versions, integrity };
  } finally {
    db.close();
  }
}

/** The schema as SQLite stores it: every table, index and trigger with its SQL. */
export function schemaOf(file: string): string[] {
  const db = new Database(file, { fileMustExist: true });
  try {
    return (
      db.prepare("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name").all() as {
        type: string;
        name: string;
        sql: string | null;
      }[]
    ).map((r) => `${r.type} ${r.name}: ${r.sql ?? ''}`);
  } finally {
    db.close();
  }
}
