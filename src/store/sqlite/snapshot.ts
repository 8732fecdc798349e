import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, fsyncSync, openSync } from 'node:fs';
import { MIGRATIONS } from './migrations.js';

/**
 * Consistent copies of a live SQLite database, and the checks a copy must pass before it may
 * replace one (`portcullis backup` / `restore`, docs/cli.md).
 *
 * VACUUM INTO rather than the online-backup API: it copies inside ONE read transaction, so the
 * copy is exactly the database as of one commit (every revoke answered before the backup began is
 * in it) and, in WAL mode, it never blocks the server's writers. The backup API, by contrast,
 * restarts from the first page whenever another connection writes, and may never finish under
 * steady refresh load (sqlite.org/backup.html, sqlite.org/lang_vacuum.html#vacuuminto).
 */
export function snapshotInto(sourceFile: string, destFile: string): void {
  // Read-write open (no write is made): a read-only connection could not create the -shm of a
  // WAL database that no server has open right now.
  const db = new Database(sourceFile, { fileMustExist: true, timeout: 5_000 });
  try {
    db.prepare('VACUUM INTO ?').run(destFile);
  } finally {
    db.close();
  }
  fsyncFile(destFile);
}

export function fsyncFile(file: string): void {
  const fd = openSync(file, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** What a database file is, as far as `restore` needs to know. */
export interface Inspection {
  schemaVersions: number[];
  users: number;
  tenant: string | null;
  signingKeys: number;
}

export class NotRestorableError extends Error {
  override name = 'NotRestorableError';
}

const REQUIRED_TABLES = ['schema_migrations', 'tenants', 'users', 'grants', 'refresh_tokens', 'signing_keys'];

/**
 * Opens `file` read-only and checks that it is a Portcullis database this build can run: SQLite's
 * own integrity_check passes, the Portcullis tables exist, and every applied schema version is
 * one this build knows (a newer backup would be run by code that does not understand it; an older
 * one is migrated by `serve` on start).
 */
export function inspectDatabase(file: string): Inspection {
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (e) {
    throw new NotRestorableError(`cannot open it: ${(e as Error).message}`);
  }
  try {
    let tables: Set<string>;
    try {
      tables = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name));
    } catch (e) {
      throw new NotRestorableError(`not a SQLite database (${(e as Error).message})`);
    }
    const missing = REQUIRED_TABLES.filter((t) => !tables.has(t));
    if (missing.length > 0) throw new NotRestorableError(`not a Portcullis database (no table ${missing.join(', ')})`);
    const problems = (db.prepare('PRAGMA integrity_check').all() as { integrity_check: string }[]).map((r) => r.integrity_check);
    if (problems.join() !== 'ok') throw new NotRestorableError(`integrity_check failed: ${problems.slice(0, 3).join('; ')}`);
    const schemaVersions = (db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as { version: number }[]).map(
      (r) => r.version,
    );
    const known = new Set(MIGRATIONS.map((m) => m.version));
    const unknown = schemaVersions.filter((v) => !known.has(v));
    if (unknown.length > 0) {
      throw new NotRestorableError(
        `it has schema version ${unknown.join(', ')}, which this Portcullis does not know (it knows ${[...known].join(', ')}): restore it with the version that made it`,
      );
    }
    if (!schemaVersions.includes(1)) throw new NotRestorableError('not a Portcullis database (schema version 1 was never applied)');
    const tenant = (db.prepare('SELECT domain FROM tenants LIMIT 1').get() as { domain: string } | undefined)?.domain ?? null;
    const users = (db.prepare('SELECT count(*) AS n FROM users').get() as { n: number }).n;
    const signingKeys = (db.prepare('SELECT count(*) AS n FROM signing_keys').get() as { n: number }).n;
    return { schemaVersions, users, tenant, signingKeys };
  } catch (e) {
    if (e instanceof NotRestorableError) throw e;
    throw new NotRestorableError((e as Error).message);
  } finally {
    db.close();
  }
}
