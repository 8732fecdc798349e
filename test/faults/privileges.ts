import { execFile } from 'node:child_process';
import { mkdtempSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Mounting a small tmpfs (a real "disk full") needs root or CAP_SYS_ADMIN. Like requirePostgres:
 * true when it works; otherwise one visible test instead of the suite, FAILING under CI=true
 * (the CI machine runs as root, so a failure there is a broken setup, not a missing privilege).
 */
export async function requireTmpfsMount(suite: string): Promise<boolean> {
  const probe = mkdtempSync(join(tmpdir(), 'portcullis-mount-probe-'));
  let why: string | null = null;
  try {
    await run('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe]);
    await run('umount', [probe]);
  } catch (e) {
    why = ((e as { stderr?: string }).stderr || (e as Error).message).trim();
  } finally {
    rmdirSync(probe);
  }
  if (why === null) return true;
  const message = `${suite}: cannot mount a tmpfs (${why}); run as root to inject a real disk-full`;
  if (process.env.CI === 'true') {
    test(`${suite} (tmpfs mount required under CI)`, () => {
      throw new Error(message);
    });
  } else {
    console.log(`SKIPPED ${message}`);
    test(suite, { skip: message }, () => undefined);
  }
  return false;
}

export async function mountTmpfs(dir: string, sizeMiB: number): Promise<() => Promise<void>> {
  await run('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m,mode=0700`, 'tmpfs', dir]);
  return async () => {
    await run('umount', ['-l', dir]).catch(() => undefined);
  };
}

/** Sets (or lifts, with null) RLIMIT_FSIZE of a running process: prlimit(1), util-linux. */
export async function setFileSizeLimit(pid: number, bytes: number | null): Promise<void> {
  const soft = bytes === null ? 'unlimited' : String(bytes);
  await run('prlimit', ['--pid', String(pid), `--fsize=${soft}:unlimited`]);
}
