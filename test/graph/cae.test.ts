import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { tokenRequest } from '../helpers/browser-flow.js';
import { APP, PUBLIC_URL, TENANT_ID, delegatedToken, makeHarness, type Harness } from '../helpers/harness.js';
import { assertGraphError, call, reload } from './graph-helpers.js';

/**
 * I6 (docs/revocation-model.md) with Continuous Access Evaluation (https://learn.microsoft.com/entra/identity-platform/claims-challenge), on tokens from the real token
 * endpoint: after a revoke, a disable, a delete or a password reset, the user's access token is
 * refused on the very next Graph call: with the insufficient_claims challenge when it declared
 * cp1, with the plain Bearer challenge otherwise.
 */
const CP1 = JSON.stringify({ access_token: { xms_cc: { values: ['cp1'] } } });
const USER_PASSWORD = 'Cae-Test-Pass-42!';
const PLAIN_CHALLENGE = `Bearer realm="", authorization_uri="${PUBLIC_URL}/${TENANT_ID}/oauth2/v2.0/authorize", client_id="00000003-0000-0000-c000-000000000000"`;
const CAE_PREFIX = `Bearer realm="", authorization_uri="${PUBLIC_URL}/${TENANT_ID}/oauth2/v2.0/authorize", error="insufficient_claims", claims="`;

/** Decodes the challenge's claims; asserts the header has exactly the four parameters of https://learn.microsoft.com/entra/identity-platform/claims-challenge. */
function challengeClaims(header: unknown): unknown {
  const value = String(header);
  assert.ok(value.startsWith(CAE_PREFIX), value);
  const m = /^Bearer realm="", authorization_uri="[^"]+", error="insufficient_claims", claims="([A-Za-z0-9+/=]+)"$/.exec(value);
  assert.ok(m, `malformed challenge: ${value}`);
  return JSON.parse(Buffer.from(m[1]!, 'base64').toString('utf8'));
}

describe('CAE on the Graph API: refused on the next call after revoke, disable, delete, password reset', () => {
  let h: Harness;
  let admin: string;
  let serial = 0;
  before(async () => {
    h = await makeHarness();
    admin = delegatedToken(h, 'globaladmin', ['User.ReadWrite.All', 'User.RevokeSessions.All', 'Directory.ReadWrite.All']);
  });
  after(() => h.close());

  /** A fresh user, so each case starts from a clean account. */
  async function newUser(): Promise<{ id: string; upn: string }> {
    const nick = `cae${++serial}`;
    const res = await call(h, 'POST', '/v1.0/users', {
      token: admin,
      body: {
        accountEnabled: true,
        displayName: nick,
        mailNickname: nick,
        userPrincipalName: `${nick}@contoso.test`,
        passwordProfile: { password: USER_PASSWORD },
      },
    });
    assert.equal(res.status, 201, res.body);
    return { id: res.json.id as string, upn: `${nick}@contoso.test` };
  }

  async function accessToken(upn: string, cp1: boolean): Promise<string> {
    const res = await tokenRequest(h, {
      grant_type: 'password',
      client_id: APP.publicClient,
      username: upn,
      password: USER_PASSWORD,
      scope: 'offline_access User.Read',
      ...(cp1 ? { claims: CP1 } : {}),
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.access_token as string;
  }

  const me = (token: string) => call(h, 'GET', '/v1.0/me', { token });

  /** Two tokens (cp1 and not), both working; `act` happens; both refused, each its way. */
  async function expectRefusedAfter(act: (user: { id: string; upn: string }) => Promise<void>, message: RegExp, nbfFromValidFrom: boolean) {
    const user = await newUser();
    const cae = await accessToken(user.upn, true);
    const plain = await accessToken(user.upn, false);
    assert.equal((await me(cae)).status, 200);
    assert.equal((await me(plain)).status, 200);
    const before = Math.floor(Date.now() / 1000);
    await act(user);
    const after = Math.ceil(Date.now() / 1000);

    const refusedPlain = await me(plain);
    assertGraphError(refusedPlain, 401, 'InvalidAuthenticationToken', message);
    assert.equal(refusedPlain.headers['www-authenticate'], PLAIN_CHALLENGE);

    const refusedCae = await me(cae);
    assertGraphError(refusedCae, 401, 'InvalidAuthenticationToken', message);
    const claims = challengeClaims(refusedCae.headers['www-authenticate']) as {
      access_token: { nbf: { essential: boolean; value: string } };
    };
    assert.equal(claims.access_token.nbf.essential, true);
    const nbf = Number(claims.access_token.nbf.value);
    assert.ok(nbf >= before && nbf <= after, `nbf ${nbf} outside [${before}, ${after}]`);
    if (nbfFromValidFrom) {
      const stored = await reload(h, user.id);
      assert.equal(nbf, Math.floor(stored.signInSessionsValidFrom! / 1000), 'nbf is the revoke time');
    }
  }

  test('revokeSignInSessions', async () => {
    await expectRefusedAfter(
      async (u) => {
        const r = await call(h, 'POST', `/v1.0/users/${u.id}/revokeSignInSessions`, { token: admin });
        assert.equal(r.status, 200, r.body);
      },
      /TokenIssuedBeforeRevocationTimestamp/,
      true,
    );
  });

  test('beta invalidateAllRefreshTokens', async () => {
    await expectRefusedAfter(
      async (u) => {
        const r = await call(h, 'POST', `/beta/users/${u.id}/invalidateAllRefreshTokens`, { token: admin });
        assert.equal(r.status, 204, r.body);
      },
      /TokenIssuedBeforeRevocationTimestamp/,
      true,
    );
  });

  test('account disabled', async () => {
    await expectRefusedAfter(
      async (u) => {
        const r = await call(h, 'PATCH', `/v1.0/users/${u.id}`, { token: admin, body: { accountEnabled: false } });
        assert.equal(r.status, 204, r.body);
      },
      /account is disabled/,
      true,
    );
  });

  test('user deleted', async () => {
    await expectRefusedAfter(
      async (u) => {
        const r = await call(h, 'DELETE', `/v1.0/users/${u.id}`, { token: admin });
        assert.equal(r.status, 204, r.body);
      },
      /no longer exists/,
      false,
    );
  });

  test('password reset by an administrator', async () => {
    await expectRefusedAfter(
      async (u) => {
        const r = await call(h, 'PATCH', `/v1.0/users/${u.id}`, {
          token: admin,
          body: { passwordProfile: { password: 'Another-Pass-77!' } },
        });
        assert.equal(r.status, 204, r.body);
      },
      /TokenIssuedBeforeRevocationTimestamp/,
      true,
    );
  });

  test('a token issued after the revoke works (I2), cp1 or not', async () => {
    const user = await newUser();
    const r = await call(h, 'POST', `/v1.0/users/${user.id}/revokeSignInSessions`, { token: admin });
    assert.equal(r.status, 200);
    assert.equal((await me(await accessToken(user.upn, true))).status, 200);
    assert.equal((await me(await accessToken(user.upn, false))).status, 200);
  });
});
