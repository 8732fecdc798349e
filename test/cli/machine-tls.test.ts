/**
 * `serve --tls-self-signed` keeps one certificate per machine (src/cli/tls.ts): made once, owner
 * only, reused; a data directory's certificate from before is adopted (clients already trust
 * it); servers starting at the same moment end up with one pair on disk and all serve it.
 */
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { machineTlsDir, selfSignedTls } from '../../src/cli/tls.js';

const root = mkdtempSync(join(tmpdir(), 'portcullis-machine-tls-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('the location follows XDG_CONFIG_HOME, else HOME', () => {
  assert.equal(machineTlsDir({ XDG_CONFIG_HOME: '/x/cfg', HOME: '/home/a' }), '/x/cfg/portcullis/tls/localhost');
  assert.equal(machineTlsDir({ HOME: '/home/a' }), '/home/a/.config/portcullis/tls/localhost');
});

test('servers starting together: one pair on disk, all of them serve it; later starts reuse it', async () => {
  const dir = join(root, 'together', 'portcullis', 'tls', 'localhost');
  const all = await Promise.all([selfSignedTls(dir), selfSignedTls(dir), selfSignedTls(dir)]);
  const onDisk = readFileSync(join(dir, 'cert.pem'), 'utf8');
  for (const t of all) assert.equal(t.cert, onDisk);
  assert.equal(new X509Certificate(onDisk).checkPrivateKey(createPrivateKey(readFileSync(join(dir, 'key.pem'), 'utf8'))), true);
  assert.equal(statSync(join(dir, 'key.pem')).mode & 0o777, 0o600);
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  const again = await selfSignedTls(dir);
  assert.equal(again.cert, onDisk);
  assert.equal(again.generated, false);
  assert.equal(again.fingerprint, new X509Certificate(onDisk).fingerprint256);
});

test("a data directory's older certificate is adopted when the machine has none", async () => {
  const legacy = join(root, 'data', 'tls');
  mkdirSync(legacy, { recursive: true });
  // Made the way an older Portcullis made it (two years of validity).
  const old = await selfSignedTls(join(root, 'made-before'));
  writeFileSync(join(legacy, 'cert.pem'), old.cert);
  writeFileSync(join(legacy, 'key.pem'), old.key);
  const dir = join(root, 'adopt', 'tls', 'localhost');
  const t = await selfSignedTls(dir, Date.now(), legacy);
  assert.equal(t.cert, old.cert);
  assert.equal(t.generated, false);
  assert.equal(readFileSync(join(dir, 'cert.pem'), 'utf8'), old.cert);
  // Once the machine has one, it wins over any data directory's.
  const other = await selfSignedTls(join(root, 'made-elsewhere'));
  writeFileSync(join(legacy, 'cert.pem'), other.cert);
  writeFileSync(join(legacy, 'key.pem'), other.key);
  assert.equal((await selfSignedTls(dir, Date.now(), legacy)).cert, old.cert);
});

test('an expired machine certificate is replaced', async () => {
  const dir = join(root, 'expiring', 'tls', 'localhost');
  const first = await selfSignedTls(dir);
  // Two years and a bit later.
  const later = await selfSignedTls(dir, Date.now() + 731 * 24 * 3600 * 1000);
  assert.notEqual(later.cert, first.cert);
  assert.equal(later.generated, true);
  assert.equal(readFileSync(join(dir, 'cert.pem'), 'utf8'), later.cert);
});
