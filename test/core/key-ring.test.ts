import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
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

  test('a rotation is picked up by reload; old tokens still verify; a withdrawn key is dropped', async () => {
    let now = Date.UTC(2026, 5, 1);
    const ring = await KeyRing.open(store, now, () => now);
    const first = ring.signingKid;
    const oldToken = ring.sign({ sub: 'x' });
    const jwksBefore = ring.jwks();
    assert.equal(await ring.reload(), false, 'nothing changed');

    now += 1;
    const second = generateSigningKey(now);
    await store.keys.rotate(second, [], now);
    assert.equal(ring.signingKid, first, 'no pick-up before a reload');
    assert.equal(await ring.reload(), true);
    assert.equal(ring.signingKid, second.kid);
    assert.deepEqual(
      ring.jwks().keys.map((k) => k.kid),
      [first, second.kid],
    );
    assert.equal(jwksBefore.keys.length, 1, 'a snapshot handed out earlier never changes');
    assert.ok(Object.isFrozen(ring.jwks().keys));
    assert.equal(verifyJwtSignature(oldToken, (kid) => ring.byId(kid)).ok, true);
    const newToken = ring.sign({ sub: 'y' });
    assert.equal(JSON.parse(Buffer.from(newToken.split('.')[0]!, 'base64url').toString()).kid, second.kid);

    now += 1;
    await store.keys.rotate(generateSigningKey(now), [first], now);
    assert.equal(await ring.reload(), true);
    assert.equal(ring.byId(first), undefined);
    assert.equal(verifyJwtSignature(oldToken, (kid) => ring.byId(kid)).ok, false);
  });

  test('concurrent reload calls coalesce, and a call during a read gets a read after it', async () => {
    const ring = await KeyRing.open(store, Date.now());
    const a = ring.reload();
    // Rotated while the first read may already be running: the queued read must see it.
    const key = generateSigningKey(Date.now());
    await store.keys.rotate(key, [], Date.now());
    const b = ring.reload();
    const c = ring.reload();
    assert.equal(b, c, 'callers during one read share the follow-up');
    await Promise.all([a, b, c]);
    assert.equal(ring.signingKid, key.kid);
  });

  test('a next key is published at once and signs at its activatesAt by the clock alone; the old key drops out after the retention', async () => {
    let now = Date.UTC(2028, 0, 1);
    const retentionMs = 10 * 3_600_000;
    const ring = await KeyRing.open(store, now, () => now, retentionMs);
    await store.keys.rotate(generateSigningKey(now), [], now);
    await ring.reload();
    const old = ring.signingKid;
    const next = { ...generateSigningKey(now), activatesAt: now + 3_600_000 };
    await store.keys.rotate(next, [], now);
    assert.equal(await ring.reload(), true);
    assert.equal(ring.signingKid, old, 'a next key does not sign before its time');
    assert.deepEqual(ring.nextKey, { kid: next.kid, activatesAt: next.activatesAt });
    assert.ok(
      ring.jwks().keys.some((k) => k.kid === next.kid),
      'but it is published at once',
    );
    assert.ok(ring.byId(next.kid));

    now += 3_600_000 - 1;
    assert.equal(ring.signingKid, old);
    now += 1;
    assert.equal(ring.signingKid, next.kid, 'switched at activatesAt with no reload');
    assert.equal(ring.nextKey, null);
    assert.ok(ring.byId(old), 'the retired key is still accepted');
    now += retentionMs - 1;
    assert.ok(ring.jwks().keys.some((k) => k.kid === old));
    now += 1;
    assert.equal(ring.byId(old), undefined, 'removed at activatesAt + retention, still with no reload');
    assert.deepEqual(
      ring.jwks().keys.map((k) => k.kid),
      [next.kid],
    );
  });

  test('a key written without an activation time (before migration 50, or by an older instance) signs from its creation', async () => {
    const now = Date.UTC(2029, 0, 1);
    const legacy = generateSigningKey(now);
    const raw = new Database(join(dir, 'p.db'));
    try {
      raw
        .prepare('INSERT INTO signing_keys (kid, alg, private_key_pem, public_jwk, created_at, retired_at) VALUES (?, ?, ?, ?, ?, NULL)')
        .run(legacy.kid, legacy.alg, legacy.privateKeyPem, JSON.stringify(legacy.publicJwk), legacy.createdAt);
    } finally {
      raw.close();
    }
    const stored = (await store.keys.listUnretired()).find((k) => k.kid === legacy.kid);
    assert.equal(stored?.activatesAt, now);
    const ring = await KeyRing.open(store, now, () => now);
    assert.equal(ring.signingKid, legacy.kid, 'the newest by its creation time');
  });

  test('catchUp reloads for an unknown kid at most once a second', async () => {
    let now = Date.UTC(2027, 0, 1);
    const ring = await KeyRing.open(store, now, () => now);
    const key = generateSigningKey(now);
    await store.keys.rotate(key, [], now);
    assert.equal((await ring.catchUp(key.kid))?.kid, key.kid, 'the first unknown kid triggers a read');
    const later = generateSigningKey(now);
    await store.keys.rotate(later, [], now);
    now += 500;
    assert.equal(await ring.catchUp(later.kid), undefined, 'rate-limited: no read within the second');
    now += 600;
    assert.equal((await ring.catchUp(later.kid))?.kid, later.kid);
  });
});
