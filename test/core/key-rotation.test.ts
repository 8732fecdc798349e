import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  DEFAULT_KEY_LEAD_SECONDS,
  DEFAULT_KEY_RELOAD_SECONDS,
  DEFAULT_TOKEN_LIFETIMES,
  ENTRA_CAE_ACCESS_TOKEN_SECONDS,
  makeAppConfig,
} from '../../src/config.js';
import {
  CLOCK_SKEW_SECONDS,
  JWKS_MAX_AGE_CAP_SECONDS,
  describeKeys,
  fullCacheLeadSeconds,
  jwksMaxAgeSeconds,
  keyRetentionMs,
  keySchedule,
  planRotation,
} from '../../src/core/key-rotation.js';
import type { SigningKey } from '../../src/core/model.js';

const T0 = Date.UTC(2026, 5, 1);
const MIN = 60_000;
const HOUR = 60 * MIN;
const key = (kid: string, activatesAt: number, retiredAt: number | null = null, createdAt = activatesAt): SigningKey => ({
  kid,
  alg: 'RS256',
  privateKeyPem: '',
  publicJwk: {},
  createdAt,
  activatesAt,
  retiredAt,
});
const kinds = (keys: SigningKey[], now: number, retention: number) =>
  describeKeys(keys, now, retention).map((s) => `${s.key.kid}:${s.state.kind}`);

