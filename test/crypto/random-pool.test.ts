import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { digestCredential, sha256Base64url } from '../../src/crypto/digest.js';
import { generateSigningKey, loadKey, signJwt, signJwtAsync, verifyJwtSignature } from '../../src/crypto/jwt.js';
import { newOpaqueToken, randomBase64url } from '../../src/crypto/random.js';

describe('randomBase64url: pooled CSPRNG bytes', () => {
  test('each value has the asked length and none repeats, across many refills of the pool', () => {
    const seen = new Set<string>();
    // 4 KiB per refill: 20,000 × 16..48 bytes crosses it several hundred times, at every offset.
    for (let i = 0; i < 20_000; i++) {
      const bytes = 16 + (i % 33);
      const value = randomBase64url(bytes);
      assert.match(value, /^[A-Za-z0-9_-]+$/);
      assert.equal(Buffer.from(value, 'base64url').length, bytes);
      assert.ok(!seen.has(value), 'a value came out twice');
      seen.add(value);
    }
  });

  test('consecutive values do not share bytes (no overlap of the slices handed out)', () => {
    for (let i = 0; i < 2_000; i++) {
      const a = Buffer.from(randomBase64url(32), 'base64url');
      const b = Buffer.from(randomBase64url(32), 'base64url');
      assert.notDeepEqual(a.subarray(16), b.subarray(0, 16));
      assert.notDeepEqual(a, b);
    }
  });

  test('bytes look uniform: every byte value turns up about as often', () => {
    const counts = new Array<number>(256).fill(0);
    for (let i = 0; i < 8_000; i++) for (const byte of Buffer.from(newOpaqueToken(), 'base64url')) counts[byte] = (counts[byte] ?? 0) + 1;
    // 256,000 bytes: 1,000 per value expected; a zeroed or repeated pool would skew this far.
    for (const c of counts) assert.ok(c > 800 && c < 1_200, `byte count ${c}`);
  });

  test('larger requests still get fresh bytes', () => {
    const a = randomBase64url(1024);
    assert.equal(Buffer.from(a, 'base64url').length, 1024);
    assert.notEqual(a, randomBase64url(1024));
  });
});

describe('JWT header encoded once per key and typ', () => {
  test("tokens of one key carry the same header; typ and kid are each token's own", async () => {
    const k1 = loadKey(generateSigningKey(Date.now()));
    const k2 = loadKey(generateSigningKey(Date.now()));
    const keys = new Map([
      [k1.kid, k1],
      [k2.kid, k2],
    ]);
    const tokens = [
      signJwt(k1, { a: 1 }),
      await signJwtAsync(k1, { a: 2 }),
      signJwt(k1, { a: 3 }, 'secevent+jwt'),
      await signJwtAsync(k2, { a: 4 }),
    ];
    const headers = tokens.map((t) => {
      const v = verifyJwtSignature(t, (kid) => keys.get(kid));
      assert.ok(v.ok);
      return v.header;
    });
    assert.deepEqual(headers[0], { typ: 'JWT', alg: 'RS256', kid: k1.kid });
    assert.deepEqual(headers[1], headers[0]);
    assert.deepEqual(headers[2], { typ: 'secevent+jwt', alg: 'RS256', kid: k1.kid });
    assert.deepEqual(headers[3], { typ: 'JWT', alg: 'RS256', kid: k2.kid });
  });
});

describe('sha256Base64url: the one-shot digest', () => {
  test('equals createHash over the UTF-8 bytes, for ASCII, non-ASCII and empty strings', () => {
    for (const value of ['', 'a', newOpaqueToken(), 'tenant|user|app', 'Zoë 🦊 \u0000 end', 'x'.repeat(10_000)]) {
      assert.equal(sha256Base64url(value), createHash('sha256').update(value, 'utf8').digest('base64url'));
      assert.equal(digestCredential(value), sha256Base64url(value));
    }
  });
});
