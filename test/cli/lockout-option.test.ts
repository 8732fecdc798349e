import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CliError } from '../../src/cli/cli-error.js';
import { parseLockoutOption } from '../../src/cli/lockout-option.js';
import { parseServeOptions } from '../../src/cli/serve-options.js';
import { DEFAULT_ABUSE_LIMITS, makeAppConfig } from '../../src/config.js';

test('--lockout sets thresholds and lock durations, turns limits off, keeps the rest at their defaults', () => {
  const parsed = parseLockoutOption('userSignIn=5/300, deviceCode=off', '--lockout');
  assert.deepEqual(parsed, {
    userSignIn: { threshold: 5, lockoutSeconds: 300, maxLockoutSeconds: 3600, resetAfterSeconds: 86_400 },
    deviceCode: null,
  });
  const config = makeAppConfig({ publicUrl: 'http://localhost:5050', abuse: parsed });
  assert.equal(config.abuse.userSignIn?.threshold, 5);
  assert.equal(config.abuse.deviceCode, null);
  assert.deepEqual(config.abuse.clientSecret, DEFAULT_ABUSE_LIMITS.clientSecret);
});

test('flags win over PORTCULLIS_LOCKOUT; bad values are one clear error with exit code 2', () => {
  const opts = parseServeOptions(['--lockout', 'sourceSignIn=50/120'], { PORTCULLIS_LOCKOUT: 'garbage' });
  assert.equal(opts?.abuse.sourceSignIn?.threshold, 50);
  assert.equal(parseServeOptions([], { PORTCULLIS_LOCKOUT: 'clientSecret=7/60' })?.abuse.clientSecret?.threshold, 7);
  for (const bad of ['userSignIn=0/60', 'nosuch=1/1', 'userSignIn=10', 'userSignIn=ten/60']) {
    assert.throws(
      () => parseServeOptions([], { PORTCULLIS_LOCKOUT: bad }),
      (e: unknown) => e instanceof CliError && e.exitCode === 2 && /PORTCULLIS_LOCKOUT/.test(e.message),
      bad,
    );
  }
});
