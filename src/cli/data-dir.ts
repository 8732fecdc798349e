/**
 * The data directory on `serve` start: created 0700 if missing, and tightened if it exists with
 * looser modes (made by an older Portcullis, by hand, or restored from an archive that did not
 * keep modes). Tightening touches the directory and the files Portcullis makes in it — never
 * other files someone keeps there; the 0700 directory already shields those — and does not follow
 * symbolic links inside it. Every change is returned, so `serve` can say what it changed.
 */
import { chmodSync, lstatSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, ensurePrivateDir } from '../store/private-files.js';

/** Portcullis's own entries: the database and its -wal/-shm/-journal, the lock, restore leftovers. */
const OWN_TOP_LEVEL = /^portcullis\./;
/** The self-signed TLS pair (src/cli/tls.ts) and its temporary files. */
const TLS_DIR = 'tls';
const OWN_TLS = /^(cert|key)\.pem(\.\d+\.tmp)?$/;

export interface ModeChange {
  /** Relative to the data directory ('.' for the directory itself). */
  path: string;
  from: number;
  to: number;
  /** Set when chmod failed (e.g. the file belongs to another user): the mode stays `from`. */
  error?: string;
}

const octal = (mode: number): string => `0${(mode & 0o777).toString(8)}`;

export function describeModeChange(c: ModeChange): string {
  return c.error ? `${c.path} is ${octal(c.from)} and could not be changed (${c.error})` : `${c.path} ${octal(c.from)} → ${octal(c.to)}`;
}

/** Removes group and other access; returns the change made, if any. */
function tighten(absolute: string, path: string, mode: number, isDir: boolean): ModeChange | null {
  if ((mode & 0o077) === 0) return null;
  const to = isDir ? PRIVATE_DIR_MODE : PRIVATE_FILE_MODE;
  try {
    chmodSync(absolute, to);
    return { path, from: mode, to };
  } catch (e) {
    return { path, from: mode, to, error: (e as NodeJS.ErrnoException).code ?? (e as Error).message };
  }
}

function tightenEntry(dataDir: string, path: string, changes: ModeChange[]): void {
  const absolute = join(dataDir, path);
  const st = lstatSync(absolute, { throwIfNoEntry: false });
  if (!st || !(st.isFile() || st.isDirectory())) return;
  const change = tighten(absolute, path, st.mode, st.isDirectory());
  if (change) changes.push(change);
}

/** Creates `dataDir` (0700) or tightens it and Portcullis's files in it; returns what changed. */
export function preparePrivateDataDir(dataDir: string): ModeChange[] {
  ensurePrivateDir(dataDir);
  const changes: ModeChange[] = [];
  // The directory itself may be a symbolic link to where the data lives: its target is tightened.
  const self = tighten(dataDir, '.', statSync(dataDir).mode, true);
  if (self) changes.push(self);
  for (const name of readdirSync(dataDir).sort()) {
    if (OWN_TOP_LEVEL.test(name)) tightenEntry(dataDir, name, changes);
  }
  const tls = lstatSync(join(dataDir, TLS_DIR), { throwIfNoEntry: false });
  if (tls?.isDirectory()) {
    const own = readdirSync(join(dataDir, TLS_DIR))
      .filter((n) => OWN_TLS.test(n))
      .sort();
    if (own.length > 0) tightenEntry(dataDir, TLS_DIR, changes);
    for (const name of own) tightenEntry(dataDir, join(TLS_DIR, name), changes);
  }
  return changes;
}
