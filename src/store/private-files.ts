import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * The data directory holds the signing keys' private halves (signing_keys), password hashes and
 * refresh-token digests: only the account that runs Portcullis may read it. So the directory is
 * made 0700 and every file in it 0600 at creation (docs/deployment.md, "Files and permissions").
 * The modes are given explicitly rather than left to the process umask, which is commonly 022.
 */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Creates `dir` (0700) if missing; missing parents get the default mode, as `mkdir -p` would. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dirname(dir), { recursive: true });
  try {
    mkdirSync(dir, { mode: PRIVATE_DIR_MODE });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
}

/**
 * Creates `file` empty with mode 0600 if it does not exist, before SQLite opens it: SQLite would
 * create it 0644, and it gives the -wal, -shm and -journal files it creates later the mode of the
 * database file (sqlite.org/src, os_unix.c findCreateFileMode), so they are 0600 too. An empty
 * file is a valid empty database. O_APPEND|O_CREAT never truncates one another process made.
 */
export function createPrivateFile(file: string): void {
  closeSync(openSync(file, 'a', PRIVATE_FILE_MODE));
}
