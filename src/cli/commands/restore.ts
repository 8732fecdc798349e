/**
 * `portcullis restore --from FILE`: replaces the SQLite database of a data directory with a
 * backup, after checking that the file is what its manifest says (size, SHA-256), that it is a
 * Portcullis database of a schema version this build knows, and that integrity_check passes.
 * Refuses while any server uses the directory (an OS lock, src/store/sqlite/data-dir-lock.ts),
 * and holds that lock itself so no server starts half-way. The swap is one rename(2): at every
 * moment the directory holds either the old database or the new one, never none; the old one is
 * kept beside it as portcullis.db.before-restore-<time>.
 */
import Database from 'better-sqlite3';
import { chmodSync, copyFileSync, existsSync, linkSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { PRIVATE_FILE_MODE, ensurePrivateDir } from '../../store/private-files.js';
import { DataDirLockedError, takeExclusiveLock } from '../../store/sqlite/data-dir-lock.js';
import { fsyncDir, fsyncFile, inspectDatabase, NotRestorableError, sha256File, type Inspection } from '../../store/sqlite/snapshot.js';
import { manifestFile, parseBackupArgs, type BackupManifest } from '../backup-args.js';
import { CliError, EXIT } from '../cli-error.js';
import { SERVE_DEFAULTS } from '../serve-options.js';

const HELP = [
  'Usage: portcullis restore --from FILE [options]',
  '',
  "Replaces the data directory's SQLite database with a backup made by `portcullis backup`.",
  'Checks FILE against FILE.manifest.json (if present), its schema version and integrity_check',
  'first; refuses while a server uses the directory. The previous database is kept beside it.',
  '',
  'Options:',
  '  --from FILE               the backup to restore',
  `  --data-dir DIR            the data directory to restore into (default ${SERVE_DEFAULTS.dataDir}; env: PORTCULLIS_DATA_DIR)`,
  '  -h, --help                show this help',
  '',
  'PostgreSQL (--database-url / PORTCULLIS_DATABASE_URL): use pg_restore; see docs/deployment.md.',
  '',
].join('\n');

const progress = (line: string): void => void process.stderr.write(`restore: ${line}\n`);

async function verifyManifest(file: string): Promise<string> {
  const path = manifestFile(file);
  if (!existsSync(path)) return 'no manifest beside it: checked its content only';
  let manifest: Partial<BackupManifest>;
  try {
    manifest = JSON.parse(readFileSync(path, 'utf8')) as Partial<BackupManifest>;
  } catch (e) {
    throw new CliError(`manifest '${path}' is not valid JSON: ${(e as Error).message}`, EXIT.FAILURE);
  }
  if (manifest.format !== 'portcullis-sqlite-backup') throw new CliError(`'${path}' is not a Portcullis backup manifest`, EXIT.FAILURE);
  const bytes = statSync(file).size;
  if (bytes !== manifest.bytes)
    throw new CliError(
      `'${file}' has ${bytes} bytes, its manifest says ${manifest.bytes}: the file is damaged or not that backup`,
      EXIT.FAILURE,
    );
  if ((await sha256File(file)) !== manifest.sha256)
    throw new CliError(`the SHA-256 of '${file}' does not match its manifest: the file is damaged or not that backup`, EXIT.FAILURE);
  return `matches its manifest (sha256 ${manifest.sha256}, taken ${manifest.createdAt})`;
}

function inspect(file: string): Inspection {
  try {
    return inspectDatabase(file);
  } catch (e) {
    if (e instanceof NotRestorableError) throw new CliError(`cannot restore '${file}': ${e.message}`, EXIT.FAILURE);
    throw e;
  }
}

/**
 * Sets the current database aside as `kept` (a hard link: the directory never lacks a database),
 * first merging its WAL into it so the copy is whole. If that fails — the very reason for a
 * restore may be a damaged database — untouched copies of its -wal and -shm, taken before SQLite
 * opened it (SQLite may truncate a WAL it cannot use), are kept beside `kept` instead. Either way
 * nothing of the old database is thrown away, and its WAL can never be replayed into the new one.
 */
function setAside(dbFile: string, kept: string): void {
  const sidecars = ['-wal', '-shm'].filter((suffix) => existsSync(`${dbFile}${suffix}`));
  for (const suffix of sidecars) copyFileSync(`${dbFile}${suffix}`, `${kept}${suffix}`);
  let merged = false;
  try {
    const db = new Database(dbFile, { fileMustExist: true, timeout: 0 });
    try {
      db.pragma('wal_checkpoint(TRUNCATE)');
      merged = true;
    } finally {
      db.close();
    }
  } catch (e) {
    progress(`could not merge the current database's WAL (${(e as Error).message}); keeping copies of its files as they were`);
  }
  linkSync(dbFile, kept);
  for (const suffix of ['-wal', '-shm']) {
    // Merged: the kept database holds everything, the copies are redundant.
    if (merged) rmSync(`${kept}${suffix}`, { force: true });
    rmSync(`${dbFile}${suffix}`, { force: true });
  }
}

export async function restore(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const args = parseBackupArgs('restore', 'from', argv, env);
  if (args.help) {
    process.stdout.write(HELP);
    return EXIT.OK;
  }
  const from = args.file!;
  if (!existsSync(from)) throw new CliError(`no such file '${from}'`, EXIT.USAGE);
  const checked = await verifyManifest(from);
  progress(`'${from}' ${checked}`);
  const inspection = inspect(from);
  progress(`integrity_check ok; schema versions ${inspection.schemaVersions.join(',')}; ${inspection.users} users`);

  ensurePrivateDir(args.dataDir);
  let lock;
  try {
    lock = takeExclusiveLock(args.dataDir);
  } catch (e) {
    if (e instanceof DataDirLockedError) throw new CliError(`refusing to restore: ${e.message}`, EXIT.FAILURE);
    throw e;
  }
  const incoming = `${args.dbFile}.restoring-${process.pid}`;
  let kept: string | null = null;
  try {
    copyFileSync(from, incoming);
    // The copy keeps the source's mode; the database holds the signing keys: owner only.
    chmodSync(incoming, PRIVATE_FILE_MODE);
    fsyncFile(incoming);
    // The copy is what was checked: the source could have changed since.
    inspect(incoming);
    if (existsSync(args.dbFile)) {
      kept = `${args.dbFile}.before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      setAside(args.dbFile, kept);
    }
    renameSync(incoming, args.dbFile);
    fsyncDir(args.dataDir);
  } catch (e) {
    rmSync(incoming, { force: true });
    if (e instanceof CliError) throw e;
    throw new CliError(`restore into '${args.dbFile}' failed: ${(e as Error).message}`, EXIT.FAILURE);
  } finally {
    lock.release();
  }
  process.stdout.write(
    `Restored ${from} into ${args.dbFile} (schema versions ${inspection.schemaVersions.join(',')}, ${inspection.users} users${inspection.tenant ? `, tenant ${inspection.tenant}` : ''}).\n` +
      (kept ? `The previous database is kept as ${kept}.\n` : '') +
      'Revocations made after this backup was taken are not in it: revoke the sessions of users revoked since, before reopening the service.\n',
  );
  return EXIT.OK;
}
