/**
 * Runs the vitest version of the MSAL example (examples/msal-testing-kit/msal-app.vitest.ts)
 * with the pinned vitest, as docs/testing-kit.md "With vitest" shows it. vitest is a runner of
 * its own, so this is one child process; `portcullis/testing` resolves to the built dist/: run
 * `npm run build` first.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const vitest = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');

test('the vitest example passes: sign-in, refresh, revoke -> InteractionRequiredAuthError; a disabled account', async () => {
  const started = performance.now();
  const { code, out } = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [vitest, 'run', '--config', 'examples/msal-testing-kit/vitest.config.ts'], {
      cwd: root,
      env: { ...process.env, CI: 'true', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, out }));
  });
  console.log(`vitest example: ${(performance.now() - started).toFixed(0)} ms\n${out.trim().split('\n').slice(-4).join('\n')}`);
  assert.equal(code, 0, out);
  assert.match(out, /Tests\s+2 passed \(2\)/);
});
