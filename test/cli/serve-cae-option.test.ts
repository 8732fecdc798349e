import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildConfig } from '../../src/cli/commands/serve.js';
import { CliError, parseServeOptions, serveHelp } from '../../src/cli/serve-options.js';

/** `--cae-long-lived-tokens` / PORTCULLIS_CAE_LONG_LIVED_TOKENS (docs/configuration.md). */
describe('serve: the long-lived CAE token option', () => {
  it('is off by default, on with the flag or a true environment value, and listed in --help', () => {
    assert.equal(parseServeOptions([], {})?.caeLongLivedTokens, false);
    assert.equal(parseServeOptions(['--cae-long-lived-tokens'], {})?.caeLongLivedTokens, true);
    assert.equal(parseServeOptions([], { PORTCULLIS_CAE_LONG_LIVED_TOKENS: 'true' })?.caeLongLivedTokens, true);
    assert.equal(parseServeOptions([], { PORTCULLIS_CAE_LONG_LIVED_TOKENS: 'off' })?.caeLongLivedTokens, false);
    assert.throws(
      () => parseServeOptions([], { PORTCULLIS_CAE_LONG_LIVED_TOKENS: 'maybe' }),
      (e) => e instanceof CliError && e.exitCode === 2,
    );
    assert.match(serveHelp(), /--cae-long-lived-tokens[\s\S]*PORTCULLIS_CAE_LONG_LIVED_TOKENS/);
  });

  it('sets the 20–28 h CAE lifetime in the app configuration, and leaves other lifetimes alone', () => {
    const on = buildConfig(parseServeOptions(['--cae-long-lived-tokens'], {})!, 5050, false);
    assert.equal(on.tokens.caeAccessTokenMinSeconds, 20 * 3600);
    assert.equal(on.tokens.caeAccessTokenMaxSeconds, 28 * 3600);
    assert.equal(on.tokens.accessTokenMinSeconds, 3600);
    const off = buildConfig(parseServeOptions([], {})!, 5050, false);
    assert.equal(off.tokens.caeAccessTokenMaxSeconds, 0);
  });
});
