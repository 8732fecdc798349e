/**
 * File modes of a real data directory made by the real `portcullis serve` and `migrate`: the
 * directory 0700, every file in it 0600 (the database holds the signing keys), and a directory
 * left with looser modes is tightened on start, with a notice saying what changed.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { killAll, startServe } from './serve-process.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const mode = (path: string): string => `0${(statSync(path).mode & 0o777).toString(8)}`;

/** Every entry under `dir` (recursively) with its mode, relative paths sorted. */
function modes(dir: string, prefix = ''): [string, string][] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e): [string, string][] => {
      const rel = join(prefix, e.name);
      const own: [string, string] = [rel, mode(join(dir, e.name))];
      return e.isDirectory() ? [own, ...modes(join(dir, e.name), rel)] : [own];
    })
    .sort(([a], [b]) => (a < b ? -1 : 1));
}

function runCli(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`portcullis ${args.join(' ')} timed out: ${out}`));
    }, 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe('data directory file modes', () => {
  let root: string;
  let previousUmask: number;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'portcullis-modes-'));
    // The usual umask, under which the files used to come out 0644: the modes must not depend on it.
    previousUmask = process.umask(0o022);
  });
  after(() => {
    killAll();
    process.umask(previousUmask);
    rmSync(root, { recursive: true, force: true });
  });

  it("serve creates the directory 0700 and every file in it 0600: database, -wal, -shm, lock; the machine's TLS key and certificate too", {
    timeout: 120_000,
  }, async () => {
    const dataDir = join(root, 'fresh', 'data');
    const machine = join(root, 'machine-config');
    const server = await startServe(['--data-dir', dataDir, '--tls-self-signed'], 120_000, { XDG_CONFIG_HOME: machine });
    try {
      // While it runs, so the -wal and -shm files exist.
      assert.equal(mode(dataDir), '0700');
      assert.deepEqual(modes(dataDir), [
        ['portcullis.db', '0600'],
        ['portcullis.db-shm', '0600'],
        ['portcullis.db-wal', '0600'],
        ['portcullis.lock', '0600'],
      ]);
      // One self-signed certificate per machine, in the config dir (src/cli/tls.ts).
      assert.deepEqual(modes(machine), [
        ['portcullis', '0700'],
        [join('portcullis', 'tls'), '0700'],
        [join('portcullis', 'tls', 'localhost'), '0700'],
        [join('portcullis', 'tls', 'localhost', 'cert.pem'), '0600'],
        [join('portcullis', 'tls', 'localhost', 'key.pem'), '0600'],
      ]);
      assert.doesNotMatch(server.output(), /made private/);
    } finally {
      assert.equal(await server.stop(), 0);
    }
    for (const [path, m] of modes(dataDir)) assert.ok(m === '0600' || m === '0700', `${path} is ${m} after stop`);
  });

  it('migrate creates a new database 0600 in a new 0700 directory', async () => {
    const dataDir = join(root, 'migrated');
    const r = await runCli(['migrate', '--data-dir', dataDir]);
    assert.equal(r.code, 0, r.out);
    assert.equal(mode(dataDir), '0700');
    for (const [path, m] of modes(dataDir)) assert.equal(m, '0600', path);
  });

  it("restore makes the restored database 0600 in a 0700 directory, whatever the backup file's mode", async () => {
    const source = join(root, 'backup-source');
    assert.equal((await runCli(['migrate', '--data-dir', source])).code, 0);
    const backup = join(root, 'copied-around.db');
    const b = await runCli(['backup', '--data-dir', source, '--out', backup]);
    assert.equal(b.code, 0, b.out);
    // As a backup copied by hand (cp without -p) would be.
    chmodSync(backup, 0o644);
    const target = join(root, 'restored');
    const r = await runCli(['restore', '--data-dir', target, '--from', backup]);
    assert.equal(r.code, 0, r.out);
    assert.equal(mode(target), '0700');
    for (const [path, m] of modes(target)) assert.equal(m, '0600', path);
  });

  it('serve tightens a 0755 directory with 0644 files on start, says what it changed, and leaves other files alone', {
    timeout: 120_000,
  }, async () => {
    const dataDir = join(root, 'loose');
    const first = await startServe(['--data-dir', dataDir]);
    assert.equal(await first.stop(), 0);
    // As an older Portcullis (which kept its self-signed pair in <data-dir>/tls), or an archive that lost the modes, left it.
    chmodSync(dataDir, 0o755);
    mkdirSync(join(dataDir, 'tls'), { mode: 0o755 });
    writeFileSync(join(dataDir, 'tls', 'cert.pem'), 'old certificate', { mode: 0o644 });
    writeFileSync(join(dataDir, 'tls', 'key.pem'), 'old key', { mode: 0o644 });
    for (const f of ['portcullis.db', 'portcullis.lock', join('tls', 'cert.pem'), join('tls', 'key.pem')])
      chmodSync(join(dataDir, f), 0o644);
    writeFileSync(join(dataDir, 'portcullis.db.before-restore-2026'), 'old', { mode: 0o644 });
    writeFileSync(join(dataDir, 'NOTES.txt'), 'not ours', { mode: 0o644 });
    mkdirSync(join(dataDir, 'other'), { mode: 0o755 });

    const server = await startServe(['--data-dir', dataDir]);
    try {
      const notice = server
        .output()
        .split('\n')
        .find((l) => l.startsWith('Data directory'));
      assert.equal(
        notice,
        `Data directory '${dataDir}': made private (owner only): . 0755 → 0700, portcullis.db 0644 → 0600, ` +
          'portcullis.db.before-restore-2026 0644 → 0600, portcullis.lock 0644 → 0600, tls 0755 → 0700, tls/cert.pem 0644 → 0600, tls/key.pem 0644 → 0600',
      );
      assert.equal(mode(dataDir), '0700');
      for (const f of [
        'portcullis.db',
        'portcullis.db-wal',
        'portcullis.db-shm',
        'portcullis.lock',
        'portcullis.db.before-restore-2026',
        join('tls', 'cert.pem'),
        join('tls', 'key.pem'),
      ]) {
        assert.equal(mode(join(dataDir, f)), '0600', f);
      }
      assert.equal(mode(join(dataDir, 'NOTES.txt')), '0644');
      assert.equal(mode(join(dataDir, 'other')), '0755');
    } finally {
      assert.equal(await server.stop(), 0);
    }
    // Already private: the next start says nothing.
    const again = await startServe(['--data-dir', dataDir]);
    try {
      assert.doesNotMatch(again.output(), /made private/);
    } finally {
      assert.equal(await again.stop(), 0);
    }
  });
});
