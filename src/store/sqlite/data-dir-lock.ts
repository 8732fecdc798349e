import Database from 'better-sqlite3';
import { join } from 'node:path';
import { createPrivateFile } from '../private-files.js';

/**
 * Who is using a SQLite data directory, told by an operating-system lock rather than a pid file:
 * `<data-dir>/portcullis.lock` is a tiny SQLite database (rollback-journal mode) on which every
 * `serve` keeps a read transaction open for as long as it runs — a SHARED lock, which any number
 * of servers may hold at once — and `restore` asks for an EXCLUSIVE one, which SQLite grants only
 * when nobody holds SHARED (sqlite.org/lockingv3.html). The locks are POSIX advisory locks: the
 * kernel drops them when a process dies, so a server killed with `kill -9` leaves no stale lock
 * behind, and a recycled pid can never be mistaken for a running server.
 */
export const LOCK_FILE = 'portcullis.lock';

export class DataDirLockedError extends Error {
  override name = 'DataDirLockedError';
}

function isBusy(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

function openLockDb(dataDir: string, waitMs: number): Database.Database {
  createPrivateFile(join(dataDir, LOCK_FILE));
  const db = new Database(join(dataDir, LOCK_FILE), { timeout: waitMs });
  db.pragma('journal_mode = DELETE');
  return db;
}

export interface HeldLock {
  release(): void;
}

/**
 * For `serve`: holds a SHARED lock until release() or process exit. Waits up to `waitMs` for a
 * running `restore` to finish; throws DataDirLockedError if it is still replacing the database.
 */
export function holdServeLock(dataDir: string, waitMs = 5_000): HeldLock {
  let db: Database.Database | null = null;
  try {
    db = openLockDb(dataDir, waitMs);
    db.exec('CREATE TABLE IF NOT EXISTS lock (purpose TEXT)');
    db.exec('BEGIN');
    // The first read inside the transaction takes the SHARED lock; it is kept until COMMIT.
    db.prepare('SELECT count(*) FROM lock').get();
  } catch (e) {
    db?.close();
    if (isBusy(e))
      throw new DataDirLockedError(
        `'${dataDir}' is being restored ('portcullis restore' holds ${LOCK_FILE}); start the server when it has finished`,
      );
    throw e;
  }
  const held = db;
  return {
    release() {
      if (!held.open) return;
      if (held.inTransaction) held.exec('COMMIT');
      held.close();
    },
  };
}

/**
 * For `restore`: an EXCLUSIVE lock, without waiting. Throws DataDirLockedError when any server
 * (or another restore) uses the directory.
 */
export function takeExclusiveLock(dataDir: string): HeldLock {
  let db: Database.Database | null = null;
  try {
    db = openLockDb(dataDir, 0);
    db.exec('CREATE TABLE IF NOT EXISTS lock (purpose TEXT)');
    db.exec('BEGIN EXCLUSIVE');
  } catch (e) {
    db?.close();
    if (isBusy(e)) throw new DataDirLockedError(`a running server uses '${dataDir}' (it holds ${join(dataDir, LOCK_FILE)}); stop it first`);
    throw e;
  }
  const held = db;
  return {
    release() {
      if (!held.open) return;
      if (held.inTransaction) held.exec('ROLLBACK');
      held.close();
    },
  };
}
