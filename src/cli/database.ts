/**
 * Opening the PostgreSQL store for the CLI verbs (serve, migrate): the driver loads only when a
 * database URL is given, and a failure becomes one `portcullis:` line without the password.
 */
import type { Store } from '../store/store.js';
import { CliError, type DatabaseOptions } from './serve-options.js';

/** The URL as it may be shown: without the password. */
export function redactedUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return 'the database URL';
  }
}

export async function openDatabase(database: DatabaseOptions): Promise<Store> {
  const { openPostgresStore } = await import('../store/postgres/open.js');
  try {
    return await openPostgresStore({ url: database.url, poolMax: database.poolMax });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    throw new CliError(`cannot open database ${redactedUrl(database.url)}: ${message}`, 1);
  }
}