describe('signing-key schedule', () => {
  const retention = keyRetentionMs({ tokens: DEFAULT_TOKEN_LIFETIMES, keyReloadSeconds: DEFAULT_KEY_RELOAD_SECONDS });

  test('retention: the longest signed lifetime of any serve configuration (CAE 28 h) + reload interval + clock skew', () => {
    assert.equal(retention, (ENTRA_CAE_ACCESS_TOKEN_SECONDS.max + 30 + CLOCK_SKEW_SECONDS) * 1000);
    assert.equal(ENTRA_CAE_ACCESS_TOKEN_SECONDS.max, 28 * 3600);
    const longer = keyRetentionMs({
      tokens: { ...DEFAULT_TOKEN_LIFETIMES, caeAccessTokenMinSeconds: 1, caeAccessTokenMaxSeconds: 40 * 3600 },
      keyReloadSeconds: 60,
    });
    assert.equal(longer, (40 * 3600 + 60 + 300) * 1000, 'a longer configured lifetime counts');
  });

  test('JWKS max-age fits inside the lead time; the default lead keeps the 24 h max-age', () => {
    const config = makeAppConfig({ publicUrl: 'https://idp.test' });
    assert.equal(config.keyLeadSeconds, DEFAULT_KEY_LEAD_SECONDS);
    assert.ok(DEFAULT_KEY_LEAD_SECONDS >= fullCacheLeadSeconds(DEFAULT_KEY_RELOAD_SECONDS));
    assert.equal(jwksMaxAgeSeconds(config), JWKS_MAX_AGE_CAP_SECONDS);
    assert.equal(jwksMaxAgeSeconds({ keyLeadSeconds: 3600, keyReloadSeconds: 30 }), 3600 - 30 - 300);
    assert.equal(jwksMaxAgeSeconds({ keyLeadSeconds: 0, keyReloadSeconds: 30 }), 0);
  });

  test('next → active at activatesAt → retired → removed at retiredAt + retention', () => {
    const keys = [key('a', T0), key('b', T0 + 10 * HOUR, null, T0 + HOUR)];
    assert.deepEqual(kinds(keys, T0 + HOUR, retention), ['a:active', 'b:next']);
    assert.deepEqual(kinds(keys, T0 + 10 * HOUR - 1, retention), ['a:active', 'b:next']);
    assert.deepEqual(kinds(keys, T0 + 10 * HOUR, retention), ['a:retired', 'b:active']);
    const retired = describeKeys(keys, T0 + 10 * HOUR, retention)[0]!.state;
    assert.deepEqual(retired, { kind: 'retired', retiredAt: T0 + 10 * HOUR, publishedUntil: T0 + 10 * HOUR + retention });
    assert.deepEqual(kinds(keys, T0 + 10 * HOUR + retention - 1, retention), ['a:retired', 'b:active']);
    assert.deepEqual(kinds(keys, T0 + 10 * HOUR + retention, retention), ['a:removed', 'b:active']);
  });

  test('keySchedule: what signs, what is published, and when that changes by itself', () => {
    const keys = [key('a', T0), key('b', T0 + 10 * HOUR, null, T0 + HOUR)];
    const before = keySchedule(keys, T0 + HOUR, retention)!;
    assert.equal(before.signing.kid, 'a');
    assert.deepEqual(
      before.published.map((k) => k.kid),
      ['a', 'b'],
      'the next key is published before it signs',
    );
    assert.equal(before.changesAt, T0 + 10 * HOUR);
    const after = keySchedule(keys, T0 + 10 * HOUR, retention)!;
    assert.equal(after.signing.kid, 'b');
    assert.equal(after.changesAt, T0 + 10 * HOUR + retention);
    const late = keySchedule(keys, T0 + 10 * HOUR + retention, retention)!;
    assert.deepEqual(
      late.published.map((k) => k.kid),
      ['b'],
    );
    assert.equal(late.changesAt, Infinity);
    assert.equal(keySchedule([key('a', T0, T0 + 1)], T0 + 2, retention), null, 'withdrawn keys never sign');
  });

  test('a withdrawn key is removed at once; a clock behind every activation signs with the earliest key', () => {
    const keys = [key('a', T0), key('b', T0 + MIN, T0 + 2 * MIN), key('c', T0 + 3 * MIN)];
    assert.deepEqual(kinds(keys, T0 + 4 * MIN, retention), ['a:retired', 'b:removed', 'c:active']);
    assert.equal(keySchedule([key('x', T0 + HOUR)], T0, retention)!.signing.kid, 'x');
  });

  test('rotation: the new key activates after the lead time and after every key that stays', () => {
    const keys = [key('a', T0)];
    assert.deepEqual(planRotation(keys, T0 + HOUR, 25 * HOUR, retention), {
      createdAt: T0 + HOUR,
      activatesAt: T0 + 26 * HOUR,
      retire: [],
    });
    assert.equal(planRotation(keys, T0 + HOUR, 0, retention).activatesAt, T0 + HOUR, '--now: signs at once');
    // A host whose clock lags the active key's activation still makes the newest key.
    assert.equal(planRotation([key('a', T0 + 5 * MIN)], T0, 0, retention).activatesAt, T0 + 5 * MIN + 1);
  });

  test('rotation replaces a pending next key (it never signed) unless it is due within the clock skew', () => {
    const keys = [key('a', T0), key('b', T0 + 25 * HOUR, null, T0 + HOUR)];
    const plan = planRotation(keys, T0 + 2 * HOUR, 0, retention);
    assert.deepEqual(plan.retire, ['b']);
    assert.equal(plan.activatesAt, T0 + 2 * HOUR);
    const dueSoon = planRotation(keys, T0 + 25 * HOUR - MIN, 0, retention);
    assert.deepEqual(dueSoon.retire, [], 'an instance with a clock ahead may sign with b already');
    assert.equal(dueSoon.activatesAt, T0 + 25 * HOUR + 1);
  });

  test('rotation withdraws the keys the schedule has removed, and only those', () => {
    const keys = [key('a', T0), key('b', T0 + HOUR), key('c', T0 + 2 * HOUR)];
    assert.deepEqual(planRotation(keys, T0 + HOUR + retention - 1, 0, retention).retire, []);
    assert.deepEqual(planRotation(keys, T0 + HOUR + retention, 0, retention).retire, ['a']);
    assert.deepEqual(planRotation(keys, T0 + 1000 * HOUR, 0, retention).retire, ['a', 'b'], 'the active key is never withdrawn');
  });
});
