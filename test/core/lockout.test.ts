import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { afterFailure, lockedForSeconds, sourceOf, type LockoutPolicy, type LockoutState } from '../../src/core/lockout.js';

const ENTRA: LockoutPolicy = { threshold: 10, lockoutSeconds: 60, maxLockoutSeconds: 3600, resetAfterSeconds: 86_400 };
const T0 = Date.UTC(2026, 0, 1);

function fail(times: number, from: LockoutState | null, at: number, policy = ENTRA) {
  let state = from;
  let lockedCount = 0;
  for (let i = 0; i < times; i++) {
    const r = afterFailure(state, 'k', at, policy);
    state = r.state;
    if (r.locked) lockedCount++;
  }
  return { state: state!, lockedCount };
}

describe('smart lockout policy (core/lockout.ts)', () => {
  test('nine failures leave the subject unlocked; the tenth locks it for 60 s', () => {
    const nine = fail(9, null, T0);
    assert.equal(nine.lockedCount, 0);
    assert.equal(lockedForSeconds(nine.state, T0), 0);
    const ten = fail(1, nine.state, T0);
    assert.equal(ten.lockedCount, 1);
    assert.equal(lockedForSeconds(ten.state, T0), 60);
    assert.equal(lockedForSeconds(ten.state, T0 + 59_999), 1);
    assert.equal(lockedForSeconds(ten.state, T0 + 60_000), 0);
  });

  test('failures during a lock change nothing; each failure after a lock doubles it, up to the maximum', () => {
    const { state } = fail(10, null, T0);
    assert.deepEqual(afterFailure(state, 'k', T0 + 1000, ENTRA), { state, locked: false });
    let s = state;
    let at = T0;
    const durations: number[] = [];
    for (let i = 0; i < 8; i++) {
      at = s.lockedUntil!;
      const r = afterFailure(s, 'k', at, ENTRA);
      assert.equal(r.locked, true);
      s = r.state;
      durations.push(lockedForSeconds(s, at));
    }
    assert.deepEqual(durations, [120, 240, 480, 960, 1920, 3600, 3600, 3600]);
  });

  test('the count starts again after resetAfterSeconds without a failure', () => {
    const { state } = fail(9, null, T0);
    const r = afterFailure(state, 'k', T0 + 86_400_000, ENTRA);
    assert.equal(r.state.failures, 1);
    assert.equal(r.locked, false);
    assert.ok(r.state.expiresAt >= T0 + 86_400_000 + 86_400_000);
  });

  test('sources: IPv4 as is (also IPv4-mapped), IPv6 by its /64', () => {
    assert.equal(sourceOf('203.0.113.9'), '203.0.113.9');
    assert.equal(sourceOf('::ffff:203.0.113.9'), '203.0.113.9');
    assert.equal(sourceOf('2001:db8:0:1::5'), '2001:db8:0:1::/64');
    assert.equal(sourceOf('2001:0db8:0000:0001:ffff:1:2:3'), '2001:db8:0:1::/64');
    assert.equal(sourceOf('::1'), '0:0:0:0::/64');
  });
});
