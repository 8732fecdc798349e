/**
 * One token refresh per profile at a time, across processes. Refresh tokens rotate, and the server
 * treats a second redemption of the same refresh token as theft and revokes the whole family
 * (RFC 9700 §4.14.2): two CLI commands started together (a script, two terminals) that both found
 * the access token expired would revoke the administrator's own sign-in. So "read the session →
 * refresh if still needed → write it" runs under `refresh.lock` in the profile directory:
 * created with O_EXCL (exactly one process wins), holding the owner's pid; a lock whose process
 * is gone, or older than STALE_MS, is taken over; waiting is bounded.
 */
import { open, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CliError, EXIT } from '../cli-error.js';
import { ensureProfileDir } from './profiles.js';

/** A refresh is one token request (30 s timeout in auth/oauth.ts): a lock older than this is abandoned. */
const STALE_MS = 45_000;
const WAIT_MS = 60_000;
const POLL_MS = 50;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, someone else's
  }
}

/** True when the lock at `file` belongs to nobody any more (its process ended, or it is too old). */
async function abandoned(file: string): Promise<boolean> {
  try {
    const [text, info] = await Promise.all([readFile(file, 'utf8'), stat(file)]);
    const pid = Number.parseInt(text, 10);
    if (Date.now() - info.mtimeMs > STALE_MS) return true;
    // An empty file is a lock being written this instant: not abandoned.
    return Number.isInteger(pid) && pid > 0 && !alive(pid);
  } catch {
    return false; // gone meanwhile: the next O_EXCL create decides
  }
}

export async function withProfileLock<T>(env: NodeJS.ProcessEnv, work: () => Promise<T>): Promise<T> {
  const file = join(await ensureProfileDir(env), 'refresh.lock');
  const deadline = Date.now() + WAIT_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(file, 'wx', 0o600);
      try {
        await handle.writeFile(`${process.pid}\n`);
      } finally {
        await handle.close();
      }
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    if (await abandoned(file)) {
      await rm(file, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new CliError(
        `another portcullis command has been refreshing this profile's sign-in for a minute (lock file ${file}); if none is running, delete that file`,
        EXIT.FAILURE,
      );
    }
    await sleep(POLL_MS + (attempt % 5) * 10);
  }
  try {
    return await work();
  } finally {
    await rm(file, { force: true });
  }
}
