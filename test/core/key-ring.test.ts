import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { KeyRing } from '../../src/core/key-ring.js';
import { generateSigningKey, verifyJwtSignature } from '../../src/crypto/jwt.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import type { Store } from '../../src/store/store.js';

describe('KeyRing: reload swaps an immutable snapshot', () => {
  let dir: string;
  let store: Store;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-keyring-'));
    store = openSqliteStore(join(dir, 'p.db'));
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a rotation is picked up by reload; old tokens still verify; a retired key is dropped', async () => {
    let now = Date.UTC(2026, 5, 1);
    const ring = await KeyRing.open(store, now, () => now);
    const first = ring.signingKid;
    const oldToken = ring.sign({ sub: 'x' });
    const jwksBefore = ring.jwks();
    assert.equal(await ring.reload(), false, 'nothing changed');

    const second = generateSigningKey(now + 1);
    await store.keys.rotate(second, [], now + 1);
    assert.equal(ring.signingKid, first, 'no pick-up before a reload');
    assert.equal(await ring.reload(), true);
    assert.equal(ring.signingKid, second.kid);
    assert.deepEqual(ring.jwks().keys.map((k) => k.kid), [first, second.kid]);
    assert.equal(jwksBefore.keys.length, 1, 'a snapshot handed out earlier never changes');
    assert.ok(Object.isFrozen(ring.jwks().keys));
    assert.equal(verifyJwtSignature(oldToken, (kid) => ring.byId(kid)).ok, true);
    const newToken = ring.sign({ sub: 'y' });
    assert.equal(JSON.parse(Buffer.from(newToken.split('.')[0]!, 'base64url').toString()).kid, second.kid);

    await store.keys.rotate(generateSigningKey(now + 2), [first], now + 2);
    assert.equal(await ring.reload(), true);
    assert.equal(ring.byId(first), undefined);
    assert.equal(verifyJwtSignature(oldToken, (kid) => ring.byId(kid)).ok, false);
    now += 10_000;
  });

  test('concurrent reload calls coalesce, and a call during a read gets a read after it', async () => {
    const ring = await KeyRing.open(store, Date.now());
    const a = ring.reload();
    // Rotated while the first read may already be running: the queued read must see it.
    const key = generateSigningKey(Date.now() + 100_000);
    await store.keys.rotate(key, [], Date.now());
    const b = ring.reload();
    const c = ring.reload();
    assert.equal(b, c, 'callers during one read share the follow-up');
    await Promise.all([a, b, c]);
    assert.equal(ring.signingKid, key.kid);
  });

  test('catchUp reloads for an unknown kid at most once a second', async () => {
    let now = Date.UTC(2027, 0, 1);
    const ring = await KeyRing.open(store, now, () => now);
    const key = generateSigningKey(now + 1_000_000);
    await store.keys.rotate(key, [], now);
    assert.equal((await ring.catchUp(key.kid))?.kid, key.kid, 'the first unknown kid triggers a read');
    const later = generateSigningKey(now + 2_000_000);
    await store.keys.rotate(later, [], now);
    now += 500;
    assert.equal(await ring.catchUp(later.kid), undefined, 'rate-limited: no read within the second');
    now += 600;
    assert.equal((await ring.catchUp(later.kid))?.kid, later.kid);
  });
});
