/**
 * What `portcullis backup` and `restore` share: their flags, and the refusal on a PostgreSQL
 * configuration. Those verbs copy the SQLite data directory; a PostgreSQL database is backed up
 * with PostgreSQL's own tools, which take a consistent snapshot while instances serve and restore
 * into an empty database (docs/deployment.md#backup-and-restore). Running pg_dump for the
 * operator would hide its version-compatibility rules and credentials handling behind ours.
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CliError, EXIT } from './cli-error.js';
import { SERVE_DEFAULTS } from './serve-options.js';

export interface DataDirArgs {
  /** Absolute. */
  dataDir: string;
  dbFile: string;
  file: string | null;
  help: boolean;
}

export function parseBackupArgs(
  verb: 'backup' | 'restore',
  fileFlag: 'out' | 'from',
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): DataDirArgs {
  let values: { [k: string]: string | boolean | undefined };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        [fileFlag]: { type: 'string' },
        'data-dir': { type: 'string' },
        'database-url': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new CliError(`${(e as Error).message.split('. ')[0]} (see 'portcullis ${verb} --help')`, EXIT.USAGE);
  }
  const dataDir = resolve(String(values['data-dir'] ?? env.PORTCULLIS_DATA_DIR ?? SERVE_DEFAULTS.dataDir));
  const args = {
    dataDir,
    dbFile: join(dataDir, 'portcullis.db'),
    file: typeof values[fileFlag] === 'string' ? values[fileFlag] : null,
    help: values.help === true,
  };
  if (args.help) return args;
  const url = String(values['database-url'] ?? env.PORTCULLIS_DATABASE_URL ?? '').trim();
  if (url !== '') {
    const tool = verb === 'backup' ? 'pg_dump --format=custom --file=FILE URL' : 'pg_restore --dbname=URL --no-owner --exit-on-error FILE';
    throw new CliError(
      `'portcullis ${verb}' copies the SQLite data directory, but this configuration uses PostgreSQL ` +
        `(${values['database-url'] !== undefined ? '--database-url' : 'PORTCULLIS_DATABASE_URL'}); use PostgreSQL's own tools: ${tool} ` +
        '(docs/deployment.md, "Backup and restore")',
      EXIT.USAGE,
    );
  }
  if (args.file === null || args.file.trim() === '')
    throw new CliError(`missing --${fileFlag} FILE (see 'portcullis ${verb} --help')`, EXIT.USAGE);
  return { ...args, file: resolve(args.file) };
}

/** The manifest written next to a backup: `<file>.manifest.json`. */
export interface BackupManifest {
  format: 'portcullis-sqlite-backup';
  formatVersion: 1;
  createdAt: string;
  source: string;
  bytes: number;
  sha256: string;
  schemaVersions: number[];
  tenant: string | null;
  users: number;
}

export const manifestFile = (backupFile: string): string => `${backupFile}.manifest.json`;
