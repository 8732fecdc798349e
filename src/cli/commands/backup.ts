/**
 * `portcullis backup --out FILE`: a consistent snapshot of the SQLite database, taken while the
 * server runs (src/store/sqlite/snapshot.ts says why VACUUM INTO), checked with integrity_check,
 * then published atomically with a manifest (size, SHA-256, schema version) that `restore`
 * verifies. Progress goes to stderr, the result to stdout.
 */
import { chmodSync, existsSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { inspectDatabase, NotRestorableError, sha256File, snapshotInto, fsyncDir, fsyncFile } from '../../store/sqlite/snapshot.js';
import { manifestFile, parseBackupArgs, type BackupManifest } from '../backup-args.js';
import { CliError, EXIT } from '../cli-error.js';
import { SERVE_DEFAULTS } from '../serve-options.js';

const HELP = [
  'Usage: portcullis backup --out FILE [options]',
  '',
  'Writes a consistent snapshot of the SQLite database to FILE, safe while the server runs,',
  'and FILE.manifest.json (size, SHA-256, schema version) for `portcullis restore`.',
  'The copy holds the signing keys: protect it like a private key.',
  '',
  'Options:',
  '  --out FILE                where to write the backup (must not exist)',
  `  --data-dir DIR            the server's data directory (default ${SERVE_DEFAULTS.dataDir}; env: PORTCULLIS_DATA_DIR)`,
  '  -h, --help                show this help',
  '',
  'PostgreSQL (--database-url / PORTCULLIS_DATABASE_URL): use pg_dump; see docs/deployment.md.',
  '',
].join('\n');

const mib = (bytes: number): string => `${(bytes / 1048576).toFixed(1)} MiB`;
const progress = (line: string): void => void process.stderr.write(`backup: ${line}\n`);

export async function backup(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const args = parseBackupArgs('backup', 'out', argv, env);
  if (args.help) {
    process.stdout.write(HELP);
    return EXIT.OK;
  }
  const out = args.file!;
  if (!existsSync(args.dbFile))
    throw new CliError(`no database at '${args.dbFile}' (give --data-dir of a server that has run)`, EXIT.USAGE);
  if (existsSync(out)) throw new CliError(`'${out}' already exists; choose a new file name`, EXIT.USAGE);
  if (!existsSync(dirname(out))) throw new CliError(`directory '${dirname(out)}' does not exist`, EXIT.USAGE);

  // Written beside the target and renamed into place: a backup that is there is complete.
  const partial = `${out}.partial-${process.pid}`;
  const started = performance.now();
  try {
    progress(`snapshot of ${args.dbFile} (${mib(statSync(args.dbFile).size)} + WAL) ...`);
    snapshotInto(args.dbFile, partial);
    // It holds the signing keys' private halves (invariant I5, docs/revocation-model.md, covers only tokens and secrets).
    chmodSync(partial, 0o600);
    const bytes = statSync(partial).size;
    progress(`wrote ${mib(bytes)} in ${Math.round(performance.now() - started)} ms; integrity_check ...`);
    const inspection = inspectDatabase(partial);
    progress('integrity_check ok; sha256 ...');
    const manifest: BackupManifest = {
      format: 'portcullis-sqlite-backup',
      formatVersion: 1,
      createdAt: new Date().toISOString(),
      source: args.dbFile,
      bytes,
      sha256: await sha256File(partial),
      schemaVersions: inspection.schemaVersions,
      tenant: inspection.tenant,
      users: inspection.users,
    };
    const manifestPath = manifestFile(out);
    writeFileSync(`${manifestPath}.partial-${process.pid}`, `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
    fsyncFile(`${manifestPath}.partial-${process.pid}`);
    renameSync(partial, out);
    renameSync(`${manifestPath}.partial-${process.pid}`, manifestPath);
    fsyncDir(dirname(out));
    const seconds = ((performance.now() - started) / 1000).toFixed(2);
    process.stdout.write(
      `Backed up ${args.dbFile} to ${out} (${bytes} bytes, schema versions ${inspection.schemaVersions.join(',')}, ${inspection.users} users) in ${seconds} s.\n` +
        `Manifest: ${manifestPath} (sha256 ${manifest.sha256}).\n`,
    );
    return EXIT.OK;
  } catch (e) {
    rmSync(partial, { force: true });
    rmSync(`${manifestFile(out)}.partial-${process.pid}`, { force: true });
    if (e instanceof CliError) throw e;
    if (e instanceof NotRestorableError)
      throw new CliError(`the snapshot of '${args.dbFile}' failed its check: ${e.message}`, EXIT.FAILURE);
    throw new CliError(`backup of '${args.dbFile}' failed: ${(e as Error).message}`, EXIT.FAILURE);
  }
}
