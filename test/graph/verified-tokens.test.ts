/**
 * The memo of verified signatures (src/core/verified-tokens.ts) must not change what Graph
 * accepts: a token presented again is still checked for expiry and for the caller's current state
 * (I6) on every request, and a memo entry is only good while the key ring hands out the same key.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { GRAPH_RESOURCE_APP_ID } from '../../src/core/permissions.js';
import { generateSigningKey, loadKey } from '../../src/crypto/jwt.js';
import { VerifiedTokens } from '../../src/core/verified-tokens.js';
import { APP, ManualClock, PUBLIC_URL, TENANT_ID, delegatedToken, makeHarness, type Harness } from '../helpers/harness.js';
import { assertGraphError, call } from './graph-helpers.js';

describe('Graph authentication with a token presented again', () => {
  let h: Harness;
  const clock = new ManualClock(Date.UTC(2026, 3, 1, 12, 0, 0));
  before(async () => {
    h = await makeHarness({ clock });
  });
  after(() => h.close());

  const tokenFor = (userKey: string, lifetimeSeconds = 3600) => {
    const now = Math.floor(clock.now() / 1000);
    return h.app.services.keys.sign({
      aud: GRAPH_RESOURCE_APP_ID,
      iss: `${PUBLIC_URL}/${TENANT_ID}/v2.0`,
      iat: now,
      nbf: now,
      exp: now + lifetimeSeconds,
      tid: TENANT_ID,
      oid: h.users[userKey]!.id,
      azp: APP.publicClient,
      scp: 'User.Read',
      ver: '2.0',
    });
  };
  const getMe = (token: string) => call(h, 'GET', '/v1.0/me', { token });

  test('accepted, then refused once it has expired', async () => {
    const token = tokenFor('alice', 60);
    assert.equal((await getMe(token)).status, 200);
    assert.equal((await getMe(token)).status, 200);
    clock.advance(61_000);
    assertGraphError(await getMe(token), 401, 'InvalidAuthenticationToken', 'Access token has expired or is not yet valid.');
  });

  test('accepted, then refused at once after its user is revoked (I6)', async () => {
    const token = tokenFor('bob');
    assert.equal((await getMe(token)).status, 200);
    clock.advance(2000);
    const revoke = await call(h, 'POST', `/v1.0/users/${h.users.bob!.id}/revokeSignInSessions`, {
      token: delegatedToken(h, 'globaladmin', ['User.RevokeSessions.All']),
    });
    assert.equal(revoke.status, 200, revoke.body);
    assertGraphError(await getMe(token), 401, 'InvalidAuthenticationToken', /TokenIssuedBeforeRevocationTimestamp/);
  });
});

describe('VerifiedTokens', () => {
  const a = loadKey(generateSigningKey(Date.now()));
  const b = loadKey(generateSigningKey(Date.now()));

  test('a hit needs the same key object for the kid; another key or none is a miss and drops the entry', () => {
    const memo = new VerifiedTokens();
    const d = VerifiedTokens.digest('header.payload.signature');
    memo.remember(d, a.kid, a, { sub: 'x' });
    assert.deepEqual(
      memo.get(d, (kid) => (kid === a.kid ? a : undefined)),
      { sub: 'x' },
    );
    assert.equal(
      memo.get(d, () => b),
      null,
    );
    assert.equal(
      memo.get(d, () => a),
      null,
      'the entry was dropped',
    );
    memo.remember(d, a.kid, a, { sub: 'x' });
    assert.equal(
      memo.get(d, () => undefined),
      null,
    );
  });

  test('bounded: the oldest entries make room', () => {
    const memo = new VerifiedTokens();
    const digests = Array.from({ length: 1100 }, (_, i) => VerifiedTokens.digest(`token-${i}`));
    for (const d of digests) memo.remember(d, a.kid, a, {});
    assert.equal(
      memo.get(digests[0]!, () => a),
      null,
    );
    assert.deepEqual(
      memo.get(digests[1099]!, () => a),
      {},
    );
  });

  test('the memoised claims cannot be changed by a caller', () => {
    const memo = new VerifiedTokens();
    const d = VerifiedTokens.digest('t');
    memo.remember(d, a.kid, a, { scp: 'User.Read' });
    const claims = memo.get(d, () => a)!;
    assert.throws(() => {
      (claims as Record<string, unknown>).scp = 'Directory.ReadWrite.All';
    }, TypeError);
  });
});
