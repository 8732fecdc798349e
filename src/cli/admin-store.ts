/**
 * Opening the database for an administrative verb that talks to it directly (keys): PostgreSQL
 * from --database-url / PORTCULLIS_DATABASE_URL, else the SQLite file under the data directory.
 * Unlike `serve`, it never creates a SQLite file: a typo in --data-dir must not rotate the keys
 * of a new, empty database while the real one stays untouched.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { systemClock } from '../clock.js';
import type { Store } from '../store/store.js';
import { redactedUrl } from './database.js';
import { CliError, SERVE_DEFAULTS, parseDatabaseUrl } from './serve-options.js';

export interface AdminStore {
  store: Store;
  /** For messages: the file, or the URL without its password. */
  where: string;
}

export async function openAdminStore(flags: { databaseUrl?: string; dataDir?: string }, env: NodeJS.ProcessEnv): Promise<AdminStore> {
  const rawUrl = flags.databaseUrl ?? env.PORTCULLIS_DATABASE_URL;
  if (rawUrl !== undefined && rawUrl.trim() !== '') {
    const source = flags.databaseUrl !== undefined ? '--database-url' : 'PORTCULLIS_DATABASE_URL';
    const url = parseDatabaseUrl(rawUrl.trim(), source);
    const where = redactedUrl(url);
    const { openPostgresStore } = await import('../store/postgres/open.js');
    try {
      return { store: await openPostgresStore({ url, poolMax: 2 }, systemClock.now()), where };
    } catch (e) {
      throw new CliError(`cannot open database ${where}: ${(e as Error).message}`, 1);
    }
  }
  const file = join(resolve(flags.dataDir ?? env.PORTCULLIS_DATA_DIR ?? SERVE_DEFAULTS.dataDir), 'portcullis.db');
  if (!existsSync(file)) {
    throw new CliError(`no database at '${file}' (give --data-dir of a server that has run, or --database-url)`, 2);
  }
  const { openSqliteStore } = await import('../store/sqlite/open.js');
  try {
    return { store: openSqliteStore(file, systemClock.now()), where: file };
  } catch (e) {
    throw new CliError(`cannot open database '${file}': ${(e as Error).message}`, 1);
  }
}
