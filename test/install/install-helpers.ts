/**
 * What test/install/packed-install.test.ts and test/install/git-install.long.ts share: an
 * operator's shell around a temporary npm prefix, and the better-sqlite3 prebuild shortcut both
 * take (explained in packed-install.test.ts).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  bundleDependencies?: string[];
};

/**
 * An operator's shell: this environment (proxy and CA settings included) without the npm_*
 * variables `npm test` sets for its scripts, and a PATH of the prefix's bin, Node.js and the system.
 */
export function cleanEnv(prefix: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  return { ...env, PATH: `${join(prefix, 'bin')}:${dirname(process.execPath)}:/usr/bin:/bin`, ...extra };
}

export function npm(prefix: string, args: readonly string[], cwd: string, extra: Record<string, string> = {}, timeout = 120_000): string {
  const r = spawnSync('npm', args, { cwd, env: cleanEnv(prefix, extra), encoding: 'utf8', timeout });
  assert.equal(r.status, 0, `npm ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** The archive prebuild-install would download for this Node.js ABI, made from the checkout's build. */
export function localPrebuild(work: string): { dir: string; version: string } {
  const require = createRequire(join(ROOT, 'package.json'));
  const pkgFile = require.resolve('better-sqlite3/package.json');
  const version = (JSON.parse(readFileSync(pkgFile, 'utf8')) as { version: string }).version;
  const dir = join(work, 'prebuilds');
  const stage = join(work, 'prebuild-stage');
  mkdirSync(join(stage, 'build/Release'), { recursive: true });
  mkdirSync(dir);
  execFileSync('cp', [join(dirname(pkgFile), 'build/Release/better_sqlite3.node'), join(stage, 'build/Release/')]);
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  execFileSync('tar', ['-czf', join(dir, name), '-C', stage, 'build']);
  return { dir, version };
}

/** `portcullis serve` on a new data dir from `cwd`, until discovery answers; then stopped. */
export async function serveAnswers(prefix: string, cwd: string, dataDir: string): Promise<{ issuer: string; readyz: number }> {
  const child = spawn('portcullis', ['serve', '--data-dir', dataDir, '--host', '127.0.0.1', '--port', '0', '--log-level', 'silent'], {
    cwd,
    env: cleanEnv(prefix),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not ready in 30 s: ${out}`)), 30_000);
      child.stdout.on('data', () => {
        if (/^ {2}discovery: +\S+$/m.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      });
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`serve exited with ${code}: ${out}`));
      });
    });
    const discovery = /^ {2}discovery: +(\S+)$/m.exec(out)![1]!.replace('localhost', '127.0.0.1');
    const res = await fetch(discovery, { signal: AbortSignal.timeout(10_000) });
    assert.equal(res.status, 200);
    const doc = (await res.json()) as { issuer: string };
    assert.ok(discovery.startsWith(doc.issuer.replace('localhost', '127.0.0.1')));
    const readyz = await fetch(new URL('/readyz', discovery), { signal: AbortSignal.timeout(10_000) });
    return { issuer: doc.issuer, readyz: readyz.status };
  } finally {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}
