import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { parsePrometheusText, sampleValue } from './prometheus-text.js';

/**
 * `portcullis serve` as a real process (docs/operations.md): JSON logs on stderr and the human
 * lines (banner, one-time password) on stdout, and the management listener of --metrics-port.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = join(ROOT, 'src/cli/main.ts');
const READY_MS = 60_000;
const dirs: string[] = [];
const children = new Set<ChildProcess>();

after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Served {
  stdout: () => string;
  stderr: () => string;
  line: (name: string) => string;
  stop: () => Promise<number | null>;
}

async function serve(extra: string[]): Promise<Served> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-ops-'));
  dirs.push(dir);
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', MAIN, 'serve', '--host', '127.0.0.1', '--port', '0', '--data-dir', join(dir, 'data'), ...extra],
    {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.add(child);
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready within ${READY_MS} ms: ${out} ${err}`)), READY_MS);
    child.stdout!.on('data', () => {
      if (/^Portcullis ready\n(?:.*\n)*? {2}keys: .*\n/m.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before ready: ${out} ${err}`));
    });
  });
  return {
    stdout: () => out,
    stderr: () => err,
    line: (name) => {
      const m = new RegExp(`^ {2}${name}: +(\\S+)`, 'm').exec(out);
      assert.ok(m?.[1], `no '${name}:' line in ${out}`);
      return m[1];
    },
    stop: async () => {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

const local = (url: string) => url.replace('//localhost:', '//127.0.0.1:');

describe('serve: log streams and the management listener', { timeout: 120_000 }, () => {
  test('stdout holds the human lines, stderr only JSON log lines; the one-time password is never in the logs', async () => {
    const s = await serve(['--log-level', 'info']);
    const discovery = local(s.line('discovery'));
    const password = s.line('password');
    assert.equal((await fetch(discovery)).status, 200);
    assert.equal((await fetch(new URL('/readyz', discovery))).status, 200);
    assert.equal(await s.stop(), 0);

    const outLines = s
      .stdout()
      .split('\n')
      .filter((l) => l !== '');
    assert.ok(outLines.some((l) => l === 'Portcullis ready'));
    assert.ok(outLines.some((l) => l === 'Portcullis stopped'));
    for (const l of outLines) assert.ok(!l.startsWith('{'), `a JSON line on stdout: ${l}`);

    const errLines = s
      .stderr()
      .split('\n')
      .filter((l) => l !== '');
    assert.ok(errLines.length >= 2, `the request logs at info: ${s.stderr()}`);
    for (const l of errLines) {
      const entry = JSON.parse(l) as { level?: unknown; time?: unknown };
      assert.equal(typeof entry.level, 'number', l);
      assert.equal(typeof entry.time, 'number', l);
    }
    assert.ok(!s.stderr().includes(password), 'the password is not in the logs');
    assert.ok(!s.stderr().includes('Portcullis ready'));
  });

  test('--metrics-port serves /metrics, /healthz and /readyz on its own port; the public port has no /metrics', async () => {
    const s = await serve(['--log-level', 'silent', '--metrics-port', '0']);
    try {
      const discovery = local(s.line('discovery'));
      const metricsUrl = local(s.line('metrics'));
      assert.match(metricsUrl, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      assert.notEqual(new URL(metricsUrl).port, new URL(discovery).port);
      assert.equal((await fetch(discovery)).status, 200);
      assert.equal((await fetch(new URL('/metrics', discovery))).status, 404);

      const res = await fetch(metricsUrl);
      assert.equal(res.status, 200);
      const samples = parsePrometheusText(await res.text());
      assert.equal(
        sampleValue(samples, 'portcullis_http_requests_total', {
          method: 'GET',
          route: '/:tenant/v2.0/.well-known/openid-configuration',
          status: '200',
        }),
        1,
      );
      for (const probe of ['/healthz', '/readyz']) {
        const r = await fetch(new URL(probe, metricsUrl));
        assert.equal(r.status, 200, probe);
        assert.equal(((await r.json()) as { status: string }).status, 'UP');
      }
    } finally {
      assert.equal(await s.stop(), 0);
    }
  });
});
