import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CliError, parseServeOptions } from '../../src/cli/serve-options.js';

test('serve: --ssf-allow-http-push / PORTCULLIS_SSF_ALLOW_HTTP_PUSH, off by default', () => {
  assert.equal(parseServeOptions([], {})?.ssfAllowHttpPush, false);
  assert.equal(parseServeOptions(['--ssf-allow-http-push'], {})?.ssfAllowHttpPush, true);
  assert.equal(parseServeOptions([], { PORTCULLIS_SSF_ALLOW_HTTP_PUSH: 'yes' })?.ssfAllowHttpPush, true);
  assert.equal(parseServeOptions([], { PORTCULLIS_SSF_ALLOW_HTTP_PUSH: 'off' })?.ssfAllowHttpPush, false);
  assert.throws(() => parseServeOptions([], { PORTCULLIS_SSF_ALLOW_HTTP_PUSH: 'maybe' }), CliError);
});
