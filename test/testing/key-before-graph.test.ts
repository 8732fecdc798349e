/**
 * `import 'portcullis/testing'` begins the process's RSA signing key before the server's modules
 * are loaded, so the two overlap and the first startPortcullis() does not wait for the key
 * (src/testing/entry.ts). Checked from the built package (run `npm run build` first), in a fresh
 * process: a module hook notes when dist/app.js (Fastify, the routes) is loaded, a wrapper around
 * crypto.generateKeyPair notes when the key begins; both on process.hrtime, which every thread
 * shares. `require('portcullis/testing')` still works (no top-level await on that path).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const HOOKS = `
let port;
export function initialize(data) { port = data.port; }
export async function load(url, context, next) {
  if (url.endsWith('/dist/app.js')) port.postMessage({ what: 'app loaded', at: String(process.hrtime.bigint()) });
  return next(url, context);
}`;

/** In a fresh process from the checkout: import `specifier`, then report what began when. */
const CHILD = `
import crypto from 'node:crypto';
import { register, syncBuiltinESMExports } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
const events = [];
const { port1, port2 } = new MessageChannel();
port1.on('message', (m) => events.push(m));
register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(HOOKS)}), import.meta.url, { data: { port: port2 }, transferList: [port2] });
const generateKeyPair = crypto.generateKeyPair;
crypto.generateKeyPair = (...args) => {
  events.push({ what: 'key begun', at: String(process.hrtime.bigint()) });
  return generateKeyPair(...args);
};
syncBuiltinESMExports();
const kit = await import(process.argv[1]);
if (typeof kit.startPortcullis !== 'function') throw new Error('no startPortcullis');
await new Promise((resolve) => setTimeout(resolve, 200));
port1.close();
console.log(JSON.stringify(events));
`;

function order(specifier: string): Array<{ what: string; at: bigint }> {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', CHILD, specifier], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  const events = JSON.parse(r.stdout.trim().split('\n').pop()!) as Array<{ what: string; at: string }>;
  return events.map((e) => ({ what: e.what, at: BigInt(e.at) })).sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
}

describe('the signing key begins before the server modules load', () => {
  test("import 'portcullis/testing': the key is begun first, then the server's modules are loaded", () => {
    const events = order('portcullis/testing');
    assert.deepEqual(
      events.map((e) => e.what),
      ['key begun', 'app loaded'],
    );
  });

  test("require('portcullis/testing') (require(esm)) gets the kit too", () => {
    const r = spawnSync(process.execPath, ['-e', "console.log(typeof require('portcullis/testing').startPortcullis)"], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'function');
  });
});
