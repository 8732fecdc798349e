import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_KEY_RELOAD_SECONDS, DEFAULT_TOKEN_LIFETIMES } from '../../src/config.js';
import { CLOCK_SKEW_SECONDS, describeKeys, keyRetentionMs, planRotation } from '../../src/core/key-rotation.js';
import type { SigningKey } from '../../src/core/model.js';

const T0 = Date.UTC(2026, 5, 1);
const MIN = 60_000;
const key = (kid: string, createdAt: number, retiredAt: number | null = null): SigningKey => ({
  kid, alg: 'RS256', privateKeyPem: '', publicJwk: {}, createdAt, retiredAt,
});

describe('key retention rule', () => {
  const retention = keyRetentionMs({ tokens: DEFAULT_TOKEN_LIFETIMES, keyReloadSeconds: DEFAULT_KEY_RELOAD_SECONDS });

  test('longest token lifetime + reload interval + clock skew (90 min + 30 s + 5 min by default)', () => {
    assert.equal(retention, (5400 + 30 + CLOCK_SKEW_SECONDS) * 1000);
    const longId = keyRetentionMs({ tokens: { ...DEFAULT_TOKEN_LIFETIMES, idTokenSeconds: 7200 }, keyReloadSeconds: 60 });
    assert.equal(longId, (7200 + 60 + 300) * 1000, 'the longer of access and ID token lifetimes counts');
  });

  test('a key is superseded when the next key is created, and retirable only a full retention later', () => {
    const keys = [key('a', T0), key('b', T0 + 10 * MIN), key('c', T0 + 20 * MIN)];
    const [a, b, c] = describeKeys(keys, retention);
    assert.deepEqual(a!.state, { kind: 'verifying', supersededAt: T0 + 10 * MIN, retireAfter: T0 + 10 * MIN + retention });
    assert.deepEqual(b!.state, { kind: 'verifying', supersededAt: T0 + 20 * MIN, retireAfter: T0 + 20 * MIN + retention });
    assert.deepEqual(c!.state, { kind: 'signing' });

    // Just before a's retention ends nothing goes; at its end a goes, b (superseded later) stays.
    assert.deepEqual(planRotation(keys, T0 + 10 * MIN + retention - 1, retention).retire, []);
    assert.deepEqual(planRotation(keys, T0 + 10 * MIN + retention, retention).retire, ['a']);
    // The signing key is never retired by a rotation, however old: it is superseded only now.
    assert.deepEqual(planRotation(keys, T0 + 1000 * MIN, retention).retire, ['a', 'b']);
  });

  test('retired keys stay retired and still mark when the key before them was superseded', () => {
    const keys = [key('a', T0), key('b', T0 + MIN, T0 + 500 * MIN), key('c', T0 + 2 * MIN)];
    const states = describeKeys(keys, retention).map((s) => s.state.kind);
    assert.deepEqual(states, ['verifying', 'retired', 'signing']);
    assert.deepEqual(describeKeys(keys, retention)[0]!.state, { kind: 'verifying', supersededAt: T0 + MIN, retireAfter: T0 + MIN + retention });
  });

  test('the new key is created after every existing key, even from a host whose clock lags', () => {
    const keys = [key('a', T0 + 5 * MIN)];
    assert.equal(planRotation(keys, T0, retention).createdAt, T0 + 5 * MIN + 1);
    assert.equal(planRotation(keys, T0 + 6 * MIN, retention).createdAt, T0 + 6 * MIN);
    assert.equal(planRotation([], T0, retention).createdAt, T0);
  });
});
