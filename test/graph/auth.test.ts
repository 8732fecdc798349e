import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { GRAPH_RESOURCE_APP_ID, GRAPH_RESOURCE_URI } from '../../src/core/permissions.js';
import { generateSigningKey, loadKey, signJwt } from '../../src/crypto/jwt.js';
import { APP, ManualClock, PUBLIC_URL, TENANT_ID, appToken, delegatedToken, makeHarness, type Harness } from '../helpers/harness.js';
import { respelledSignatures, signUntilRespellable } from '../helpers/respelled-jws.js';
import { assertGraphError, call, reload } from './graph-helpers.js';

const CHALLENGE =
  `Bearer realm="", authorization_uri="${PUBLIC_URL}/${TENANT_ID}/oauth2/v2.0/authorize", ` +
  'client_id="00000003-0000-0000-c000-000000000000"';

const EXPIRED = 'Access token has expired or is not yet valid.';

describe('Graph bearer authentication', () => {
  let h: Harness;
  const clock = new ManualClock(Date.UTC(2026, 3, 1, 12, 0, 0));
  before(async () => {
    h = await makeHarness({ clock });
  });
  after(() => h.close());

  /** Claims of a valid delegated token for `userKey`, to tamper with one at a time. */
  const claims = (userKey: string, overrides: Record<string, unknown> = {}): Record<string, unknown> => {
    const now = Math.floor(clock.now() / 1000);
    return {
      aud: GRAPH_RESOURCE_APP_ID,
      iss: `${PUBLIC_URL}/${TENANT_ID}/v2.0`,
      iat: now,
      nbf: now,
      exp: now + 3600,
      tid: TENANT_ID,
      oid: h.users[userKey]!.id,
      azp: APP.publicClient,
      scp: 'User.Read User.Read.All',
      ver: '2.0',
      ...overrides,
    };
  };
  const signed = (c: Record<string, unknown>) => h.app.services.keys.sign(c);
  const getMe = (token?: string) => call(h, 'GET', '/v1.0/me', token === undefined ? {} : { token });

  const assert401 = (res: Awaited<ReturnType<typeof getMe>>, message: string | RegExp) => {
    assertGraphError(res, 401, 'InvalidAuthenticationToken', message);
    assert.equal(res.headers['www-authenticate'], CHALLENGE);
  };

  test('a token minted by the issuer is accepted', async () => {
    assert.equal((await getMe(signed(claims('alice')))).status, 200);
  });

  test('no token: 401 "Access token is empty." with the Bearer challenge', async () => {
    assert401(await getMe(), 'Access token is empty.');
    assert401(await call(h, 'GET', '/v1.0/me', { headers: { authorization: 'Bearer ' } }), 'Access token is empty.');
    assert401(await call(h, 'GET', '/v1.0/me', { headers: { authorization: 'Basic dXNlcjpwYXNz' } }), 'Access token is empty.');
  });

  test('garbage: CompactToken parsing failed', async () => {
    assert401(await getMe('garbage'), 'CompactToken parsing failed with error code: 80049217');
    assert401(await getMe('a.b.c'), 'CompactToken parsing failed with error code: 80049217');
  });

  test('a signature in a non-canonical base64url spelling is refused (RFC 7515 §2): CompactToken parsing failed', async () => {
    const token = signUntilRespellable(signed, claims('alice'));
    assert.equal((await getMe(token)).status, 200, 'the canonical spelling is accepted');
    for (const [name, respelled] of Object.entries(respelledSignatures(token))) {
      const res = await getMe(respelled);
      assert.equal(res.status, 401, name);
      assert401(res, 'CompactToken parsing failed with error code: 80049217');
    }
  });

  test('a token signed by another key is refused, whatever kid it claims', async () => {
    const stranger = loadKey(generateSigningKey(clock.now()));
    assert401(await getMe(signJwt(stranger, claims('alice'))), /^Access token validation failure/);
    const ours = h.app.services.keys.jwks().keys[0]!.kid as string;
    assert401(await getMe(signJwt({ ...stranger, kid: ours }, claims('alice'))), /^Access token validation failure/);
  });

  test('alg none is refused', async () => {
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims('alice'))}.`;
    assert401(await getMe(unsigned), /^Access token validation failure/);
  });

  test('expired, and not yet valid beyond five minutes of skew', async () => {
    const token = signed(claims('alice'));
    clock.advance(2 * 3600 * 1000);
    try {
      assert401(await getMe(token), EXPIRED);
    } finally {
      clock.advance(-2 * 3600 * 1000);
    }
    const now = Math.floor(clock.now() / 1000);
    assert401(await getMe(signed(claims('alice', { nbf: now + 600 }))), EXPIRED);
    assert.equal((await getMe(signed(claims('alice', { nbf: now + 200 })))).status, 200);
    assert401(await getMe(signed(claims('alice', { exp: undefined }))), EXPIRED);
  });

  test('wrong audience, issuer or tenant', async () => {
    assert401(await getMe(signed(claims('alice', { aud: 'api://someone-else' }))), 'Access token validation failure. Invalid audience.');
    assert401(await getMe(signed(claims('alice', { iss: 'https://login.microsoftonline.com/x/v2.0' }))), /Invalid issuer/);
    assert401(await getMe(signed(claims('alice', { tid: '11111111-2222-4333-8444-555555555555' }))), /Invalid tenant/);
    // Graph's resource URI is an accepted audience too (v1 tokens carry it).
    assert.equal((await getMe(signed(claims('alice', { aud: GRAPH_RESOURCE_URI })))).status, 200);
  });

  test('a disabled or deleted caller is refused', async () => {
    assert401(await getMe(delegatedToken(h, 'disabled', ['User.Read'])), /disabled/);
    const ghost = claims('alice', { oid: '0b6c1d8e-1111-4222-8333-944455556666' });
    assert401(await getMe(signed(ghost)), /no longer exists/);
  });

  test('scope names are case-insensitive', async () => {
    assert.equal((await getMe(signed(claims('alice', { scp: 'user.read' })))).status, 200);
  });

  test('app-only token on /me: 400', async () => {
    const res = await call(h, 'GET', '/v1.0/me', { token: appToken(h, ['User.Read.All']) });
    assertGraphError(res, 400, 'Request_BadRequest', '/me request is only valid with delegated authentication flow.');
  });

  test('I6: an access token issued before a revoke is refused at once; a new one works (I2)', async () => {
    const old = signed(claims('bob'));
    clock.advance(5000);
    const revoke = await call(h, 'POST', `/v1.0/users/${h.users.bob!.id}/revokeSignInSessions`, {
      token: delegatedToken(h, 'globaladmin', ['User.RevokeSessions.All']),
    });
    assert.equal(revoke.status, 200, revoke.body);
    assert401(
      await getMe(old),
      'Continuous access evaluation resulted in claims challenge with result: InteractionRequired and code: TokenIssuedBeforeRevocationTimestamp',
    );
    assert.equal((await getMe(signed(claims('bob')))).status, 200, 'a token minted after the revoke works');
  });

  test('I6 for a CAE client (xms_cc cp1): 401 with an insufficient_claims challenge', async () => {
    const old = signed(claims('bob', { xms_cc: ['CP1'] }));
    clock.advance(5000);
    await call(h, 'POST', `/v1.0/users/${h.users.bob!.id}/revokeSignInSessions`, {
      token: delegatedToken(h, 'globaladmin', ['User.RevokeSessions.All']),
    });
    const revokedAt = Math.floor((await reload(h, h.users.bob!)).signInSessionsValidFrom! / 1000);
    const res = await getMe(old);
    assertGraphError(res, 401, 'InvalidAuthenticationToken', /TokenIssuedBeforeRevocationTimestamp/);
    const header = String(res.headers['www-authenticate']);
    // Exactly the parameters of https://learn.microsoft.com/entra/identity-platform/claims-challenge (no client_id in a claims challenge).
    assert.ok(
      header.startsWith(
        `Bearer realm="", authorization_uri="${PUBLIC_URL}/${TENANT_ID}/oauth2/v2.0/authorize", error="insufficient_claims", claims="`,
      ),
      header,
    );
    const encoded = /claims="([^"]+)"/.exec(header)![1]!;
    assert.deepEqual(JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')), {
      access_token: { nbf: { essential: true, value: String(revokedAt) } },
    });
  });
});
