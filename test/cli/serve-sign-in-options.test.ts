import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildConfig } from '../../src/cli/commands/serve.js';
import { CliError, parseServeOptions, serveHelp } from '../../src/cli/serve-options.js';
import { DEFAULT_SIGN_IN_LOG } from '../../src/config.js';

const configOf = (argv: string[], env: Record<string, string> = {}) => buildConfig(parseServeOptions(argv, env)!, 5050, false).signIns;

test('serve: retention, cleanup interval and IP recording of the sign-in log', () => {
  assert.deepEqual(configOf([]), DEFAULT_SIGN_IN_LOG);
  assert.equal(DEFAULT_SIGN_IN_LOG.retentionDays, 30);
  assert.equal(configOf(['--retention-days', '7']).retentionDays, 7);
  assert.equal(configOf([], { PORTCULLIS_RETENTION_DAYS: '90' }).retentionDays, 90);
  assert.equal(configOf(['--retention-days', '7'], { PORTCULLIS_RETENTION_DAYS: '90' }).retentionDays, 7, 'the flag wins');
  assert.equal(configOf(['--cleanup-interval-seconds', '0']).cleanupIntervalSeconds, 0);
  assert.equal(configOf(['--no-sign-in-ip']).recordIpAddress, false);
  assert.equal(configOf([], { PORTCULLIS_NO_SIGN_IN_IP: 'true' }).recordIpAddress, false);
  assert.equal(configOf([], { PORTCULLIS_NO_SIGN_IN_IP: 'false' }).recordIpAddress, true);
  for (const bad of ['0', '-1', 'a week', '1.5']) {
    assert.throws(() => parseServeOptions(['--retention-days', bad], {}), CliError, bad);
  }
  assert.match(serveHelp(), /--retention-days DAYS/);
  assert.match(serveHelp(), /--no-sign-in-ip/);
});
