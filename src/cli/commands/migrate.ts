/**
 * `portcullis migrate`: brings the database schema up to date and exits. `serve` migrates on
 * start as well (safely, even with several instances starting at once); this verb lets a
 * deployment run migrations as a separate step before rolling out new instances.
 */
import { resolve, join } from 'node:path';
import { parseArgs } from 'node:util';
import { systemClock } from '../../clock.js';
import { redactedUrl } from '../database.js';
import { CliError, SERVE_DEFAULTS, parseDatabaseUrl } from '../serve-options.js';

const HELP = [
  'Usage: portcullis migrate [options]',
  '',
  'Applies pending schema migrations and exits. Safe to run while instances are serving and',
  'from several places at once: each migration is applied exactly once.',
  '',
  'Options:',
  '  --database-url URL        postgres://... (env: PORTCULLIS_DATABASE_URL)',
  `  --data-dir DIR            without a database URL: the SQLite file's directory (default ${SERVE_DEFAULTS.dataDir})`,
  '                            env: PORTCULLIS_DATA_DIR',
  '  -h, --help                show this help',
  '',
].join('\n');

export async function migrate(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  let values: { 'database-url'?: string; 'data-dir'?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { 'database-url': { type: 'string' }, 'data-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new CliError(`${(e as Error).message.split('. ')[0]} (see 'portcullis migrate --help')`, 2);
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const rawUrl = values['database-url'] ?? env.PORTCULLIS_DATABASE_URL;
  const source = values['database-url'] !== undefined ? '--database-url' : 'PORTCULLIS_DATABASE_URL';
  let applied: number[];
  let where: string;
  if (rawUrl !== undefined && rawUrl.trim() !== '') {
    const url = parseDatabaseUrl(rawUrl.trim(), source);
    where = redactedUrl(url);
    const { migratePostgresDatabase } = await import('../../store/postgres/open.js');
    try {
      applied = await migratePostgresDatabase({ url }, systemClock.now());
    } catch (e) {
      throw new CliError(`cannot migrate ${where}: ${(e as Error).message}`, 1);
    }
  } else {
    const file = join(resolve(values['data-dir'] ?? env.PORTCULLIS_DATA_DIR ?? SERVE_DEFAULTS.dataDir), 'portcullis.db');
    where = file;
    const { SqliteDb } = await import('../../store/sqlite/database.js');
    try {
      const db = new SqliteDb(file);
      try {
        applied = db.migrate(systemClock.now());
      } finally {
        db.close();
      }
    } catch (e) {
      throw new CliError(`cannot migrate '${file}': ${(e as Error).message}`, 1);
    }
  }
  process.stdout.write(
    applied.length === 0
      ? `Schema of ${where} is up to date.\n`
      : `Applied migration${applied.length > 1 ? 's' : ''} ${applied.join(', ')} to ${where}.\n`,
  );
  return 0;
}
