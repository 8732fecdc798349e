/**
 * src/core/access-token-reader.ts, the one reader of access tokens behind Graph auth,
 * introspection and revocation: each typed reason, against the real key ring of a real app.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { readAccessToken, type AccessTokenFailureReason } from '../../src/core/access-token-reader.js';
import { GRAPH_RESOURCE_APP_ID, GRAPH_RESOURCE_URI } from '../../src/core/permissions.js';
import { decodeBase64url } from '../../src/crypto/base64url.js';
import { generateSigningKey, loadKey, signJwt } from '../../src/crypto/jwt.js';
import { APP, ManualClock, PUBLIC_URL, TENANT_ID, makeHarness, type Harness } from '../helpers/harness.js';
import { respelledSignatures, signUntilRespellable } from '../helpers/respelled-jws.js';

describe('access-token reader', () => {
  let h: Harness;
  const clock = new ManualClock(Date.UTC(2026, 3, 1, 12, 0, 0));
  before(async () => {
    h = await makeHarness({ clock });
  });
  after(() => h.close());

  const claims = (overrides: Record<string, unknown> = {}): Record<string, unknown> => {
    const now = Math.floor(clock.now() / 1000);
    return {
      aud: GRAPH_RESOURCE_APP_ID,
      iss: `${PUBLIC_URL}/${TENANT_ID}/v2.0`,
      iat: now,
      nbf: now,
      exp: now + 3600,
      tid: TENANT_ID,
      oid: h.users.alice!.id,
      azp: APP.publicClient,
      scp: 'User.Read',
      ver: '2.0',
      ...overrides,
    };
  };
  const signed = (overrides: Record<string, unknown> = {}) => h.app.services.keys.sign(claims(overrides));
  const read = (token: string) => readAccessToken(token, h.app.services);
  const refusedFor = async (token: string, reason: AccessTokenFailureReason, label: string = reason) => {
    const reading = await read(token);
    assert.equal(reading.ok, false, label);
    assert.equal(!reading.ok && reading.reason, reason, label);
  };
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

  test('a token of ours: ok, with its claims; a Graph URI audience or an aud array naming Graph too', async () => {
    const reading = await read(signed());
    assert.ok(reading.ok);
    assert.equal(reading.claims.oid, h.users.alice!.id);
    assert.ok((await read(signed({ aud: GRAPH_RESOURCE_URI }))).ok);
    assert.ok((await read(signed({ aud: ['api://x', GRAPH_RESOURCE_APP_ID] }))).ok);
  });

  test('malformed: not three segments, not JSON objects, not base64url', async () => {
    for (const token of [
      '',
      'garbage',
      'a.b',
      'a.b.c',
      'a.b.c.d',
      `${b64([1])}.${b64({})}.`,
      `${b64({ alg: 'RS256' })}.${b64('x')}.`,
      `e30.e30.sig!`,
    ]) {
      await refusedFor(token, 'malformed', JSON.stringify(token));
    }
    const [hd, p, s] = signed().split('.') as [string, string, string];
    await refusedFor(`${hd}=.${p}.${s}`, 'malformed', 'header with padding');
    await refusedFor(`${hd}.${p}==.${s}`, 'malformed', 'payload with padding');
    await refusedFor(`${hd}.${p} .${s}`, 'malformed', 'whitespace');
  });

  test('the signature segment in any non-canonical spelling is malformed (RFC 7515 §2)', async () => {
    const token = signUntilRespellable((c) => h.app.services.keys.sign(c), claims());
    assert.ok((await read(token)).ok, 'the canonical spelling is accepted');
    for (const [name, respelled] of Object.entries(respelledSignatures(token))) {
      assert.deepEqual(
        Buffer.from(respelled.split('.')[2]!, 'base64url'),
        Buffer.from(token.split('.')[2]!, 'base64url'),
        `${name}: the same bytes to a lenient decoder`,
      );
      await refusedFor(respelled, 'malformed', name);
    }
  });

  test('unknown_key: another algorithm, no kid, a kid the ring does not hold', async () => {
    const p = signed().split('.')[1]!;
    const kid = h.app.services.keys.signingKid;
    await refusedFor(`${b64({ alg: 'none', kid })}.${p}.`, 'unknown_key', 'alg none');
    await refusedFor(`${b64({ alg: 'HS256', kid })}.${p}.AAAA`, 'unknown_key', 'HS256');
    await refusedFor(`${b64({ alg: 'RS256' })}.${p}.AAAA`, 'unknown_key', 'no kid');
    await refusedFor(signJwt(loadKey(generateSigningKey(clock.now())), claims()), 'unknown_key', 'foreign kid');
  });

  test('bad_signature: a foreign key under our kid, a tampered payload', async () => {
    const stranger = loadKey(generateSigningKey(clock.now()));
    await refusedFor(signJwt({ ...stranger, kid: h.app.services.keys.signingKid }, claims()), 'bad_signature', 'foreign key');
    const [hd, , s] = signed().split('.');
    await refusedFor(`${hd}.${b64(claims({ oid: h.users.bob!.id }))}.${s}`, 'bad_signature', 'tampered');
  });

  test('wrong_issuer, wrong_audience, wrong_tenant, in that order', async () => {
    await refusedFor(signed({ iss: 'https://elsewhere.test/x/v2.0' }), 'wrong_issuer');
    await refusedFor(signed({ aud: APP.webApp }), 'wrong_audience');
    await refusedFor(signed({ aud: undefined }), 'wrong_audience', 'no aud');
    await refusedFor(signed({ tid: '11111111-2222-4333-8444-555555555555' }), 'wrong_tenant');
    await refusedFor(signed({ iss: 'https://elsewhere.test/x/v2.0', aud: 'x', tid: 'y' }), 'wrong_issuer', 'the first failing rule');
  });

  test('expired and not_yet_valid carry the authentic claims; five minutes of nbf skew', async () => {
    const now = Math.floor(clock.now() / 1000);
    const expired = await read(signed({ exp: now }));
    assert.ok(!expired.ok && expired.reason === 'expired' && expired.claims.oid === h.users.alice!.id);
    await refusedFor(signed({ exp: undefined }), 'expired', 'no exp');
    await refusedFor(signed({ exp: String(now + 60) }), 'expired', 'exp not a number');
    const early = await read(signed({ nbf: now + 301 }));
    assert.ok(!early.ok && early.reason === 'not_yet_valid' && 'claims' in early);
    await refusedFor(signed({ nbf: undefined, iat: now + 301 }), 'not_yet_valid', 'iat stands in for nbf');
    await refusedFor(signed({ nbf: 'soon' }), 'not_yet_valid', 'nbf not a number');
    assert.ok((await read(signed({ nbf: now + 300 }))).ok, 'within the skew');
  });
});

describe('strict base64url', () => {
  test('only the canonical unpadded spelling decodes', () => {
    assert.deepEqual(decodeBase64url(''), Buffer.alloc(0));
    assert.deepEqual(decodeBase64url('-_8'), Buffer.from([0xfb, 0xff]));
    assert.deepEqual(decodeBase64url('AQ'), Buffer.from([1]));
    assert.deepEqual(decodeBase64url('AQI'), Buffer.from([1, 2]));
    // AR and AQJ carry non-zero trailing bits: lenient decoders read them as AQ and AQI.
    for (const bad of ['AQ==', 'AQI=', 'AR', 'AQJ', '+/8', 'A', 'AQ.', 'A Q', 'AQ\n', 'é'])
      assert.equal(decodeBase64url(bad), null, JSON.stringify(bad));
  });
});
