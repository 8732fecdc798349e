import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildConfig } from '../../src/cli/commands/serve.js';
import { CliError, parseServeOptions, serveHelp } from '../../src/cli/serve-options.js';
import { DEFAULT_KEY_LEAD_SECONDS } from '../../src/config.js';
import { TENANT_ID, makeHarness } from '../helpers/harness.js';

/** `--key-lead-seconds` / PORTCULLIS_KEY_LEAD_SECONDS (docs/configuration.md) and the JWKS max-age it sets. */
describe('serve: the signing-key lead time option', () => {
  it('defaults to 25 h; flag over environment; whole seconds, 0 allowed; listed in --help', () => {
    assert.equal(buildConfig(parseServeOptions([], {})!, 5050, false).keyLeadSeconds, DEFAULT_KEY_LEAD_SECONDS);
    assert.equal(DEFAULT_KEY_LEAD_SECONDS, 25 * 3600);
    assert.equal(buildConfig(parseServeOptions([], { PORTCULLIS_KEY_LEAD_SECONDS: '7200' })!, 5050, false).keyLeadSeconds, 7200);
    assert.equal(
      buildConfig(parseServeOptions(['--key-lead-seconds', '0'], { PORTCULLIS_KEY_LEAD_SECONDS: '7200' })!, 5050, false).keyLeadSeconds,
      0,
    );
    for (const bad of ['-1', '1.5', 'soon', '']) {
      assert.throws(
        () => parseServeOptions(['--key-lead-seconds', bad], {}),
        (e) => e instanceof CliError && e.exitCode === 2,
        bad,
      );
    }
    assert.match(serveHelp(), /--key-lead-seconds S[\s\S]*PORTCULLIS_KEY_LEAD_SECONDS/);
  });

  it('the JWKS max-age fits in the lead time: 24 h by default, shorter with a shorter lead, 0 with none', async () => {
    for (const [lead, maxAge] of [
      [undefined, 86_400],
      [3600, 3600 - 30 - 300],
      [0, 0],
    ] as const) {
      const h = await makeHarness({ config: lead === undefined ? {} : { keyLeadSeconds: lead } });
      try {
        const res = await h.app.http.inject({ method: 'GET', url: `/${TENANT_ID}/discovery/v2.0/keys` });
        assert.equal(res.headers['cache-control'], `max-age=${maxAge}, private`, `lead ${lead}`);
      } finally {
        await h.close();
      }
    }
  });
});
