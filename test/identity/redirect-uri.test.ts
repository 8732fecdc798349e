import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeedError, parseSeed } from '../../src/core/seed.js';
import { isRegisteredExactly, redirectKind } from '../../src/identity/redirect-uri.js';
import { verifierMatches, isValidChallenge } from '../../src/identity/pkce.js';
import { application } from '../helpers/harness.js';

const app = application({
  appId: 'a',
  webRedirectUris: ['https://app.test/cb'],
  spaRedirectUris: ['https://spa.test/'],
  publicClientRedirectUris: ['http://localhost', 'http://127.0.0.1/native', 'msal-app://auth'],
});

test('redirect URIs match exactly (RFC 9700 §4.1.3)', () => {
  assert.equal(redirectKind(app, 'https://app.test/cb'), 'web');
  assert.equal(redirectKind(app, 'https://spa.test/'), 'spa');
  assert.equal(redirectKind(app, 'msal-app://auth'), 'public');
  for (const bad of [
    'https://app.test/cb/',
    'https://app.test/cb?x=1',
    'https://APP.test/cb',
    'https://app.test/cb#f',
    'https://app.test/c',
    'https://app.test/cb/../cb',
    'https://app.test:443/cb',
    'https://spa.test',
    'http://app.test/cb',
    'https://app.test.evil/cb',
    'https://evil.test/?https://app.test/cb',
    ' https://app.test/cb',
    'msal-app://auth/x',
  ]) {
    assert.equal(redirectKind(app, bad), null, bad);
  }
});

test('native loopback URIs registered without a port take any port, nothing else (RFC 8252 §7.3)', () => {
  assert.equal(redirectKind(app, 'http://localhost:5000'), 'public');
  assert.equal(redirectKind(app, 'http://localhost:5000/'), 'public');
  assert.equal(redirectKind(app, 'http://127.0.0.1:8400/native'), 'public');
  for (const bad of [
    'https://localhost:5000',
    'http://localhost:5000/other',
    'http://localhost.evil.test:5000',
    'http://127.0.0.1:8400/native/x',
    'http://user@localhost:5000',
    'http://localhost:5000?x=1',
    'http://127.0.0.1:8400',
  ]) {
    assert.equal(redirectKind(app, bad), null, bad);
  }
});

test('a fragment is refused in any redirect URI, the loopback ones included (RFC 6749 §3.1.2)', () => {
  // Registered with a fragment (data from before registration refused them): still refused.
  const legacy = application({ appId: 'b', webRedirectUris: ['https://app.test/cb#x'], publicClientRedirectUris: ['http://localhost#y'] });
  for (const bad of ['http://localhost:5000#frag', 'http://localhost:5000/#', 'http://127.0.0.1:8400/native#x', 'http://localhost#']) {
    assert.equal(redirectKind(app, bad), null, bad);
  }
  for (const bad of ['https://app.test/cb#x', 'http://localhost#y', 'http://localhost:5000#y']) {
    assert.equal(redirectKind(legacy, bad), null, bad);
    assert.equal(isRegisteredExactly(legacy, bad), false, bad);
  }
});

test('registration refuses a redirect URI with a fragment, loopback ones included', () => {
  for (const uri of ['http://localhost#x', 'http://127.0.0.1:8400/cb#', 'https://app.test/cb#f']) {
    const seed = {
      tenant: { id: '2c9f0c55-8d2e-4f7a-9c3b-5e6d7f8a9b0c', domain: 'frag.test', displayName: 'Frag' },
      users: [],
      applications: [{ appId: '8a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d', displayName: 'RP', publicClient: { redirectUris: [uri] } }],
    };
    assert.throws(
      () => parseSeed(seed),
      (e: unknown) => e instanceof SeedError && /must not contain a fragment/.test(e.message),
      uri,
    );
  }
});

test('PKCE S256 (RFC 7636 appendix B test vector)', () => {
  const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
  const challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
  assert.ok(isValidChallenge(challenge));
  assert.ok(verifierMatches(verifier, challenge));
  assert.equal(verifierMatches(verifier.slice(0, -1) + 'A', challenge), false);
  assert.equal(verifierMatches('short', challenge), false);
  assert.equal(isValidChallenge('plain-text-challenge'), false);
});
